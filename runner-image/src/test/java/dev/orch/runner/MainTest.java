package dev.orch.runner;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.io.PrintStream;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

import org.apache.commons.compress.archivers.tar.TarArchiveEntry;
import org.apache.commons.compress.archivers.tar.TarArchiveOutputStream;
import org.apache.commons.compress.compressors.gzip.GzipCompressorOutputStream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.sun.net.httpserver.HttpServer;

/** The runner's commands end to end on this machine, with sh, git and npm standing in for agents and tools. */
class MainTest {
  @TempDir
  Path dir;

  record Result(int code, String out, String err) {
  }

  private Map<String, String> env(String... pairs) {
    Map<String, String> env = new HashMap<>(Map.of("PATH", System.getenv("PATH"), "HOME", dir.toString(),
        "ORCH_WORKSPACE", dir.resolve("ws").toString(), "ORCH_STATUS_DIR", dir.resolve("status").toString(),
        "ORCH_TERMINATION_LOG", dir.resolve("termination-log").toString(),
        "ORCH_BUNDLE_SOURCE", dir.resolve("cm").toString(), "ORCH_GIT_CREDENTIALS", dir.resolve("none").toString()));
    for (int i = 0; i < pairs.length; i += 2) {
      env.put(pairs[i], pairs[i + 1]);
    }
    return env;
  }

  private Result execute(Map<String, String> env, String command) {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    ByteArrayOutputStream err = new ByteArrayOutputStream();
    int code = new Main(env, new PrintStream(out, true, StandardCharsets.UTF_8),
        new PrintStream(err, true, StandardCharsets.UTF_8), java.time.Clock.systemUTC(), true)
        .execute(new String[] {command});
    return new Result(code, out.toString(StandardCharsets.UTF_8), err.toString(StandardCharsets.UTF_8));
  }

  private JsonNode status() throws IOException {
    return new ObjectMapper().readTree(dir.resolve("status/agent.json").toFile());
  }

  /** A ConfigMap volume as the kubelet lays it out: keys are links into a hidden, versioned directory. */
  private void configMap(Map<String, String> files) throws IOException {
    Path data = Files.createDirectories(dir.resolve("cm/..2025_05_20_10_00_00.1"));
    Files.createSymbolicLink(dir.resolve("cm/..data"), data.getFileName());
    for (var file : files.entrySet()) {
      Files.writeString(data.resolve(file.getKey()), file.getValue());
      Files.createSymbolicLink(dir.resolve("cm").resolve(file.getKey()), Path.of("..data", file.getKey()));
    }
  }

  private JsonNode resolvedCommand() throws IOException {
    return new ObjectMapper().readTree(dir.resolve("ws/.orch/command.json").toFile());
  }

  @Test
  void prepareWritesTheResolvedCommandForTheSupervisor() throws IOException {
    configMap(Map.of("main.py", "print('main')", "README.md", "the command override wins over main.py"));
    Map<String, String> env = env("ORCH_COMMAND", "[\"sh\", \"-c\"]", "ORCH_ARGS", "[\"echo on $PORT\"]",
        "ORCHAGENT_HTTP_PORT", "3001");
    env.remove("HOME");
    Result prepare = execute(env, "prepare");
    assertThat(prepare.code()).as(prepare.err()).isZero();
    assertThat(prepare.err()).contains("[runner] entrypoint: `sh -c echo on $PORT` (spec.command)");
    assertThat(prepare.err().lines()).as("no tool ran: only the runner's own lines, unstamped").isNotEmpty()
        .allMatch(line -> line.startsWith("[runner] "));

    JsonNode command = resolvedCommand();
    assertThat(command.get("argv")).extracting(JsonNode::asText).containsExactly("sh", "-c", "echo on $PORT");
    assertThat(command.get("source").asText()).isEqualTo("spec.command");
    assertThat(command.get("workingDir").asText()).isEqualTo(dir.resolve("ws/bundle").toString());
    JsonNode added = command.get("env");
    assertThat(added.get("PATH").asText()).startsWith(dir.resolve("ws/venv/bin") + ":" + dir.resolve("ws/bundle/node_modules/.bin") + ":")
        .endsWith(System.getenv("PATH"));
    assertThat(added.get("PORT").asText()).isEqualTo("3001");
    assertThat(added.get("ORCHAGENT_HTTP_PORT").asText()).isEqualTo("3001");
    assertThat(added.get("PYTHONUNBUFFERED").asText()).isEqualTo("1");
    assertThat(added.get("HOME").asText()).isEqualTo("/tmp");
    assertThat(added.has("VIRTUAL_ENV")).as("no venv without Python dependencies").isFalse();
    assertThat(status().get("phase").asText()).isEqualTo("preparing");
  }

