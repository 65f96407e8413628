package dev.orch.runner;

import java.io.IOException;
import java.io.PrintStream;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The runner's one command, {@code prepare}, the agent pod's init container: fetch the bundle into the
 * workspace, install its dependencies, detect the entrypoint and write it for the agent container's
 * supervisor (see {@link ResolvedCommand}), exit 0; on failure exit {@value #RUNNER_FAILURE} with what to fix,
 * also in the termination-message file. The agent container itself runs {@code orch-pod supervise}
 * (gateway-sidecar/), which starts and watches the agent.
 */
public final class Main {
  static final int RUNNER_FAILURE = 2;
  static final int USAGE = 64;
  private final Map<String, String> env;
  private final PrintStream out;
  private final PrintStream err;
  private final Clock clock;
  private final boolean allowPlainHttp;

  Main(Map<String, String> env, PrintStream out, PrintStream err, Clock clock, boolean allowPlainHttp) {
    this.env = env;
    this.out = out;
    this.err = err;
    this.clock = clock;
    this.allowPlainHttp = allowPlainHttp;
  }

  public static void main(String[] args) {
    System.exit(new Main(System.getenv(), System.out, System.err, Clock.systemUTC(), false).execute(args));
  }

  int execute(String[] args) {
    if (args.length != 1 || !args[0].equals("prepare")) {
      err.println("usage: orch-runner prepare (the operator's pod runs it as the init container; the agent"
          + " container runs `orch-pod supervise`)");
      return USAGE;
    }
    RunnerSettings settings;
    SecretMasker masker;
    try {
      settings = RunnerSettings.fromEnvironment(env);
      if (allowPlainHttp) {
        settings = settings.withAllowPlainHttp();
      }
      List<String> secrets = SecretMasker.valuesOf(env);
      secrets.addAll(BundleFetcher.credentialValues(settings.gitCredentials()));
      masker = new SecretMasker(secrets);
    } catch (RunnerException | IOException e) {
      err.println("orch-runner: " + e.getMessage());
      return RUNNER_FAILURE;
    }
    AgentLog log = new AgentLog(out, err, masker);
    StatusFile status = new StatusFile(settings.statusDir(), clock);
    TerminationMessage termination = new TerminationMessage(settings.terminationLog());
    try {
      return prepare(settings, log, status);
    } catch (RunnerException | UncheckedIOException | IOException e) {
      String message = masker.mask(e.getMessage());
      log.runner("error: " + message);
      try {
        status.failed(message);
      } catch (RunnerException statusFailure) {
        log.runner(statusFailure.getMessage());
      }
      termination.write(message, log.stderrTail());
      return RUNNER_FAILURE;
    }
  }

  private int prepare(RunnerSettings settings, AgentLog log, StatusFile status) throws IOException {
    long started = System.nanoTime();
    Workspace workspace = new Workspace(settings.workspace());
    status.preparing("fetching the bundle (" + settings.bundleKind() + ")");
    Files.createDirectories(workspace.state());
    ResolvedCommand.delete(workspace);
    Path scratch = workspace.state().resolve("download");
    BundleFetcher.deleteRecursively(workspace.staging());
    BundleFetcher.deleteRecursively(scratch);
    BundleFetcher fetcher = new BundleFetcher(settings, new SafeUnpacker(SafeUnpacker.Limits.DEFAULT), log, env);
    Path root = fetcher.fetch(workspace.staging(), scratch);
    replaceBundle(root, workspace);
    BundleFetcher.deleteRecursively(scratch);
    new DependencyInstaller(workspace, log, status).install(childEnvironment(settings, workspace));
    resolveCommand(settings, workspace, log);
    log.runner("bundle ready in " + workspace.bundle() + " (" + (System.nanoTime() - started) / 1_000_000 + " ms)");
    status.preparing("bundle ready; waiting for the agent container");
    return 0;
  }

  /**
   * Swaps the new bundle in. node_modules lives inside the bundle (Node resolves modules from the script's
   * directory), so it is carried over; the dependency marker then decides whether it is still valid.
   */
  private static void replaceBundle(Path root, Workspace workspace) throws IOException {
    Path bundle = workspace.bundle();
    Path modules = bundle.resolve("node_modules");
    if (Files.isDirectory(modules) && !Files.exists(root.resolve("node_modules"))) {
      Files.move(modules, root.resolve("node_modules"));
    }
    BundleFetcher.deleteRecursively(bundle);
    Files.move(root, bundle);
    BundleFetcher.deleteRecursively(workspace.staging());
  }

  /**
   * Detects the entrypoint and writes it for the supervisor. A bundle without one is not prepare's failure:
   * the agent container reports it (exit 2, the three fixes), where it has always been reported.
   */
  private void resolveCommand(RunnerSettings settings, Workspace workspace, AgentLog log) throws IOException {
    try {
      EntrypointDetector.Entrypoint entrypoint =
          new EntrypointDetector().detect(workspace.bundle(), settings.command(), settings.args());
      ResolvedCommand.write(workspace, entrypoint, environmentAdditions(settings, workspace));
      log.runner("entrypoint: `" + ResolvedCommand.commandLine(entrypoint.command()) + "` (" + entrypoint.source()
          + ")");
    } catch (EntrypointDetector.NoEntrypointException | UncheckedIOException e) {
      ResolvedCommand.writeError(workspace, e.getMessage());
      log.runner("no entrypoint; the agent container will fail with: " + e.getMessage());
    }
  }

  /** The environment of the install tools: the pod's plus {@link #environmentAdditions}. */
  private Map<String, String> childEnvironment(RunnerSettings settings, Workspace workspace) {
    Map<String, String> child = new HashMap<>(env);
    child.putAll(environmentAdditions(settings, workspace));
    return child;
  }

  /**
   * What the agent and the install tools get on top of the pod's environment: the venv and node_modules/.bin
   * on PATH, the app port, unbuffered Python output and a HOME. The agent container has the same
   * environment as this one, so these are its additions too.
   */
  private Map<String, String> environmentAdditions(RunnerSettings settings, Workspace workspace) {
    Map<String, String> added = new LinkedHashMap<>();
    List<String> path = new ArrayList<>(DependencyInstaller.pathEntries(workspace));
    path.add(env.getOrDefault("PATH", "/usr/local/bin:/usr/bin:/bin"));
    added.put("PATH", String.join(":", path));
    if (Files.isDirectory(workspace.venv())) {
      added.put("VIRTUAL_ENV", workspace.venv().toString());
    }
    added.put("PORT", Integer.toString(settings.httpPort()));
    added.put("ORCHAGENT_HTTP_PORT", Integer.toString(settings.httpPort()));
    if (!env.containsKey("PYTHONUNBUFFERED")) {
      added.put("PYTHONUNBUFFERED", "1");
    }
    if (!env.containsKey("HOME")) {
      added.put("HOME", "/tmp");
    }
    return added;
  }
}
