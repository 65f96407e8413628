package dev.orch.nodetests;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;

import dev.orch.localcluster.SharedCluster;
import dev.orch.operator.agentservice.AgentService;
import dev.orch.operator.core.MetadataKeys;
import dev.orch.operator.core.status.AgentState;
import dev.orch.operator.sleep.SleepRequests;
import io.fabric8.kubernetes.api.model.ContainerStatus;
import io.fabric8.kubernetes.api.model.NamespaceBuilder;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.client.ConfigBuilder;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientBuilder;

/**
 * {@code make bench-wake}: wake latency on the real node, printed, not asserted. A {@code hello-http} service
 * (with a requirements.txt, so prepare makes a venv and runs pip) with {@code sleep: {}} is put to sleep by hand and
 * woken by one request through its Service, 10 times, first without and then with {@code dependencyCache} (a
 * local volume): from
 * the request to its answer (p50/p90), split into the wake request reaching the AgentService, scale-up
 * (Deployment replicas back), scheduling, prepare done (its init container; n/a with the cache, whose pods run
 * prepare in the agent container), agent container running, gateway {@code /health} 200,
 * and the answer. Then the memory a sleeping service frees: its pod's memory cgroup (every container and the
 * sandbox's pause) and the containerd shim's PSS, measured while it is awake and idle.
 */