  @Test
  void noEntrypointIsHandedToTheAgentContainerWithTheThreeFixes() throws IOException {
    configMap(Map.of("helper.py", "print('not an entrypoint')"));
    Result prepare = execute(env(), "prepare");
    assertThat(prepare.code()).as("the agent container reports it").isZero();
    assertThat(prepare.err()).contains("no entrypoint; the agent container will fail with: no entrypoint found");
    String error = resolvedCommand().get("error").asText();
    assertThat(error).contains("no entrypoint found in the bundle at " + dir.resolve("ws/bundle"))
        .contains("1. set spec.command").contains("2. add \"run_command\"").contains("3. name the entry file");
    assertThat(resolvedCommand().has("argv")).isFalse();
  }

  @Test
  void aFailedPrepareLeavesNoCommandOfAnEarlierBundle() throws IOException {
    configMap(Map.of("main.py", "print('v1')"));
    assertThat(execute(env(), "prepare").code()).isZero();
    assertThat(resolvedCommand().get("source").asText()).isEqualTo("found main.py");
    Result failed = execute(env("ORCH_BUNDLE_KIND", "url", "ORCH_BUNDLE_URL", "http://127.0.0.1:9/gone"), "prepare");
    assertThat(failed.code()).isEqualTo(Main.RUNNER_FAILURE);
    assertThat(dir.resolve("ws/.orch/command.json")).doesNotExist();
  }

  @Test
  void prepareIsTheOnlyCommand() {
    Result run = execute(env(), "run");
    assertThat(run.code()).isEqualTo(Main.USAGE);
    assertThat(run.err()).contains("orch-pod supervise");
  }

  @Test
  void secondPrepareWithTheSameDependencyFilesSkipsTheInstall() throws IOException {
    String lock = "{\"name\":\"a\",\"version\":\"1.0.0\",\"lockfileVersion\":3,\"requires\":true,"
        + "\"packages\":{\"\":{\"name\":\"a\",\"version\":\"1.0.0\"}}}";
    configMap(Map.of("index.js", "console.log('hi')", "package.json", "{\"name\":\"a\",\"version\":\"1.0.0\"}",
        "package-lock.json", lock));
    Map<String, String> env = env();
    Result first = execute(env, "prepare");
    assertThat(first.code()).as(first.err()).isZero();
    assertThat(first.err()).contains("installing Node.js dependencies (npm ci)");
    Result second = execute(env, "prepare");
    assertThat(second.err()).contains("dependencies already installed").doesNotContain("npm ci");
    assertThat(dir.resolve("ws/bundle/index.js")).hasContent("console.log('hi')");

    // A workspace on a dependency cache outlives the runner image: another image installs afresh, without the
    // venv an older Python made.
    Files.createDirectories(dir.resolve("ws/venv/lib/python3.9"));
    Map<String, String> newImage = new HashMap<>(env);
    newImage.put(DependencyInstaller.RUNTIME_ID, "runner image 2");
    Result afterNewImage = execute(newImage, "prepare");
    assertThat(afterNewImage.err()).contains("installing Node.js dependencies (npm ci)");
    assertThat(dir.resolve("ws/venv")).doesNotExist();

    Files.writeString(dir.resolve("cm/..data/package.json"), "{\"name\":\"a\",\"version\":\"1.0.0\",\"dependencies\":{\"left-pad\":\"1.3.0\"}}");
    Result changed = execute(env, "prepare");
    assertThat(changed.err()).contains("npm ci failed").contains("package-lock.json is out of date");
    assertThat(changed.err().lines()).as("the runner's lines are tagged, npm's pass through as npm wrote them")
        .anyMatch(line -> line.startsWith("[runner] error: npm ci failed")).anyMatch(line -> line.startsWith("npm "));
    assertThat(changed.code()).isEqualTo(Main.RUNNER_FAILURE);
  }

