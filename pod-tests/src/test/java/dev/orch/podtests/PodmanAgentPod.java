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
import java.util.Objects;
import java.util.OptionalInt;
import java.util.function.Predicate;
import java.util.function.Supplier;
import java.util.stream.Stream;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;

import dev.orch.operator.agent.AgentPod;
import dev.orch.operator.agent.AgentTemplate;
import dev.orch.operator.agent.Bundle;
import dev.orch.operator.agent.EnvVar;
import dev.orch.operator.core.config.OperatorSettings;
import io.fabric8.kubernetes.api.model.Container;
import io.fabric8.kubernetes.api.model.ContainerPort;
import io.fabric8.kubernetes.api.model.PodSecurityContext;
import io.fabric8.kubernetes.api.model.PodSpec;
import io.fabric8.kubernetes.api.model.Quantity;
import io.fabric8.kubernetes.api.model.SecurityContext;
import io.fabric8.kubernetes.api.model.Volume;
import io.fabric8.kubernetes.api.model.VolumeMount;

/**
 * One agent pod in podman, made from the pod template the operator's {@link AgentPod} builds for an
 * AgentService, so that what passes here is what Kubernetes will run. The spec is carried over container by
 * container as the kubelet would run it: one podman pod (a shared network namespace, not a shared PID
 * namespace) with each declared port published on a free loopback port; emptyDirs as 0777 host directories;
 * the ConfigMap volume laid out as the kubelet lays one out, holding the test bundle; a termination-message
 * file per container; command, args, workingDir, env in order (secretKeyRef values from the test's vault),
 * mounts, the pod's and container's security context and memory limits. Native sidecars (init containers
 * with restartPolicy Always) start with the pod; the test runs {@link #prepare()} and {@link #startAgent()}.
 * Not carried over: probes (podman 4.3 runs health checks as a command inside the container, and the gateway
 * image has none to run; the tests poll /health themselves) and the pod's restartPolicy (each test watches one
 * run). A volume, mount or variable source it cannot provide, or another seccomp profile, fails the test.
 */