public final class WakeBenchmark {
  private static final int WAKES = 10;
  private static final HttpClient HTTP = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1)
      .connectTimeout(Duration.ofSeconds(5)).build();
  /** Nothing to download, but prepare makes a venv and runs pip, as for an agent with dependencies. */
  private static final String REQUIREMENTS = "# no third-party packages\n";
  private static final String[] PHASES = {"request → wake asked", "request → scaled up", "request → pod scheduled",
      "request → prepare done", "request → agent running", "request → /health 200", "request → answered"};

  private WakeBenchmark() {
  }

  public static void main(String[] args) throws Exception {
    NodeTier tier = NodeTier.get();
    try (KubernetesClient admin = new KubernetesClientBuilder().withConfig(SharedCluster.get().adminConfig()).build()) {
      admin.namespaces().resource(new NamespaceBuilder().withNewMetadata().withName("bench-wake").endMetadata().build())
          .serverSideApply();
      try (KubernetesClient client = new KubernetesClientBuilder()
          .withConfig(new ConfigBuilder(SharedCluster.get().adminConfig()).withNamespace("bench-wake").build()).build()) {
        Cluster cluster = new Cluster(client);
        cluster.bundle("hello-bundle", Map.of("main.py",
            Files.readString(Path.of(System.getProperty("orch.repo.dir"), "examples/hello-http/main.py")),
            "requirements.txt", REQUIREMENTS));
        long freedKib = wakes(client, cluster, "dozer", "  sleep: {}\n", true);
        NodeTier.localVolume(client, "256Mi");
        wakes(client, cluster, "cached", """
              sleep: {}
              dependencyCache:
                size: 256Mi
                storageClassName: %s
            """.formatted(NodeTier.LOCAL_STORAGE_CLASS), false);
        System.out.printf(Locale.ROOT, "%nmemory freed per sleeping service (its idle pod: cgroup usage of every container"
            + " and pause, plus the containerd shim's PSS): %s%n", NodeBenchmark.kib(freedKib));
      }
    } catch (Exception e) {
      e.printStackTrace(System.out);
    } finally {
      System.out.println("(operator log: " + tier.operatorLog + ")");
      System.exit(0);
    }
  }

  /**
   * Puts one service to sleep and wakes it {@value #WAKES} times, prints each wake and the percentiles, and deletes
   * it; returns the memory of its idle pod when asked (else 0).
   */
  private static long wakes(KubernetesClient client, Cluster cluster, String name, String moreSpec, boolean measureMemory)
      throws Exception {
    cluster.apply(Cluster.agentService(name, "hello-bundle", moreSpec));
    cluster.awaitAnswer(name, "/");
    long freedKib = 0;
    if (measureMemory) {
      Thread.sleep(5_000);
      freedKib = podMemoryKib(cluster.pods(name).get(0));
    }
    lastWake = null;
    List<long[]> wakes = new ArrayList<>();
    int fastPaths = 0;
    for (int i = 0; i < WAKES; i++) {
      sleep(client, cluster, name, i);
      wakes.add(wake(client, cluster, name));
      fastPaths += cluster.prepareLog(name).contains("orch-prepare: fast path") ? 1 : 0;
      System.out.printf(Locale.ROOT, "%s wake %d: %s%n", name, i, describe(wakes.get(i)));
    }
    System.out.printf(Locale.ROOT, "%n%s (%s), prepare's fast path in %d of %d wakes:%n", name,
        moreSpec.contains("dependencyCache") ? "dependency cache" : "no dependency cache", fastPaths, WAKES);
    for (int phase = 0; phase < PHASES.length; phase++) {
      final int index = phase;
      long[] values = wakes.stream().mapToLong(w -> w[index]).filter(v -> v >= 0).sorted().toArray();
      System.out.printf(Locale.ROOT, "%-28s p50 %s  p90 %s  (n=%d)%n", PHASES[phase],
          NodeBenchmark.ms(NodeBenchmark.percentile(values, 50)), NodeBenchmark.ms(NodeBenchmark.percentile(values, 90)),
          values.length);
    }
    System.out.println();
    client.resources(AgentService.class).withName(name).delete();
    return freedKib;
  }

  private static void sleep(KubernetesClient client, Cluster cluster, String name, int round) throws Exception {
    Cluster.annotate(client, name, MetadataKeys.SLEEP, "bench-" + round);
    cluster.awaitStatus(AgentService.class, name, "sleeping", s -> s.getState() == AgentState.SLEEPING, Duration.ofSeconds(60));
    long deadline = System.nanoTime() + Duration.ofSeconds(90).toNanos();
    while (!client.pods().withLabel("app.kubernetes.io/instance", name).list().getItems().isEmpty()
        && System.nanoTime() < deadline) {
      Thread.sleep(200);
    }
  }

  /** One request through the Service while the service sleeps, and when each phase of its wake was seen. */
  private static long[] wake(KubernetesClient client, Cluster cluster, String name) throws Exception {
    String clusterIp = client.services().withName(name).get().getSpec().getClusterIP();
    long[] seen = new long[PHASES.length];
    java.util.Arrays.fill(seen, -1);
    boolean prepareInitContainer = true;
    long start = System.nanoTime();
    CompletableFuture<HttpResponse<String>> answer = HTTP.sendAsync(HttpRequest.newBuilder(URI.create("http://" + clusterIp + "/"))
        .timeout(Duration.ofSeconds(90)).build(), HttpResponse.BodyHandlers.ofString());
    while (!answer.isDone() && System.nanoTime() - start < Duration.ofSeconds(90).toNanos()) {
      long now = System.nanoTime() - start;
      Map<String, String> annotations = client.resources(AgentService.class).withName(name).get().getMetadata().getAnnotations();
      mark(seen, 0, now, annotations != null && annotations.containsKey(MetadataKeys.WAKE_ON_REQUEST)
          && !annotations.get(MetadataKeys.WAKE_ON_REQUEST).equals(lastWake));
      Integer replicas = client.apps().deployments().withName(name).get().getSpec().getReplicas();
      mark(seen, 1, now, replicas != null && replicas > 0);
      Optional<Pod> pod = cluster.pods(name).stream().findFirst();
      if (pod.isPresent()) {
        Pod p = pod.get();
        mark(seen, 2, now, p.getSpec().getNodeName() != null);
        prepareInitContainer = p.getSpec().getInitContainers().stream().anyMatch(c -> c.getName().equals("prepare"));
        mark(seen, 3, now, p.getStatus().getInitContainerStatuses() != null && NodeBenchmark.initDone(p));
        mark(seen, 4, now, p.getStatus().getContainerStatuses() != null && p.getStatus().getContainerStatuses().stream()
            .filter(s -> s.getName().equals("agent")).map(ContainerStatus::getState).anyMatch(s -> s.getRunning() != null));
        if (seen[5] < 0 && p.getStatus().getPodIP() != null && NodeBenchmark.ok("http://" + p.getStatus().getPodIP() + ":8080/health")) {
          seen[5] = System.nanoTime() - start;
        }
      }
      Thread.sleep(20);
    }
    HttpResponse<String> response = answer.get();
    seen[6] = response.statusCode() == 200 ? System.nanoTime() - start : -1;
    Map<String, String> annotations = client.resources(AgentService.class).withName(name).get().getMetadata().getAnnotations();
    lastWake = annotations == null ? null : annotations.get(MetadataKeys.WAKE_ON_REQUEST);
    // The answer came before a slow poll saw the last phases: they were done by then. A pod with a dependency cache
    // runs prepare in its agent container (no phase of its own: n/a).
    for (int i = 0; i < seen.length; i++) {
      if (seen[i] < 0 && seen[6] >= 0 && (i != 3 || prepareInitContainer)) {
        seen[i] = seen[6];
      }
    }
    return seen;
  }

  private static String lastWake;

  private static void mark(long[] seen, int phase, long now, boolean reached) {
    if (seen[phase] < 0 && reached) {
      seen[phase] = now;
    }
  }

  private static String describe(long[] wake) {
    List<String> parts = new ArrayList<>();
    for (int i = 0; i < PHASES.length; i++) {
      parts.add(PHASES[i].substring("request → ".length()) + " " + NodeBenchmark.ms(wake[i]));
    }
    return String.join(", ", parts);
  }

  /** The pod's memory cgroup (all its containers and pause) and its shim's PSS, in KiB. */
  private static long podMemoryKib(Pod pod) throws Exception {
    String uid = pod.getMetadata().getUid();
    Optional<Path> podCgroup = NodeBenchmark.containerStatuses(pod).stream().filter(c -> c.getContainerID() != null
            && c.getState().getRunning() != null)
        .map(c -> NodeBenchmark.memoryCgroupQuietly(uid, c.getContainerID().replaceFirst("^[a-z]+://", "")))
        .flatMap(Optional::stream).map(Path::getParent).findFirst();
    if (podCgroup.isEmpty()) {
      throw new IllegalStateException("no memory cgroup found for pod " + pod.getMetadata().getName());
    }
    long usage = Long.parseLong(Files.readString(podCgroup.get().resolve("memory.usage_in_bytes")).strip()) / 1024;
    long shim = 0;
    try (var dirs = Files.list(podCgroup.get())) {
      for (Path dir : dirs.filter(Files::isDirectory).toList()) {
        List<Long> pids = NodeBenchmark.pids(dir);
        if (!pids.isEmpty() && NodeBenchmark.command(pids.get(0)).contains("pause")) {
          shim = NodeBenchmark.pssAndRss(NodeBenchmark.parent(pids.get(0)))[0];
        }
      }
    }
    return usage + shim;
  }
}
