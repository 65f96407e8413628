package dev.orch.runner;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;

/**
 * Installs a bundle's dependencies into the workspace: requirements.txt (or a pyproject.toml project) into
 * a venv with pip, package.json with npm ({@code npm ci} when a lockfile exists, so the lockfile is
 * honoured exactly). A marker holding the SHA-256 of the dependency files and the runner image's id makes a
 * second prepare with the same files (pod restart with the workspace kept, a workspace on a dependency cache, or
 * the same bundle again) skip the install.
 */
final class DependencyInstaller {
  static final List<String> DEPENDENCY_FILES =
      List.of("requirements.txt", "pyproject.toml", "package.json", "package-lock.json", "npm-shrinkwrap.json");
  /** The runner image's id, which {@code orch-pod prepare} passes (contract: prepare.env.runtime-id). */
  static final String RUNTIME_ID = "ORCH_RUNTIME_ID";
  private final Workspace workspace;
  private final AgentLog log;
  private final StatusFile status;

  DependencyInstaller(Workspace workspace, AgentLog log, StatusFile status) {
    this.workspace = workspace;
    this.log = log;
    this.status = status;
  }

  /** Installs the bundle's dependencies unless none are declared or the marker says they already are. */
  void install(Map<String, String> env) throws IOException {
    Path bundle = workspace.bundle();
    boolean python = exists("requirements.txt") || exists("pyproject.toml");
    boolean node = exists("package.json");
    if (!python && !node) {
      log.runner("no requirements.txt, pyproject.toml or package.json in the bundle: no dependencies to install");
      return;
    }
    String hash = hashOfDependencyFiles(bundle, env.getOrDefault(RUNTIME_ID, ""));
    Path marker = workspace.dependencyMarker();
    // node_modules travels with the bundle (see Main.replaceBundle); the venv lives beside it.
    boolean venvPresent = !python || Files.isExecutable(workspace.venv().resolve("bin/python"));
    if (venvPresent && Files.isRegularFile(marker) && Files.readString(marker).strip().equals(hash)) {
      log.runner("dependencies already installed for these dependency files (sha256 " + hash.substring(0, 12)
          + "), skipping pip/npm");
      return;
    }
    Files.deleteIfExists(marker);
    // A venv made for other dependency files or another runner image is made afresh: pip would leave removed
    // packages behind, and a venv does not survive a new Python (the workspace may outlive the image).
    BundleFetcher.deleteRecursively(workspace.venv());
    if (python) {
      installPython(bundle, env);
    }
    if (node) {
      installNode(bundle, env);
    }
    Files.createDirectories(marker.getParent());
    Files.writeString(marker, hash + "\n");
  }

  private void installPython(Path bundle, Map<String, String> env) {
    Path venv = workspace.venv();
    if (!Files.isExecutable(venv.resolve("bin/python"))) {
      step("creating the Python virtual environment", List.of("python3", "-m", "venv", venv.toString()), bundle, env,
          "python3 -m venv failed; this is a runner image problem, not the bundle's: report it with the output above");
    }
    String pip = venv.resolve("bin/pip").toString();
    String hint = " Check the pip output above: fix the package name or version, pin a version that has a wheel"
        + " for Linux x86_64 and this Python, or make sure the package index is reachable from the pod"
        + " (NetworkPolicy, egress proxy; set PIP_INDEX_URL in spec.env for a private index).";
    if (exists("requirements.txt")) {
      step("installing Python dependencies (pip install -r requirements.txt)",
          List.of(pip, "install", "--no-input", "-r", "requirements.txt"), bundle, env,
          "pip could not install requirements.txt." + hint);
    } else {
      step("installing the Python project (pip install .)", List.of(pip, "install", "--no-input", "."), bundle, env,
          "pip could not install the project described by pyproject.toml." + hint
              + " A pyproject.toml without a [project] table cannot be installed: add a requirements.txt instead.");
    }
  }

  private void installNode(Path bundle, Map<String, String> env) {
    boolean locked = exists("package-lock.json") || exists("npm-shrinkwrap.json");
    List<String> argv = locked ? List.of("npm", "ci", "--no-audit", "--no-fund")
        : List.of("npm", "install", "--no-audit", "--no-fund");
    step("installing Node.js dependencies (" + String.join(" ", argv.subList(0, 2)) + ")", argv, bundle, env,
        (locked ? "npm ci failed. If package-lock.json is out of date with package.json, run npm install locally and"
            + " ship the updated lockfile." : "npm install failed.")
            + " Check the npm output above for the package that failed, and that the npm registry is reachable"
            + " from the pod (set NPM_CONFIG_REGISTRY in spec.env for a private registry).");
  }

  private void step(String what, List<String> argv, Path dir, Map<String, String> env, String failure) {
    log.runner(what);
    status.preparing(what);
    int code = ChildProcess.run(argv, dir, env, log);
    if (code != 0) {
      throw new RunnerException(failure + " (" + argv.get(0).replaceAll(".*/", "") + " exited with code " + code + ")");
    }
  }

  private boolean exists(String file) {
    return Files.isRegularFile(workspace.bundle().resolve(file));
  }

  static String hashOfDependencyFiles(Path bundle, String runtimeId) throws IOException {
    MessageDigest sha256 = BundleFetcher.sha256();
    sha256.update((runtimeId + "\0").getBytes(StandardCharsets.UTF_8));
    for (String name : DEPENDENCY_FILES) {
      Path file = bundle.resolve(name);
      sha256.update((name + "\0").getBytes(StandardCharsets.UTF_8));
      sha256.update(Files.isRegularFile(file) ? Files.readAllBytes(file) : new byte[] {1});
      sha256.update((byte) 0);
    }
    return HexFormat.of().formatHex(sha256.digest());
  }

  static List<String> pathEntries(Workspace workspace) {
    List<String> entries = new ArrayList<>();
    entries.add(workspace.venv().resolve("bin").toString());
    entries.add(workspace.bundle().resolve("node_modules/.bin").toString());
    return entries;
  }
}
