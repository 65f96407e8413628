package dev.orch.operator.bench;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import dev.orch.localcluster.ClusterConnection;
import dev.orch.localcluster.LocalControlPlane;
import dev.orch.localcluster.SharedCluster;
import dev.orch.operator.testing.PackagedOperator;
import dev.orch.operator.testing.Vault;
import io.fabric8.kubernetes.api.model.NamespaceBuilder;
import io.fabric8.kubernetes.client.ConfigBuilder;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientBuilder;

/**
 * `make bench-memory`: the packaged operator (quarkus-run.jar with the image's {@code operator/image/jvm.options})
 * as a separate process, watching all namespaces as the chart's defaults do, with N AgentServices applied; prints
 * its live heap per AgentService, resident memory and threads. A harness that prints numbers, not a test.
 *
 * <p>Outside a container the JVM sizes its heap from the machine's memory, so {@code -XX:MaxRAM} is set to the
 * chart's memory limit (or {@code orch.bench.memory-limit-mib}): the heap is then what it is in the pod. The
 * kube-controller-manager runs, so each Deployment gets a ReplicaSet and a (never scheduled) Pod that the
 * operator's pod informers see.
 *
 * <p>For each N ({@code orch.bench.sizes}, default 1,000 and 5,000, cumulative): after convergence, the live heap
 * (a full GC through {@code jcmd GC.class_histogram}), RSS and PSS; then a restart of the operator with N existing
 * services, since the first sync after a restart is the peak (its high-water RSS is reported too).
 */
public final class OperatorMemoryBenchmark {
  /**
   * The container's memory limit: the chart's default (helm/orch-operator/values.yaml, resources.limits.memory)
   * unless {@code orch.bench.memory-limit-mib} says otherwise (5,000 services need more than the default).
   */
  private static final long MEMORY_LIMIT_MIB = Long.getLong("orch.bench.memory-limit-mib", 512);
  /** Creating Services slows as they accumulate (README, Operating at scale): 10,000 took 15–17 minutes here. */
  private static final Duration CONVERGENCE_TIMEOUT = Duration.ofMinutes(Long.getLong("orch.bench.convergence-minutes", 20));
  private static final Pattern HISTOGRAM_TOTAL = Pattern.compile("(?m)^Total\\s+(\\d+)\\s+(\\d+)\\s*$");

  private OperatorMemoryBenchmark() {
  }

  public static void main(String[] args) throws Exception {
    Path repo = Path.of(System.getProperty("orch.repo.dir", "."));
    Path jar = PackagedOperator.packagedJar(repo, "bench-memory");
    // A system property, not exec.args, which would also reach the operator module's own exec execution.
    List<Integer> sizes = java.util.Arrays.stream(System.getProperty("orch.bench.sizes", "1000 5000").split("[ ,]+"))
        .filter(size -> !size.isBlank()).map(Integer::valueOf).toList();
    ClusterConnection cluster = SharedCluster.get();
    cluster.ensureControllerManager();
    String namespace = "bench-memory-" + System.currentTimeMillis() % 100000;
    try (KubernetesClient admin = new KubernetesClientBuilder().withConfig(cluster.adminConfig()).build()) {
      admin.namespaces().resource(new NamespaceBuilder().withNewMetadata().withName(namespace).endMetadata().build()).create();
    }
    try (KubernetesClient client = new KubernetesClientBuilder().withConfig(new ConfigBuilder(cluster.adminConfig())
        .withNamespace(namespace).withMaxConcurrentRequests(64).withMaxConcurrentRequestsPerHost(64).build()).build()) {
      Vault.put(client, Map.of("TOKEN", "x"));
      OperatorProcess operator = OperatorProcess.start(repo, jar, cluster, "0");
      Sample idle = operator.sample();
      System.out.printf("%nidle: %s%n", idle);
      int applied = 0;
      for (int n : sizes) {
        long start = System.nanoTime();
        apply(client, namespace, applied, n);
        applied = n;
        if (!awaitConverged(client, n)) {
          return;
        }
        System.out.printf("%n=== packaged operator, %d AgentServices (converged %.0f s after the first apply) ===%n", n,
            (System.nanoTime() - start) / 1e9);
        Sample steady = operator.sample();
        System.out.printf("steady:                %s%n", steady);
        System.out.printf("live heap per service: %.1f KiB ((live - idle live) / N)%n",
            (steady.liveHeapBytes() - idle.liveHeapBytes()) / 1024.0 / n);
        System.out.printf("top of the live heap:%n%s", steady.topClasses());
        operator.stop();

        OperatorWrites writesSince = cluster instanceof LocalControlPlane local ? OperatorWrites.from(local) : null;
        operator = OperatorProcess.start(repo, jar, cluster, Integer.toString(n));
        long restartedAt = System.nanoTime();
        if (!awaitReconciled(operator, n)) {
          System.out.printf("restart, first sync:   the operator exited after %.0f s (peak RSS %d MiB): %s%n",
              (System.nanoTime() - restartedAt) / 1e9, operator.peakRssMiB(), operator.lastLogLine());
          return;
        }
        Sample restarted = operator.sample();
        System.out.printf("restart, first sync:   %.0f s to reconcile all; %s%n", (System.nanoTime() - restartedAt) / 1e9,
            restarted);
        if (writesSince != null) {
          System.out.printf("writes by that resync: %s (audit log; the controller manager's meanwhile: %s)%n",
              writesSince.summary(namespace), writesSince.controllerManager(namespace));
        }
        System.out.printf("headroom under the %d MiB limit: %.0f %% (peak RSS %d MiB)%n", MEMORY_LIMIT_MIB,
            100.0 * (MEMORY_LIMIT_MIB - restarted.peakRssMiB()) / MEMORY_LIMIT_MIB, restarted.peakRssMiB());
      }
      operator.stop();
    }
    System.exit(0);
  }