  @Test
  void urlBundleIsCheckedAgainstItsSha256AndSizeLimit() throws Exception {
    byte[] archive = tarGz("agent-main/main.py", "print('from url')");
    HttpServer server = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 0);
    server.createContext("/bundle", exchange -> {
      exchange.sendResponseHeaders(200, archive.length);
      exchange.getResponseBody().write(archive);
      exchange.close();
    });
    server.start();
    try {
      String url = "http://127.0.0.1:" + server.getAddress().getPort() + "/bundle?sig=abc";
      String sha = java.util.HexFormat.of().formatHex(BundleFetcher.sha256().digest(archive));
      assertThat(execute(env("ORCH_BUNDLE_KIND", "url", "ORCH_BUNDLE_URL", url, "ORCH_BUNDLE_SHA256", sha), "prepare")
          .code()).isZero();
      assertThat(dir.resolve("ws/bundle/main.py")).hasContent("print('from url')");

      Result wrongSum = execute(env("ORCH_BUNDLE_KIND", "url", "ORCH_BUNDLE_URL", url, "ORCH_BUNDLE_SHA256",
          "0".repeat(64)), "prepare");
      assertThat(wrongSum.err()).contains("sha256 is " + sha + " but spec.bundle.sha256 is 0000");
      Result tooBig = execute(env("ORCH_BUNDLE_KIND", "url", "ORCH_BUNDLE_URL", url, "ORCH_BUNDLE_MAX_BYTES", "100"),
          "prepare");
      assertThat(tooBig.err()).contains("larger than 0 MiB");
    } finally {
      server.stop(0);
    }
  }

  @Test
  void gitBundleUsesTheRefAndPath() throws Exception {
    Path repo = Files.createDirectories(dir.resolve("repo/agents/bot"));
    Files.writeString(repo.resolve("bot.py"), "print('v1')");
    git(dir.resolve("repo"), "init", "-q", "-b", "main");
    git(dir.resolve("repo"), "add", ".");
    git(dir.resolve("repo"), "-c", "user.name=t", "-c", "user.email=t@t", "commit", "-q", "-m", "v1");
    git(dir.resolve("repo"), "tag", "v1");
    Files.writeString(repo.resolve("bot.py"), "print('v2')");
    git(dir.resolve("repo"), "-c", "user.name=t", "-c", "user.email=t@t", "commit", "-q", "-am", "v2");

    Map<String, String> env = env("ORCH_BUNDLE_KIND", "git", "ORCH_GIT_REPOSITORY", "file://" + dir.resolve("repo"),
        "ORCH_GIT_REF", "v1", "ORCH_GIT_PATH", "agents/bot");
    Result prepare = execute(env, "prepare");
    assertThat(prepare.code()).as(prepare.err()).isZero();
    assertThat(dir.resolve("ws/bundle/bot.py")).hasContent("print('v1')");
    assertThat(dir.resolve("ws/bundle/.git")).doesNotExist();

    env.put("ORCH_GIT_REF", "no-such-branch");
    assertThat(execute(env, "prepare").err()).contains("git could not fetch no-such-branch");
  }

  private static void git(Path repo, String... args) throws Exception {
    List<String> argv = new java.util.ArrayList<>(List.of("git", "-C", repo.toString()));
    argv.addAll(List.of(args));
    assertThat(new ProcessBuilder(argv).inheritIO().start().waitFor()).isZero();
  }

  private static byte[] tarGz(String name, String content) throws IOException {
    ByteArrayOutputStream bytes = new ByteArrayOutputStream();
    try (OutputStream gz = new GzipCompressorOutputStream(bytes); TarArchiveOutputStream tar = new TarArchiveOutputStream(gz)) {
      byte[] data = content.getBytes(StandardCharsets.UTF_8);
      TarArchiveEntry entry = new TarArchiveEntry(name);
      entry.setSize(data.length);
      tar.putArchiveEntry(entry);
      tar.write(data);
      tar.closeArchiveEntry();
    }
    return bytes.toByteArray();
  }
}