final class PodmanAgentPod implements AutoCloseable {
  /** hack/images.sh tags with $ORCH_IMAGE_TAG too, so a development build can stand beside the shared images. */
  static final String IMAGE_TAG = System.getenv().getOrDefault("ORCH_IMAGE_TAG", "0.1.0");
  private static final ObjectMapper JSON = new ObjectMapper();
  private static final HttpClient HTTP = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(2)).build();

  /**
   * What the resource says about the agent.
   *
   * @param bundle directory under src/test/resources/bundles, the content of the bundle ConfigMap
   * @param secrets vault keys and their values (spec.secrets; the pod gets them through secretKeyRef)
   */
  record Agent(String bundle, Map<String, String> secrets) {
    static Agent of(String bundle) {
      return new Agent(bundle, Map.of());
    }

    Agent withSecrets(Map<String, String> values) {
      return new Agent(bundle, values);
    }

    /** The pod spec the operator makes for an AgentService with this agent and http.port 3000. */
    PodSpec podSpec() {
      AgentTemplate template = new AgentTemplate();
      template.setAgent("test/" + bundle);
      template.setBundle(new Bundle(new Bundle.ConfigMapSource(bundle + "-bundle"), null, null, null, null));
      // The install path must work without a package registry; pointing both tools at a closed port makes any
      // attempt to reach one fail the test instead of silently using the network.
      template.setEnv(List.of(new EnvVar("npm_config_registry", "http://127.0.0.1:9/"),
          new EnvVar("PIP_INDEX_URL", "http://127.0.0.1:9/simple/")));
      OperatorSettings defaults = OperatorSettings.defaults();
      OperatorSettings settings = new OperatorSettings("localhost/orch-runner:" + IMAGE_TAG,
          "localhost/orch-gateway:" + IMAGE_TAG, defaults.baseDomain(), defaults.vaultSecretName(),
          defaults.defaultClusterIssuer(), true, defaults.stableAfter(), defaults.alertCaBundle(), defaults.webhooks(),
          defaults.tls());
      AgentPod.Workload workload = new AgentPod.Workload(Map.of(), Map.of(), OptionalInt.of(AgentPod.DEFAULT_HTTP_PORT),
          true, "Always", List.of());
      return AgentPod.template(template, List.copyOf(secrets.keySet()), workload, settings).getSpec();
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
  private final PodSpec spec;
  private final Map<String, String> vault;
  private final Map<Integer, Integer> publishedPorts = new LinkedHashMap<>();

  private PodmanAgentPod(Podman podman, String name, Path dir, PodSpec spec, Map<String, String> vault) {
    this.podman = podman;
    this.name = name;
    this.dir = dir;
    this.spec = spec;
    this.vault = vault;
  }

  /** Creates the pod and its volumes and starts its native sidecars; {@link #prepare()} and {@link #startAgent()} follow. */
  static PodmanAgentPod start(Podman podman, String name, Path workRoot, Agent agent) {
    for (int attempt = 1; ; attempt++) {
      PodmanAgentPod pod = new PodmanAgentPod(podman, name, workRoot.resolve(name), agent.podSpec(), agent.secrets());
      try {
        pod.create(bundles().resolve(agent.bundle()));
        return pod;
      } catch (IllegalStateException e) {
        pod.close();
        // A port found free can be taken by another process on the machine before podman binds it.
        if (attempt == 3 || !e.getMessage().contains("address already in use")) {
          throw e;
        }
      }
    }
  }

  private void create(Path bundle) {
    createVolumes(bundle);
    List<String> command = new ArrayList<>(List.of("pod", "create", "--name", name));
    for (Container container : allContainers()) {
      for (ContainerPort port : container.getPorts()) {
        int published = freePort();
        publishedPorts.put(port.getContainerPort(), published);
        command.addAll(List.of("-p", "127.0.0.1:" + published + ":" + port.getContainerPort()));
      }
    }
    podman.ok(command.toArray(String[]::new));
    for (Container sidecar : spec.getInitContainers()) {
      if ("Always".equals(sidecar.getRestartPolicy())) {
        run(sidecar, true).orThrow();
      }
    }
  }

  /** Runs the {@code prepare} init container to completion. */
  Podman.Result prepare() {
    return run(container(AgentPod.PREPARE_CONTAINER), false);
  }

  void startAgent() {
    run(container(AgentPod.AGENT_CONTAINER), true).orThrow();
  }

  /** Stops the agent container as the kubelet does (SIGTERM, then SIGKILL after the grace period). */
  void stopAgent() {
    podman.ok("stop", "-t", "10", podmanName(AgentPod.AGENT_CONTAINER));
  }

  int awaitExit(String container) {
    return Integer.parseInt(podman.run(Duration.ofSeconds(60), "wait", podmanName(container)).orThrow().stdout()
        .strip());
  }

  String logs(String container) {
    Podman.Result result = podman.run("logs", podmanName(container)).orThrow();
    return result.stdout() + result.stderr();
  }

  Podman.Result exec(String container, String... command) {
    List<String> args = new ArrayList<>(List.of("exec", podmanName(container)));
    args.addAll(List.of(command));
    return podman.run(args.toArray(String[]::new));
  }

  /** What the agent container left at its terminationMessagePath. */
  String terminationMessage() {
    return read(terminationFile(AgentPod.AGENT_CONTAINER));
  }

  /** The runner's status file, read from the host side of the status volume; null before the first write. */
  JsonNode status() {
    Path file = dir.resolve("volumes/status/agent.json");
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

  /** The loopback port the gateway's :8080 is published on. */
  int port() {
    return publishedPorts.get(AgentPod.GATEWAY_PORT);
  }

  /** Every container's log, for a failed test's output. */
  String describe() {
    StringBuilder text = new StringBuilder("pod " + name + " (published ports " + publishedPorts + ", volumes in " + dir
        + ")\n");
    for (String container : allContainers().stream().map(Container::getName).toList()) {
      Podman.Result logs = podman.run("logs", podmanName(container));
      if (logs.exitCode() == 0) {
        text.append("--- ").append(container).append(" (exit ")
            .append(podman.run("inspect", "--format", "{{.State.ExitCode}} {{.State.Status}}", podmanName(container))
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

  private List<Container> allContainers() {
    return Stream.concat(spec.getInitContainers().stream(), spec.getContainers().stream()).toList();
  }

  private Container container(String containerName) {
    return allContainers().stream().filter(c -> c.getName().equals(containerName)).findFirst()
        .orElseThrow(() -> new IllegalArgumentException("AgentPod made no container " + containerName));
  }

  private String podmanName(String container) {
    return name + "-" + container;
  }

  private Path terminationFile(String container) {
    return dir.resolve("termination-" + container);
  }

  /** Each volume as a host directory: emptyDirs world-writable, the ConfigMap holding the test bundle. */
  private void createVolumes(Path bundle) {
    try {
      deleteTree(dir);
      for (Volume volume : spec.getVolumes()) {
        Path path = Files.createDirectories(dir.resolve("volumes").resolve(volume.getName()));
        if (volume.getEmptyDir() != null) {
          Files.setPosixFilePermissions(path, PosixFilePermissions.fromString("rwxrwxrwx"));
        } else if (volume.getConfigMap() != null && volume.getConfigMap().getItems().isEmpty()) {
          writeConfigMapVolume(bundle, path);
        } else {
          throw new IllegalArgumentException("pod-tests cannot provide volume " + volume);
        }
      }
      for (Container container : allContainers()) {
        Path termination = Files.createFile(terminationFile(container.getName()));
        Files.setPosixFilePermissions(termination, PosixFilePermissions.fromString("rw-rw-rw-"));
      }
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  /** podman run of one container of the spec, in the pod, with what the kubelet would give it. */
  private Podman.Result run(Container container, boolean detached) {
    List<String> command = new ArrayList<>(List.of("run", "--pod", name, "--name", podmanName(container.getName())));
    if (detached) {
      command.add("--detach");
    }
    command.addAll(securityOptions(spec.getSecurityContext(), container.getSecurityContext()));
    command.addAll(List.of("--entrypoint", json(container.getCommand())));
    if (container.getWorkingDir() != null) {
      command.addAll(List.of("--workdir", container.getWorkingDir()));
    }
    for (io.fabric8.kubernetes.api.model.EnvVar variable : container.getEnv()) {
      command.addAll(List.of("-e", variable.getName() + "=" + value(variable)));
    }
    for (VolumeMount mount : container.getVolumeMounts()) {
      if (mount.getSubPath() != null) {
        throw new IllegalArgumentException("pod-tests cannot mount a subPath: " + mount);
      }
      command.addAll(List.of("-v", dir.resolve("volumes").resolve(mount.getName()) + ":" + mount.getMountPath()
          + (Boolean.TRUE.equals(mount.getReadOnly()) ? ":ro" : "")));
    }
    String terminationPath = Objects.requireNonNullElse(container.getTerminationMessagePath(), "/dev/termination-log");
    command.addAll(List.of("-v", terminationFile(container.getName()) + ":" + terminationPath));
    if (container.getResources() != null) {
      Quantity memory = container.getResources().getLimits().get("memory");
      if (memory != null) {
        command.addAll(List.of("--memory", Quantity.getAmountInBytes(memory).toBigInteger().toString()));
      }
    }
    command.add(container.getImage());
    command.addAll(container.getArgs());
    return podman.run(Duration.ofMinutes(3), command.toArray(String[]::new));
  }

  /** The pod's and the container's security context as podman options (the container's value wins, as in Kubernetes). */
  private static List<String> securityOptions(PodSecurityContext pod, SecurityContext container) {
    Long user = first(container.getRunAsUser(), pod.getRunAsUser());
    Long group = first(container.getRunAsGroup(), pod.getRunAsGroup());
    if (Boolean.TRUE.equals(first(container.getRunAsNonRoot(), pod.getRunAsNonRoot())) && (user == null || user == 0)) {
      throw new IllegalArgumentException("runAsNonRoot without a non-root runAsUser: the kubelet would refuse to start it");
    }
    String seccomp = first(container.getSeccompProfile(), pod.getSeccompProfile()).getType();
    if (!"RuntimeDefault".equals(seccomp)) {
      throw new IllegalArgumentException("pod-tests run only the RuntimeDefault seccomp profile, not " + seccomp);
    }
    List<String> options = new ArrayList<>();
    if (user != null) {
      options.addAll(List.of("--user", user + (group == null ? "" : ":" + group)));
    }
    if (pod.getFsGroup() != null) {
      options.addAll(List.of("--group-add", pod.getFsGroup().toString()));
    }
    if (Boolean.TRUE.equals(container.getReadOnlyRootFilesystem())) {
      options.addAll(List.of("--read-only", "--read-only-tmpfs=false"));
    }
    if (Boolean.FALSE.equals(container.getAllowPrivilegeEscalation())) {
      options.addAll(List.of("--security-opt", "no-new-privileges"));
    }
    if (container.getCapabilities() != null) {
      container.getCapabilities().getDrop().forEach(capability -> options.addAll(List.of("--cap-drop", capability)));
      container.getCapabilities().getAdd().forEach(capability -> options.addAll(List.of("--cap-add", capability)));
    }
    return options;
  }

  /** A variable's value as the kubelet resolves it: literal, or the vault Secret's key. */
  private String value(io.fabric8.kubernetes.api.model.EnvVar variable) {
    if (variable.getValueFrom() == null) {
      return variable.getValue();
    }
    var secretKey = variable.getValueFrom().getSecretKeyRef();
    if (secretKey == null || !vault.containsKey(secretKey.getKey())) {
      throw new IllegalArgumentException("pod-tests cannot provide " + variable + " (only keys of the test's vault)");
    }
    return vault.get(secretKey.getKey());
  }

  private static <T> T first(T preferred, T fallback) {
    return preferred != null ? preferred : fallback;
  }

  private static String json(List<String> values) {
    try {
      return JSON.writeValueAsString(values);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  private URI uri(String path) {
    return URI.create("http://127.0.0.1:" + port() + path);
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