  private static void apply(KubernetesClient client, String namespace, int from, int to) throws InterruptedException {
    ExecutorService appliers = Executors.newFixedThreadPool(16);
    for (int i = from; i < to; i++) {
      String name = "agent-" + i;
      appliers.submit(() -> client.resource(AgentServiceBenchmark.service(name, namespace)).create());
    }
    appliers.shutdown();
    appliers.awaitTermination(30, TimeUnit.MINUTES);
  }

  /** False, having said so, when not all converged in time: a figure per service would then be wrong. */
  private static boolean awaitConverged(KubernetesClient client, int n) throws InterruptedException {
    long deadline = System.nanoTime() + CONVERGENCE_TIMEOUT.toNanos();
    long converged = 0;
    while (System.nanoTime() < deadline && (converged = AgentServiceBenchmark.converged(client)) < n) {
      Thread.sleep(2000);
    }
    if (converged < n) {
      System.out.printf("only %d of %d AgentServices converged within %s; no figures (more time: "
          + "BENCH_MEMORY_MINUTES)%n", converged, n, CONVERGENCE_TIMEOUT);
      return false;
    }
    // Let the workload controllers' ReplicaSets and Pods reach the operator's caches too.
    Thread.sleep(10_000);
    return true;
  }

  /**
   * After a restart nothing changes in status, so "done" is the operator's own count of reconciles; false when the
   * operator exited first (out of memory, as the chart's defaults did before).
   */
  private static boolean awaitReconciled(OperatorProcess operator, int n) throws InterruptedException {
    long deadline = System.nanoTime() + CONVERGENCE_TIMEOUT.toNanos();
    while (System.nanoTime() < deadline && operator.reconciles() < n) {
      if (!operator.isAlive()) {
        return false;
      }
      Thread.sleep(1000);
    }
    Thread.sleep(5000);
    return operator.isAlive();
  }

  /** One measurement of the operator process; memory in MiB except the live heap. */
  record Sample(long liveHeapBytes, long rssMiB, long pssMiB, long peakRssMiB, int threads, String topClasses) {
    @Override
    public String toString() {
      return String.format("live heap %d MiB, RSS %d MiB, PSS %d MiB, peak RSS %d MiB, %d threads",
          liveHeapBytes / (1024 * 1024), rssMiB, pssMiB, peakRssMiB, threads);
    }
  }

  /** quarkus-run.jar started as the image starts it, plus the chart's memory limit as MaxRAM. */
  private static final class OperatorProcess {
    private final PackagedOperator operator;
    private long peakRssMiB;

    private OperatorProcess(PackagedOperator operator) {
      this.operator = operator;
    }

    /** Alive, and if so its high-water RSS noted, since a process that died has no /proc entry to read it from. */
    boolean isAlive() {
      try {
        peakRssMiB = kib(Files.readString(Path.of("/proc/" + operator.pid() + "/status")), "VmHWM") / 1024;
      } catch (IOException e) {
        return false;
      }
      return operator.isAlive();
    }

    long peakRssMiB() {
      return peakRssMiB;
    }

    String lastLogLine() {
      return operator.logTail(1);
    }

    static OperatorProcess start(Path repo, Path jar, ClusterConnection cluster, String label) {
      Path log = repo.resolve("operator/target/bench-memory-operator-" + label + ".log");
      return new OperatorProcess(PackagedOperator.launch(cluster, log).jar(jar)
          .jvmOptions("@" + repo.resolve("operator/image/jvm.options"), "-XX:MaxRAM=" + MEMORY_LIMIT_MIB + "m")
          .startupTimeout(Duration.ofSeconds(120)).start());
    }

    long reconciles() {
      return operator.reconciles();
    }

    Sample sample() throws Exception {
      String histogram = run("jcmd", Long.toString(operator.pid()), "GC.class_histogram");
      Matcher total = HISTOGRAM_TOTAL.matcher(histogram);
      if (!total.find()) {
        throw new IllegalStateException("no Total line in jcmd GC.class_histogram:\n" + histogram);
      }
      String top = histogram.lines().filter(l -> l.matches("^\\s*\\d+:\\s+\\d+.*")).limit(12).map(l -> "  " + l.strip() + "\n")
          .reduce("", String::concat);
      String rollup = Files.readString(Path.of("/proc/" + operator.pid() + "/smaps_rollup"));
      String status = Files.readString(Path.of("/proc/" + operator.pid() + "/status"));
      return new Sample(Long.parseLong(total.group(2)), kib(rollup, "Rss") / 1024, kib(rollup, "Pss") / 1024,
          kib(status, "VmHWM") / 1024, (int) kib(status, "Threads"), top);
    }

    void stop() {
      operator.stop();
    }

    private static long kib(String procFile, String field) {
      Matcher m = Pattern.compile("(?m)^" + field + ":\\s+(\\d+)").matcher(procFile);
      if (!m.find()) {
        throw new IllegalStateException("no " + field + " in\n" + procFile);
      }
      return Long.parseLong(m.group(1));
    }

    private static String run(String... command) throws InterruptedException {
      try {
        Process p = new ProcessBuilder(command).redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes());
        p.waitFor();
        return out;
      } catch (IOException e) {
        throw new UncheckedIOException(e);
      }
    }
  }
}
