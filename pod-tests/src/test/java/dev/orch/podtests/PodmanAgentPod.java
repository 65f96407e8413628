package dev.orch.podtests;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Predicate;
import java.util.function.Supplier;
import java.util.stream.Stream;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;

/**
 * One agent pod in podman, shaped like the pod the operator's AgentPod builds, so that what passes here is
 * what Kubernetes will run:
 * <ul>
 * <li>a podman pod: the containers share one network namespace (the gateway reaches the agent on
 * 127.0.0.1) but not their PID namespaces; the gateway's :8080 is published on a free loopback port;</li>
 * <li>volumes {@code workspace}, {@code status} and {@code tmp} as host directories with mode 0777, as
 * Kubernetes creates emptyDirs; the bundle as a read-only directory at /orch/bundle-source (the
 * ConfigMap bundle source, laid out as the kubelet lays out a ConfigMap volume); a file at
 * /dev/termination-log, as the kubelet mounts one;</li>
 * <li>every container with the "restricted" security context: read-only root file system (and no tmpfs
 * podman would add on its own), user 65532, all capabilities dropped, no privilege escalation;</li>
 * <li>the same environment: ORCH_AGENT, ORCH_BUNDLE_KIND, ORCH_COMMAND, ORCH_SECRET_NAMES, ORCH_WORKSPACE,
 * ORCH_STATUS_DIR, HOME, PORT, ORCHAGENT_HTTP_PORT, then the resource's env, then the secrets;</li>
 * <li>the order of a native-sidecar pod: gateway first, then {@code prepare} to completion, then
 * {@code agent}, each with the command AgentPod gives it.</li>
 * </ul>
 */
