package dev.orch.nodetests;

import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.stream.Stream;

import dev.orch.localcluster.SharedCluster;
import dev.orch.operator.agentservice.AgentService;
import dev.orch.operator.core.status.AgentState;
import io.fabric8.kubernetes.api.model.ContainerStatus;
import io.fabric8.kubernetes.api.model.NamespaceBuilder;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.client.ConfigBuilder;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientBuilder;

/**
 * {@code make bench-node}: figures from the real node, printed, not asserted.
 * <ul>
 *   <li>apply → the agent answering through its Service, for 10 fresh services one after another, p50/p90, split
 *       into scheduling (apply → pod bound to the node), prepare (→ init container done) and first {@code /health}
 *       200 from the gateway;</li>
 *   <li>crash-loop detection: the kubelet's restart that reaches maxRestartFailures → status {@code crash-loop};</li>
 *   <li>memory of one agent pod by container: the node's cgroup figures and PSS/RSS per process (PSS divides
 *       shared pages among the processes sharing them), plus the runtime's own share (pause, containerd shim).</li>
 * </ul>
 */
public final class NodeBenchmark {
  private static final int SERVICES = 10;
  private static final HttpClient HTTP = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(1)).build();

  private NodeBenchmark() {
  }

  public static void main(String[] args) throws Exception {
    NodeTier tier = NodeTier.get();
    try (KubernetesClient admin = new KubernetesClientBuilder().withConfig(SharedCluster.get().adminConfig()).build()) {
      admin.namespaces().resource(new NamespaceBuilder().withNewMetadata().withName("bench").endMetadata().build()).serverSideApply();
      try (KubernetesClient client = new KubernetesClientBuilder()
          .withConfig(new ConfigBuilder(SharedCluster.get().adminConfig()).withNamespace("bench").build()).build()) {
        Cluster cluster = new Cluster(client);
        cluster.bundle("hello-bundle", Map.of("main.py", Files.readString(Path.of(System.getProperty("orch.repo.dir"), "examples/hello-http/main.py"))));
        startLatency(client, cluster);
        crashLoopDetection(client, cluster);
        podMemory(client, cluster);
      }
    } finally {
      System.out.println("(operator log: " + tier.operatorLog + ")");
      System.exit(0);
    }
  }

  private static void startLatency(KubernetesClient client, Cluster cluster) throws Exception {
    List<long[]> phases = new ArrayList<>();
    for (int i = 0; i < SERVICES; i++) {
      String name = "hello-" + i;
      long start = System.nanoTime();
      cluster.apply(Cluster.agentService(name, "hello-bundle", ""));
      long scheduled = -1;
      long prepared = -1;
      long healthy = -1;
      long answered = -1;
      long deadline = start + Duration.ofMinutes(3).toNanos();
      while (answered < 0 && System.nanoTime() < deadline) {
        Optional<Pod> pod = cluster.pods(name).stream().findFirst();
        long now = System.nanoTime() - start;
        if (pod.isPresent()) {
          Pod p = pod.get();
          if (scheduled < 0 && p.getSpec().getNodeName() != null) {
            scheduled = now;
          }
          if (prepared < 0 && initDone(p)) {
            prepared = now;
          }
          if (healthy < 0 && p.getStatus().getPodIP() != null && ok("http://" + p.getStatus().getPodIP() + ":8080/health")) {
            healthy = System.nanoTime() - start;
          }
        }
        if (healthy >= 0 && ok("http://" + client.services().withName(name).get().getSpec().getClusterIP() + "/")) {
          answered = System.nanoTime() - start;
        }
        Thread.sleep(20);
      }
      phases.add(new long[] {scheduled, prepared, healthy, answered});
      System.out.printf(Locale.ROOT, "service %d: scheduled %s, prepare done %s, /health 200 %s, answering %s%n", i,
          ms(scheduled), ms(prepared), ms(healthy), ms(answered));
    }
    System.out.println();
    String[] names = {"apply → scheduled", "apply → prepare done", "apply → first /health 200", "apply → answering via Service"};
    for (int phase = 0; phase < names.length; phase++) {
      final int index = phase;
      long[] values = phases.stream().mapToLong(p -> p[index]).filter(v -> v >= 0).sorted().toArray();
      System.out.printf(Locale.ROOT, "%-32s p50 %s  p90 %s  (n=%d)%n", names[phase], ms(percentile(values, 50)),
          ms(percentile(values, 90)), values.length);
    }
    for (int i = 0; i < SERVICES; i++) {
      client.resources(AgentService.class).withName("hello-" + i).delete();
    }
  }

  private static void crashLoopDetection(KubernetesClient client, Cluster cluster) throws Exception {
    int maxRestartFailures = 3;
    cluster.bundle("crash-bundle", Map.of("main.py", "import sys\nsys.exit(1)\n"));
    cluster.apply(Cluster.agentService("crasher", "crash-bundle", "  maxRestartFailures: " + maxRestartFailures + "\n"));
    long start = System.nanoTime();
    long thresholdSeen = -1;
    long paused = -1;
    while (paused < 0 && System.nanoTime() - start < Duration.ofMinutes(5).toNanos()) {
      int restarts = cluster.pods("crasher").stream().flatMap(p -> containerStatuses(p).stream())
          .filter(s -> s.getName().equals("agent")).mapToInt(ContainerStatus::getRestartCount).max().orElse(0);
      if (thresholdSeen < 0 && restarts >= maxRestartFailures) {
        thresholdSeen = System.nanoTime();
      }
      AgentService service = client.resources(AgentService.class).withName("crasher").get();
      if (service.getStatus() != null && service.getStatus().getState() == AgentState.CRASH_LOOP) {
        paused = System.nanoTime();
      }
      Thread.sleep(20);
    }
    System.out.printf(Locale.ROOT, "%ncrash loop (exit 1, maxRestartFailures %d, kubelet back-off capped at 5 s): apply → paused %s;"
        + " kubelet restart #%d observed → status crash-loop %s%n", maxRestartFailures, ms(paused - start), maxRestartFailures,
        thresholdSeen < 0 || paused < 0 ? "n/a" : ms(paused - thresholdSeen));
    client.resources(AgentService.class).withName("crasher").delete();
  }

  private static void podMemory(KubernetesClient client, Cluster cluster) throws Exception {
    cluster.apply(Cluster.agentService("measured", "hello-bundle", ""));
    cluster.awaitAnswer("measured", "/");
    Thread.sleep(5_000);
    Pod pod = cluster.pods("measured").get(0);
    String uid = pod.getMetadata().getUid();
    System.out.printf(Locale.ROOT, "%nmemory of one idle agent pod (%s), by container:%n", pod.getMetadata().getName());
    System.out.printf(Locale.ROOT, "  %-10s %12s %12s %10s %10s  %s%n", "container", "cgroup usage", "cgroup rss", "PSS", "RSS", "processes");
    for (ContainerStatus status : containerStatuses(pod)) {
      if (status.getContainerID() == null || status.getState().getRunning() == null) {
        continue;
      }
      String id = status.getContainerID().replaceFirst("^[a-z]+://", "");
      Optional<Path> cgroup = memoryCgroup(uid, id);
      if (cgroup.isEmpty()) {
        System.out.printf(Locale.ROOT, "  %-10s (no memory cgroup found for %s)%n", status.getName(), id);
        continue;
      }
      printCgroup(status.getName(), cgroup.get());
    }
    // The runtime's own per-pod cost: the sandbox's pause process and the containerd shim that parents the pod.
    Optional<Path> podCgroup = containerStatuses(pod).stream().filter(c -> c.getContainerID() != null)
        .map(c -> memoryCgroupQuietly(uid, c.getContainerID().replaceFirst("^[a-z]+://", ""))).flatMap(Optional::stream)
        .map(Path::getParent).findFirst();
    if (podCgroup.isPresent()) {
      try (Stream<Path> dirs = Files.list(podCgroup.get())) {
        for (Path dir : dirs.filter(Files::isDirectory).toList()) {
          List<Long> pids = pids(dir);
          if (!pids.isEmpty() && command(pids.get(0)).contains("pause")) {
            printCgroup("pause", dir);
            long shim = parent(pids.get(0));
            long[] shimMemory = pssAndRss(shim);
            System.out.printf(Locale.ROOT, "  %-10s %12s %12s %10s %10s  %s%n", "shim", "-", "-", kib(shimMemory[0]), kib(shimMemory[1]), command(shim));
          }
        }
      }
    }
    client.resources(AgentService.class).withName("measured").delete();
  }

  private static void printCgroup(String name, Path cgroup) throws IOException {
    long usage = Long.parseLong(Files.readString(cgroup.resolve("memory.usage_in_bytes")).strip());
    long rss = Files.readAllLines(cgroup.resolve("memory.stat")).stream().filter(l -> l.startsWith("rss "))
        .mapToLong(l -> Long.parseLong(l.substring(4).strip())).findFirst().orElse(0);
    long pss = 0;
    long processRss = 0;
    List<String> commands = new ArrayList<>();
    for (long pid : pids(cgroup)) {
      long[] memory = pssAndRss(pid);
      pss += memory[0];
      processRss += memory[1];
      commands.add(pid + ":" + command(pid));
    }
    System.out.printf(Locale.ROOT, "  %-10s %12s %12s %10s %10s  %s%n", name, kib(usage / 1024), kib(rss / 1024), kib(pss), kib(processRss), commands);
  }

  /** The container's memory cgroup, read from /proc/PID/cgroup of a process whose cgroup names the container. */
  private static Optional<Path> memoryCgroup(String podUid, String containerId) throws IOException {
    try (Stream<Path> procs = Files.list(Path.of("/proc"))) {
      for (Path proc : procs.filter(p -> p.getFileName().toString().matches("\\d+")).toList()) {
        try {
          for (String line : Files.readAllLines(proc.resolve("cgroup"))) {
            String[] fields = line.split(":", 3);
            if (fields.length == 3 && fields[1].equals("memory") && fields[2].contains(containerId)) {
              return Optional.of(Path.of("/sys/fs/cgroup/memory" + fields[2]));
            }
          }
        } catch (IOException gone) {
          // the process ended while we looked
        }
      }
    }
    return Optional.empty();
  }

  static Optional<Path> memoryCgroupQuietly(String podUid, String containerId) {
    try {
      return memoryCgroup(podUid, containerId);
    } catch (IOException e) {
      return Optional.empty();
    }
  }

  static List<Long> pids(Path cgroup) throws IOException {
    return Files.readAllLines(cgroup.resolve("cgroup.procs")).stream().filter(l -> !l.isBlank()).map(Long::parseLong).toList();
  }

  static long[] pssAndRss(long pid) {
    try {
      long pss = 0;
      long rss = 0;
      for (String line : Files.readAllLines(Path.of("/proc", Long.toString(pid), "smaps_rollup"))) {
        String[] fields = line.split("\\s+");
        if (fields[0].equals("Pss:")) {
          pss = Long.parseLong(fields[1]);
        } else if (fields[0].equals("Rss:")) {
          rss = Long.parseLong(fields[1]);
        }
      }
      return new long[] {pss, rss};
    } catch (IOException e) {
      return new long[] {0, 0};
    }
  }

  static long parent(long pid) throws IOException {
    return Files.readAllLines(Path.of("/proc", Long.toString(pid), "status")).stream().filter(l -> l.startsWith("PPid:"))
        .mapToLong(l -> Long.parseLong(l.substring(5).strip())).findFirst().orElse(0);
  }

  static String command(long pid) {
    try {
      String[] argv = Files.readString(Path.of("/proc", Long.toString(pid), "cmdline")).split("\0");
      return String.join(" ", Arrays.copyOfRange(argv, 0, Math.min(argv.length, 3)));
    } catch (IOException e) {
      return "?";
    }
  }

  static boolean initDone(Pod pod) {
    return pod.getStatus().getInitContainerStatuses().stream().filter(s -> s.getName().equals("prepare"))
        .anyMatch(s -> s.getState().getTerminated() != null && s.getState().getTerminated().getExitCode() == 0);
  }

  static List<ContainerStatus> containerStatuses(Pod pod) {
    List<ContainerStatus> all = new ArrayList<>(pod.getStatus().getInitContainerStatuses());
    all.addAll(pod.getStatus().getContainerStatuses());
    return all;
  }

  static boolean ok(String url) {
    try {
      return HTTP.send(HttpRequest.newBuilder(URI.create(url)).timeout(Duration.ofSeconds(1)).build(),
          HttpResponse.BodyHandlers.discarding()).statusCode() == 200;
    } catch (IOException e) {
      return false;
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      return false;
    }
  }


  static long percentile(long[] sorted, int p) {
    return sorted.length == 0 ? -1 : sorted[Math.min(sorted.length - 1, (int) Math.ceil(p / 100.0 * sorted.length) - 1)];
  }

  static String ms(long nanos) {
    return nanos < 0 ? "n/a" : String.format(Locale.ROOT, "%d ms", nanos / 1_000_000);
  }

  static String kib(long kib) {
    return String.format(Locale.ROOT, "%.1f MiB", kib / 1024.0);
  }
}