final class PodmanAgentPod implements AutoCloseable {
  /** hack/images.sh tags with $ORCH_IMAGE_TAG too, so a development build can stand beside the shared images. */
  static final String IMAGE_TAG = System.getenv().getOrDefault("ORCH_IMAGE_TAG", "0.1.0");
  static final String RUNNER_IMAGE = "localhost/orch-runner:" + IMAGE_TAG;
  static final String GATEWAY_IMAGE = "localhost/orch-gateway:" + IMAGE_TAG;
  /** The containers' commands, as the operator's AgentPod sets them. */
  private static final String PREPARE_COMMAND = "[\"/usr/local/bin/orch-prepare\"]";
  private static final String SUPERVISOR_COMMAND = "[\"/usr/local/bin/orch-pod\", \"supervise\"]";
  private static final String GATEWAY_COMMAND = "[\"/usr/local/bin/orch-pod\", \"gateway\"]";
  static final int HTTP_PORT = 3000;
  private static final List<String> RESTRICTED = List.of("--read-only", "--read-only-tmpfs=false",
      "--user", "65532:65532", "--cap-drop", "ALL", "--security-opt", "no-new-privileges");
  private static final ObjectMapper JSON = new ObjectMapper();
  private static final HttpClient HTTP = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(2)).build();

  /**
   * What the resource says about the agent.
   *
   * @param bundle directory under src/test/resources/bundles
   * @param command spec.command, empty for entrypoint detection
   * @param env spec.env
   * @param secrets vault keys and their values (in Kubernetes these arrive through secretKeyRef)
   */
  record Agent(String bundle, List<String> command, Map<String, String> env, Map<String, String> secrets) {
    static Agent of(String bundle) {
      return new Agent(bundle, List.of(), Map.of(), Map.of());
    }

    Agent withSecrets(Map<String, String> values) {
      return new Agent(bundle, command, env, values);
    }
  }

  record Response(int status, String body) {
    JsonNode json() {
      try {
        return JSON.readTree(body);
      } catch (IOException e) {
        throw new AssertionError("not JSON: " + body, e);
      }
    }
  }

  private final Podman podman;
  private final String name;
  private final Path dir;
  private final int port;
  private final Agent agent;

  private PodmanAgentPod(Podman podman, String name, Path dir, int port, Agent agent) {
    this.podman = podman;
    this.name = name;
    this.dir = dir;
    this.port = port;
    this.agent = agent;
  }

  /** Creates the pod and its volumes and starts the gateway; {@link #prepare()} and {@link #startAgent()} follow. */
  static PodmanAgentPod start(Podman podman, String name, Path workRoot, Agent agent) {
    Path dir = workRoot.resolve(name);
    try {
      deleteTree(dir);
      for (String volume : List.of("workspace", "status", "tmp", "bin")) {
        Files.createDirectories(dir.resolve(volume));
        Files.setPosixFilePermissions(dir.resolve(volume), PosixFilePermissions.fromString("rwxrwxrwx"));
      }
      writeConfigMapVolume(bundles().resolve(agent.bundle()),
          Files.createDirectories(dir.resolve("bundle-source")));
      Path termination = Files.createFile(dir.resolve("termination-log"));
      Files.setPosixFilePermissions(termination, PosixFilePermissions.fromString("rw-rw-rw-"));
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    PodmanAgentPod pod = new PodmanAgentPod(podman, name, dir, freePort(), agent);
    podman.ok("pod", "create", "--name", name, "-p", "127.0.0.1:" + pod.port + ":8080");
    pod.runContainer("gateway", true, GATEWAY_IMAGE, List.of("--entrypoint", GATEWAY_COMMAND,
        "-e", "ORCHAGENT_HTTP_PORT=" + HTTP_PORT, "-e", "ORCH_STATUS_DIR=/orch/status",
        "-v", dir.resolve("status") + ":/orch/status", "-v", dir.resolve("tmp") + ":/tmp")).orThrow();
    return pod;
  }

  /** Runs the init container to completion. */
  Podman.Result prepare() {
    return runContainer("prepare", false, RUNNER_IMAGE, runnerOptions(PREPARE_COMMAND));
  }

  /**
   * An image bundle, as AgentPod runs one with a command: the {@code supervisor} init container copies
   * orch-pod from the gateway image into the {@code bin} volume, and the agent container runs the command
   * under it in {@code image}, which knows nothing about orch-pod.
   */
  void startImageAgent(String image, List<String> command) {
    runContainer("supervisor", false, GATEWAY_IMAGE, List.of("--entrypoint",
        "[\"/usr/local/bin/orch-pod\", \"install\", \"/orch/bin\"]", "-v", dir.resolve("bin") + ":/orch/bin"))
        .orThrow();
    List<String> entrypoint = new ArrayList<>(List.of("/orch/bin/orch-pod", "supervise", "--"));
    entrypoint.addAll(command);
    List<String> options = new ArrayList<>(List.of("-v", dir.resolve("bin") + ":/orch/bin:ro"));
    try {
      options.addAll(runnerOptions(JSON.writeValueAsString(entrypoint)));
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    runContainer("agent", true, image, options).orThrow();
  }

  void startAgent() {
    runContainer("agent", true, RUNNER_IMAGE, runnerOptions(SUPERVISOR_COMMAND)).orThrow();
  }

  /** Stops the agent container as the kubelet does (SIGTERM, then SIGKILL after the grace period). */
  void stopAgent() {
    podman.ok("stop", "-t", "10", container("agent"));
  }

  int awaitExit(String container) {
    return Integer.parseInt(podman.run(Duration.ofSeconds(60), "wait", container(container)).orThrow().stdout()
        .strip());
  }

  String logs(String container) {
    Podman.Result result = podman.run("logs", container(container)).orThrow();
    return result.stdout() + result.stderr();
  }

  Podman.Result exec(String container, String... command) {
    List<String> args = new ArrayList<>(List.of("exec", container(container)));
    args.addAll(List.of(command));
    return podman.run(args.toArray(String[]::new));
  }

  String terminationMessage() {
    return read(dir.resolve("termination-log"));
  }

  /** The runner's status file, read from the host side of the status volume; null before the first write. */
  JsonNode status() {
    Path file = dir.resolve("status/agent.json");
    try {
      return Files.exists(file) ? JSON.readTree(file.toFile()) : null;
    } catch (IOException e) {
      return null;
    }
  }

  Response health() {
    return get("/health");
  }

  /** A request to the gateway through the pod's published port, as a Service would send it. */
  Response get(String path) {
    return send(HttpRequest.newBuilder(uri(path)).GET());
  }

  Response post(String path, String body) {
    return send(HttpRequest.newBuilder(uri(path)).POST(HttpRequest.BodyPublishers.ofString(body)));
  }

  int port() {
    return port;
  }

  /** Every container's log, for a failed test's output. */
  String describe() {
    StringBuilder text = new StringBuilder("pod " + name + " (gateway on 127.0.0.1:" + port + ", volumes in " + dir
        + ")\n");
    for (String container : List.of("gateway", "prepare", "supervisor", "agent")) {
      Podman.Result logs = podman.run("logs", container(container));
      if (logs.exitCode() == 0) {
        text.append("--- ").append(container).append(" (exit ")
            .append(podman.run("inspect", "--format", "{{.State.ExitCode}} {{.State.Status}}", container(container))
                .stdout().strip())
            .append(")\n").append(logs.stdout()).append(logs.stderr());
      }
    }
    text.append("--- status file: ").append(status()).append("\n--- termination message: ")
        .append(terminationMessage()).append('\n');
    return text.toString();
  }

  @Override
  public void close() {
    podman.run("pod", "rm", "--force", "--time", "0", name);
    try {
      deleteTree(dir);
    } catch (IOException e) {
      System.err.println("pod-tests: could not delete " + dir + " (" + e.getMessage() + ")");
    }
  }

  static <T> T await(String what, Duration timeout, Supplier<T> probe, Predicate<T> done) {
    long deadline = System.nanoTime() + timeout.toNanos();
    T last = probe.get();
    while (!done.test(last)) {
      if (System.nanoTime() > deadline) {
        throw new AssertionError("timed out after " + timeout + " waiting for " + what + "; last seen: " + last);
      }
      sleep(100);
      last = probe.get();
    }
    return last;
  }

  private List<String> runnerOptions(String entrypoint) {
    Map<String, String> env = new LinkedHashMap<>();
    env.put("ORCH_AGENT", "test/" + agent.bundle());
    env.put("ORCH_BUNDLE_KIND", "configmap");
    if (!agent.command().isEmpty()) {
      try {
        env.put("ORCH_COMMAND", JSON.writeValueAsString(agent.command()));
      } catch (IOException e) {
        throw new UncheckedIOException(e);
      }
    }
    if (!agent.secrets().isEmpty()) {
      env.put("ORCH_SECRET_NAMES", String.join(",", agent.secrets().keySet()));
    }
    env.put("ORCH_WORKSPACE", "/orch/workspace");
    env.put("ORCH_STATUS_DIR", "/orch/status");
    env.put("HOME", "/tmp");
    env.put("PORT", Integer.toString(HTTP_PORT));
    env.put("ORCHAGENT_HTTP_PORT", Integer.toString(HTTP_PORT));
    // The install path must work without a package registry; pointing both tools at a closed port makes any
    // attempt to reach one fail the test instead of silently using the network.
    env.put("npm_config_registry", "http://127.0.0.1:9/");
    env.put("PIP_INDEX_URL", "http://127.0.0.1:9/simple/");
    env.putAll(agent.env());
    env.putAll(agent.secrets());
    List<String> options = new ArrayList<>(List.of("--entrypoint", entrypoint));
    env.forEach((key, value) -> options.addAll(List.of("-e", key + "=" + value)));
    options.addAll(List.of(
        "-v", dir.resolve("workspace") + ":/orch/workspace",
        "-v", dir.resolve("status") + ":/orch/status",
        "-v", dir.resolve("tmp") + ":/tmp",
        "-v", dir.resolve("bundle-source") + ":/orch/bundle-source:ro",
        "-v", dir.resolve("termination-log") + ":/dev/termination-log"));
    return options;
  }

  private Podman.Result runContainer(String container, boolean detached, String image, List<String> options) {
    List<String> command = new ArrayList<>(List.of("run", "--pod", name, "--name", container(container)));
    if (detached) {
      command.add("--detach");
    }
    command.addAll(RESTRICTED);
    command.addAll(options);
    command.add(image);
    return podman.run(Duration.ofMinutes(3), command.toArray(String[]::new));
  }

  private String container(String container) {
    return name + "-" + container;
  }

  private URI uri(String path) {
    return URI.create("http://127.0.0.1:" + port + path);
  }

  private static Response send(HttpRequest.Builder request) {
    try {
      HttpResponse<String> response = HTTP.send(request.timeout(Duration.ofSeconds(10)).build(),
          HttpResponse.BodyHandlers.ofString(StandardCharsets.UTF_8));
      return new Response(response.statusCode(), response.body());
    } catch (IOException e) {
      return new Response(-1, e.toString());
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException(e);
    }
  }

  /**
   * Lays the bundle out as the kubelet mounts a ConfigMap: the files live in a timestamped hidden directory
   * that "..data" points to, and each key is a symbolic link through "..data" (mode 0644). Keys cannot
   * contain "/", so a bundle with subdirectories becomes one archive key, as its owner would have to ship it
   * (kubectl create configmap NAME --from-file=bundle.tar.gz).
   */
  private static void writeConfigMapVolume(Path bundle, Path volume) throws IOException {
    if (!Files.isDirectory(bundle)) {
      throw new IllegalArgumentException("no bundle at " + bundle);
    }
    Path data = Files.createDirectories(volume.resolve("..2025_01_01_00_00_00.000000000"));
    List<String> keys;
    try (Stream<Path> top = Files.list(bundle)) {
      List<Path> entries = top.sorted().toList();
      if (entries.stream().anyMatch(Files::isDirectory)) {
        List<String> tar = new ArrayList<>(List.of("tar", "-czf", data.resolve("bundle.tar.gz").toString(),
            "-C", bundle.toString()));
        entries.forEach(entry -> tar.add(entry.getFileName().toString()));
        Process process = new ProcessBuilder(tar).inheritIO().start();
        if (process.waitFor() != 0) {
          throw new IOException("tar failed for " + bundle);
        }
        keys = List.of("bundle.tar.gz");
      } else {
        for (Path entry : entries) {
          Files.copy(entry, data.resolve(entry.getFileName().toString()));
        }
        keys = entries.stream().map(entry -> entry.getFileName().toString()).toList();
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IOException(e);
    }
    Files.setPosixFilePermissions(volume, PosixFilePermissions.fromString("rwxr-xr-x"));
    Files.setPosixFilePermissions(data, PosixFilePermissions.fromString("rwxr-xr-x"));
    Files.createSymbolicLink(volume.resolve("..data"), data.getFileName());
    for (String key : keys) {
      Files.setPosixFilePermissions(data.resolve(key), PosixFilePermissions.fromString("rw-r--r--"));
      Files.createSymbolicLink(volume.resolve(key), Path.of("..data", key));
    }
  }

  private static Path bundles() {
    try {
      return Path.of(PodmanAgentPod.class.getResource("/bundles").toURI());
    } catch (java.net.URISyntaxException e) {
      throw new IllegalStateException(e);
    }
  }

  private static int freePort() {
    try (ServerSocket socket = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
      return socket.getLocalPort();
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  private static String read(Path file) {
    try {
      return Files.exists(file) ? Files.readString(file, StandardCharsets.UTF_8) : "";
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  private static void deleteTree(Path dir) throws IOException {
    if (!Files.exists(dir)) {
      return;
    }
    try (Stream<Path> paths = Files.walk(dir)) {
      for (Path path : paths.sorted(Comparator.reverseOrder()).toList()) {
        Files.delete(path);
      }
    }
  }

  private static void sleep(long millis) {
    try {
      Thread.sleep(millis);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException(e);
    }
  }
}
