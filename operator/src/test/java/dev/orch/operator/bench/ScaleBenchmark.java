package dev.orch.operator.bench;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collection;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Properties;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;
import java.util.function.Function;
import java.util.function.IntFunction;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;

import dev.orch.localcluster.LocalControlPlane;
import dev.orch.localcluster.SharedCluster;
import dev.orch.operator.agentservice.AgentService;
import dev.orch.operator.agentservice.AgentServicePlan;
import dev.orch.operator.core.config.OperatorSettings;
import dev.orch.operator.core.MetadataKeys;
import dev.orch.operator.core.reconcile.Labels;
import dev.orch.operator.core.reconcile.Plan;
import dev.orch.operator.testing.Kubelet;
import dev.orch.operator.testing.PackagedOperator;
import dev.orch.operator.testing.Vault;
import io.fabric8.kubernetes.api.model.HasMetadata;
import io.fabric8.kubernetes.api.model.NamespaceBuilder;
import io.fabric8.kubernetes.api.model.OwnerReference;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.Service;
import io.fabric8.kubernetes.api.model.apps.Deployment;
import io.fabric8.kubernetes.api.model.apps.DeploymentBuilder;
import io.fabric8.kubernetes.api.model.apps.ReplicaSet;
import io.fabric8.kubernetes.client.ConfigBuilder;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientBuilder;
import io.fabric8.kubernetes.client.Watch;
import io.fabric8.kubernetes.client.Watcher;
import io.fabric8.kubernetes.client.WatcherException;
import io.fabric8.kubernetes.client.dsl.Watchable;

/**
 * `make bench-scale`: the packaged operator (quarkus-run.jar with the image's JVM options) beside
 * kube-controller-manager on one local control plane, in one run:
 * <ol>
 * <li>reference: 1,000 Deployments created at once, timed until the controller manager has made a ReplicaSet for
 * each, with the operator's threads ({@code --concurrent-deployment-syncs}, {@code --concurrent-replicaset-syncs})
 * and no binding client-side rate limit ({@code --kube-api-qps}/{@code --kube-api-burst}; fabric8, the operator's
 * client, has none);</li>
 * <li>1,000 AgentServices created at once, timed until every one has its Deployment and its status written (the
 * status is written after the owned objects are applied), and the ratio to the reference;</li>
 * <li>steady load on top: 20 AgentServices created per second for 60 s (apply → Deployment p50/p99) while the
 * harness, playing the kubelet, reports a restart of 5 existing services' pods per second (pod status →
 * AgentService status p50/p99);</li>
 * <li>a restart of the operator with every service in place: time to reconcile all, and the writes the resync made
 * (audit log; 0 expected), with the operator's RSS and threads.</li>
 * </ol>
 * Each figure is printed with the load average, because the machine is shared. A harness that prints numbers,
 * not a test with a time limit. Sizes: {@code orch.bench.services}, {@code orch.bench.steady-rate},
 * {@code orch.bench.steady-seconds}; the operator's memory limit {@code orch.bench.memory-limit-mib}, more JVM
 * options for it (a profiler) {@code orch.bench.operator-jvm-options}, and its reconcile and workflow threads (the
 * controller manager gets as many) {@code orch.bench.reconcile-threads}.
 */
public final class ScaleBenchmark {
  private static final int SERVICES = Integer.getInteger("orch.bench.services", 1000);
  private static final int STEADY_RATE = Integer.getInteger("orch.bench.steady-rate", 20);
  private static final int STEADY_SECONDS = Integer.getInteger("orch.bench.steady-seconds", 60);
  private static final int POD_CHANGES_PER_SECOND = 5;
  private static final long MEMORY_LIMIT_MIB = Long.getLong("orch.bench.memory-limit-mib", 1024);
  /** Higher than anything the controller manager sends here, so, like the operator's client, it is not limited. */
  private static final int CONTROLLER_MANAGER_QPS = 1000;
  private static final Duration PHASE_TIMEOUT = Duration.ofMinutes(4);

  private ScaleBenchmark() {
  }

  public static void main(String[] args) throws Exception {
    Path repo = Path.of(System.getProperty("orch.repo.dir", "."));
    Path jar = PackagedOperator.packagedJar(repo, "bench-scale");
    if (!(SharedCluster.get() instanceof LocalControlPlane cluster)) {
      throw new IllegalStateException("bench-scale compares with kube-controller-manager on a local control plane; unset ORCH_CLUSTER");
    }
    int threads = Integer.getInteger("orch.bench.reconcile-threads", reconcileThreads(repo));
    List<String> budget = List.of("--kube-api-qps=" + CONTROLLER_MANAGER_QPS, "--kube-api-burst=" + CONTROLLER_MANAGER_QPS,
        "--concurrent-deployment-syncs=" + threads, "--concurrent-replicaset-syncs=" + threads);
    cluster.ensureControllerManager(budget);
    System.out.printf("%n=== bench-scale: %d services, steady %d/s for %d s, operator memory limit %d MiB ===%n", SERVICES,
        STEADY_RATE, STEADY_SECONDS, MEMORY_LIMIT_MIB);
    System.out.printf("operator:                %d reconcile threads, fabric8 client without a client-side rate limit%n", threads);
    System.out.printf("kube-controller-manager: %s%n", String.join(" ", budget));

    try (KubernetesClient admin = new KubernetesClientBuilder().withConfig(new ConfigBuilder(cluster.adminConfig())
        .withMaxConcurrentRequests(64).withMaxConcurrentRequestsPerHost(64).build()).build()) {
      double reference = reference(cluster, admin);
      double floor = sameObjectsFromAClient(cluster, admin, threads);

      String namespace = namespace(admin, "scale-operator");
      try (KubernetesClient inNamespace = new KubernetesClientBuilder()
          .withConfig(new ConfigBuilder(cluster.adminConfig()).withNamespace(namespace).build()).build()) {
        Vault.put(inNamespace, Map.of("TOKEN", "x"));
      }
      PackagedOperator operator = start(repo, jar, cluster, "1");
      FirstSeen<Deployment> deployments = FirstSeen.watch(admin.apps().deployments().inNamespace(namespace), FirstSeen::owner);
      FirstSeen<AgentService> statuses = FirstSeen.watch(admin.resources(AgentService.class).inNamespace(namespace),
          ScaleBenchmark::statusObserved);

      String load = loadAverage();
      Cpu cpu = Cpu.of(cluster, operator);
      ApiServerRequests requests = ApiServerRequests.snapshot(admin);
      Map<String, Long> appliedAt = createAll(SERVICES, i -> "agent-" + i,
          name -> admin.resource(AgentServiceBenchmark.service(name, namespace)).create());
      long start = appliedAt.values().stream().min(Long::compare).orElseThrow();
      deployments.await(SERVICES, PHASE_TIMEOUT);
      statuses.await(SERVICES, PHASE_TIMEOUT);
      double allDeployments = (deployments.last() - start) / 1e9;
      double allStatus = (statuses.last() - start) / 1e9;
      System.out.printf("%n%,d AgentServices created at once (load average before: %s)%n", SERVICES, load);
      System.out.printf("  every Deployment applied       %7.2f s%n", allDeployments);
      System.out.printf("  every status written           %7.2f s   (%.2fx the controller manager's %.2f s; %.2fx a client"
          + " applying the same objects: %.2f s); CPU: %s%n", allStatus, allStatus / reference, reference, allStatus / floor,
          floor, cpu.since());
      System.out.printf("  apply -> Deployment p50/p99    %7.0f / %.0f ms%n", deployments.percentileAfter(appliedAt, 50),
          deployments.percentileAfter(appliedAt, 99));
      System.out.printf("  operator: %s; load average after: %s%n", rss(operator), loadAverage());
      System.out.printf("  API server: %s%n", ApiServerRequests.snapshot(admin).since(requests, 8));

      steady(cluster, operator, admin, namespace, deployments, statuses);

      resync(cluster, repo, jar, operator, namespace, SERVICES + STEADY_RATE * STEADY_SECONDS);
      deployments.close();
      statuses.close();
    }
    System.exit(0);
  }

  /** The controller manager turning {@link #SERVICES} Deployments into ReplicaSets, in seconds. */
  private static double reference(LocalControlPlane cluster, KubernetesClient admin) throws Exception {
    String namespace = namespace(admin, "scale-reference");
    FirstSeen<ReplicaSet> replicaSets = FirstSeen.watch(admin.apps().replicaSets().inNamespace(namespace), FirstSeen::owner);
    String load = loadAverage();
    Cpu cpu = Cpu.of(cluster);
    ApiServerRequests requests = ApiServerRequests.snapshot(admin);
    Map<String, Long> created = createAll(SERVICES, i -> "reference-" + i,
        name -> admin.apps().deployments().inNamespace(namespace).resource(plainDeployment(name)).create());
    long start = created.values().stream().min(Long::compare).orElseThrow();
    replicaSets.await(SERVICES, PHASE_TIMEOUT);
    double seconds = (replicaSets.last() - start) / 1e9;
    System.out.printf("%nreference: %,d Deployments created at once (load average before: %s)%n", SERVICES, load);
    System.out.printf("  every ReplicaSet made          %7.2f s; CPU: %s%n", seconds, cpu.since());
    // Its pods keep the controller manager busy a while; the operator's run starts once they exist.
    long deadline = System.nanoTime() + PHASE_TIMEOUT.toNanos();
    while (admin.pods().inNamespace(namespace).list().getItems().size() < SERVICES && System.nanoTime() < deadline) {
      Thread.sleep(1000);
    }
    System.out.printf("  and their %,d pods             %7.2f s; load average after: %s%n", SERVICES,
        (System.nanoTime() - start) / 1e9, loadAverage());
    System.out.printf("  API server: %s%n", ApiServerRequests.snapshot(admin).since(requests, 8));
    replicaSets.close();
    return seconds;
  }

  /**
   * The Deployment and Service the operator makes for each of {@link #SERVICES} AgentServices, server-side applied by a
   * plain client with the operator's reconcile threads, in seconds: what the API server alone needs for those objects
   * (an AgentService's Service costs it several times a Deployment: ClusterIP allocation). The namespace is deleted
   * and gone before the operator's run, so both meet the same number of Services.
   */
  private static double sameObjectsFromAClient(LocalControlPlane cluster, KubernetesClient admin, int threads)
      throws Exception {
    String namespace = namespace(admin, "scale-client");
    OperatorSettings settings = OperatorSettings.defaults();
    String load = loadAverage();
    Cpu cpu = Cpu.of(cluster);
    ApiServerRequests requests = ApiServerRequests.snapshot(admin);
    List<HasMetadata> objects = new ArrayList<>();
    for (int i = 0; i < SERVICES; i++) {
      AgentService service = AgentServiceBenchmark.service("client-" + i, namespace);
      service.getMetadata().setUid(UUID.randomUUID().toString());
      Plan plan = AgentServicePlan.of(service, List.of("TOKEN"), Map.of(), false, settings);
      objects.add(plan.get(Deployment.class).orElseThrow());
      objects.add(plan.get(Service.class).orElseThrow());
    }
    double seconds = ClientApplies.seconds(admin, objects, threads, "bench-scale");
    System.out.printf("%nthe same objects from a client: %,d Deployments and Services server-side applied, %d threads (load"
        + " average before: %s)%n", SERVICES, threads, load);
    System.out.printf("  every object applied           %7.2f s; CPU: %s%n", seconds, cpu.since());
    System.out.printf("  API server: %s%n", ApiServerRequests.snapshot(admin).since(requests, 4));
    admin.namespaces().withName(namespace).delete();
    long deadline = System.nanoTime() + PHASE_TIMEOUT.toNanos();
    while (admin.namespaces().withName(namespace).get() != null && System.nanoTime() < deadline) {
      Thread.sleep(1000);
    }
    return seconds;
  }

  /**
   * {@link #STEADY_RATE} new AgentServices a second, and {@link #POD_CHANGES_PER_SECOND} pod restarts reported for
   * existing ones, for {@link #STEADY_SECONDS}.
   */
  private static void steady(LocalControlPlane cluster, PackagedOperator operator, KubernetesClient admin, String namespace,
      FirstSeen<Deployment> deployments, FirstSeen<AgentService> statuses) throws Exception {
    Map<String, Pod> pods = new ConcurrentHashMap<>();
    long deadline = System.nanoTime() + PHASE_TIMEOUT.toNanos();
    int wanted = POD_CHANGES_PER_SECOND * STEADY_SECONDS;
    while (pods.size() < wanted && System.nanoTime() < deadline) {
      admin.pods().inNamespace(namespace).withLabel(MetadataKeys.KIND, "agentservice").list().getItems()
          .forEach(p -> pods.putIfAbsent(p.getMetadata().getLabels().get(Labels.INSTANCE), p));
      Thread.sleep(1000);
    }
    List<Pod> changing = pods.values().stream().limit(wanted).toList();
    Map<String, Long> restartReported = new ConcurrentHashMap<>();
    FirstSeen<AgentService> restartShown = FirstSeen.watch(admin.resources(AgentService.class).inNamespace(namespace),
        service -> service.getStatus() != null && service.getStatus().getRestartCount() != null
            && service.getStatus().getRestartCount() > 0 ? Optional.of(service.getMetadata().getName()) : Optional.empty());

    String load = loadAverage();
    Cpu cpu = Cpu.of(cluster, operator);
    ApiServerRequests requests = ApiServerRequests.snapshot(admin);
    Map<String, Long> appliedAt = new ConcurrentHashMap<>();
    ScheduledExecutorService pacer = Executors.newScheduledThreadPool(8);
    long period = 1_000_000_000L / STEADY_RATE;
    int applies = STEADY_RATE * STEADY_SECONDS;
    for (int i = 0; i < applies; i++) {
      String name = "steady-" + i;
      pacer.schedule(() -> {
        appliedAt.put(name, System.nanoTime());
        admin.resource(AgentServiceBenchmark.service(name, namespace)).create();
      }, i * period, TimeUnit.NANOSECONDS);
    }
    long podPeriod = 1_000_000_000L / POD_CHANGES_PER_SECOND;
    for (int i = 0; i < changing.size(); i++) {
      Pod pod = changing.get(i);
      pacer.schedule(() -> {
        restartReported.put(pod.getMetadata().getLabels().get(Labels.INSTANCE), System.nanoTime());
        Kubelet.crashed(admin, admin.pods().inNamespace(namespace).withName(pod.getMetadata().getName()).get(), 1, 1, "boom");
      }, i * podPeriod, TimeUnit.NANOSECONDS);
    }
    pacer.shutdown();
    pacer.awaitTermination(STEADY_SECONDS + 120L, TimeUnit.SECONDS);
    // One deadline for all three, so that a run the operator cannot keep up with still ends within minutes.
    long settleBy = System.nanoTime() + PHASE_TIMEOUT.toNanos();
    deployments.await(SERVICES + applies, until(settleBy));
    statuses.await(SERVICES + applies, until(settleBy));
    restartShown.await(changing.size(), until(settleBy));
    System.out.printf("%nsteady load on top of %,d: %d AgentServices/s for %d s and %d pod restarts/s (load average before: %s)%n",
        SERVICES, STEADY_RATE, STEADY_SECONDS, POD_CHANGES_PER_SECOND, load);
    System.out.printf("  apply -> Deployment p50/p99             %7.0f / %.0f ms (%d applies)%n",
        deployments.percentileAfter(appliedAt, 50), deployments.percentileAfter(appliedAt, 99), appliedAt.size());
    System.out.printf("  pod status -> AgentService status p50/p99 %5.0f / %.0f ms (%d pod changes)%n",
        restartShown.percentileAfter(restartReported, 50), restartShown.percentileAfter(restartReported, 99),
        restartReported.size());
    System.out.printf("  load average after: %s; CPU: %s%n", loadAverage(), cpu.since());
    System.out.printf("  API server: %s%n", ApiServerRequests.snapshot(admin).since(requests, 8));
    restartShown.close();
  }

  /** A restart with every service in place: how long until all are reconciled, and the writes that made. */
  private static void resync(LocalControlPlane cluster, Path repo, Path jar, PackagedOperator running, String namespace,
      int services) throws Exception {
    running.stop();
    OperatorWrites writesSince = OperatorWrites.from(cluster);
    String load = loadAverage();
    long start = System.nanoTime();
    PackagedOperator operator = start(repo, jar, cluster, "2");
    long deadline = start + PHASE_TIMEOUT.toNanos();
    while (operator.reconciles() < services && System.nanoTime() < deadline) {
      Thread.sleep(500);
    }
    double seconds = (System.nanoTime() - start) / 1e9;
    Thread.sleep(5000);
    System.out.printf("%nrestart with %,d AgentServices (load average before: %s)%n", services, load);
    System.out.printf("  all reconciled                 %7.2f s after the start (%d reconciles, operator CPU %.1f s)%n", seconds,
        operator.reconciles(), Cpu.ticks(operator.pid()) / 100.0);
    System.out.printf("  writes during the resync       %s%n", writesSince.summary(namespace));
    System.out.printf("  operator: %s%n", rss(operator));
    long liveKib = liveHeapKib(operator.pid());
    System.out.printf("  live heap after a full GC      %7.1f MiB (%.0f KiB per AgentService with its objects)%n",
        liveKib / 1024.0, (double) liveKib / services);
    operator.stop();
  }

  /**
   * What the heap holds once garbage is gone (jcmd: a full GC, then the serial collector's used sizes), in KiB: the
   * operator's memory per AgentService without the slack a heap keeps between collections.
   */
  private static long liveHeapKib(long pid) throws IOException, InterruptedException {
    jcmd(pid, "GC.run");
    Pattern used = Pattern.compile("used (\\d+)K");
    // The serial collector's young and old generation; metaspace and class space are not heap.
    return jcmd(pid, "GC.heap_info").lines().filter(line -> line.contains(" generation "))
        .map(used::matcher).filter(Matcher::find).mapToLong(m -> Long.parseLong(m.group(1))).sum();
  }

  private static String jcmd(long pid, String command) throws IOException, InterruptedException {
    Process jcmd = new ProcessBuilder(Path.of(System.getProperty("java.home"), "bin", "jcmd").toString(),
        Long.toString(pid), command).redirectErrorStream(true).start();
    String output = new String(jcmd.getInputStream().readAllBytes());
    if (jcmd.waitFor() != 0) {
      throw new IOException("jcmd " + pid + " " + command + " failed: " + output);
    }
    return output;
  }

  /** Stopped when the harness exits, however it exits. */
  private static PackagedOperator start(Path repo, Path jar, LocalControlPlane cluster, String label) {
    Integer threads = Integer.getInteger("orch.bench.reconcile-threads");
    List<String> options = new ArrayList<>(List.of("@" + repo.resolve("operator/image/jvm.options"), "-XX:MaxRAM=" + MEMORY_LIMIT_MIB + "m"));
    options.addAll(List.of(System.getProperty("orch.bench.operator-jvm-options", "").split(" +")).stream()
        .filter(o -> !o.isBlank()).toList());
    PackagedOperator.Launch launch = PackagedOperator.launch(cluster, repo.resolve("operator/target/bench-scale-operator-" + label + ".log"))
        .jar(jar).jvmOptions(options.toArray(String[]::new)).startupTimeout(Duration.ofSeconds(120));
    if (threads != null) {
      launch.env("QUARKUS_OPERATOR_SDK_CONCURRENT_RECONCILIATION_THREADS", threads.toString())
          .env("QUARKUS_OPERATOR_SDK_CONCURRENT_WORKFLOW_THREADS", threads.toString());
    }
    PackagedOperator operator = launch.start();
    Runtime.getRuntime().addShutdownHook(new Thread(operator::kill, "bench-scale-operator-" + label + "-kill"));
    return operator;
  }

  /** quarkus.operator-sdk.concurrent-reconciliation-threads, as the packaged operator reads it. */
  private static int reconcileThreads(Path repo) throws IOException {
    Properties properties = new Properties();
    try (var in = Files.newInputStream(repo.resolve("operator/src/main/resources/application.properties"))) {
      properties.load(in);
    }
    return Integer.parseInt(properties.getProperty("quarkus.operator-sdk.concurrent-reconciliation-threads", "50"));
  }

  private static String namespace(KubernetesClient admin, String prefix) {
    String name = prefix + "-" + System.currentTimeMillis() % 100000;
    admin.namespaces().resource(new NamespaceBuilder().withNewMetadata().withName(name).endMetadata().build()).create();
    return name;
  }

  /** Creates n objects from 32 threads at once; when each create was sent, by name. */
  private static Map<String, Long> createAll(int n, IntFunction<String> names, Consumer<String> create) throws InterruptedException {
    Map<String, Long> sentAt = new ConcurrentHashMap<>();
    ExecutorService appliers = Executors.newFixedThreadPool(32);
    for (int i = 0; i < n; i++) {
      String name = names.apply(i);
      appliers.submit(() -> {
        sentAt.put(name, System.nanoTime());
        create.accept(name);
      });
    }
    appliers.shutdown();
    appliers.awaitTermination(10, TimeUnit.MINUTES);
    return sentAt;
  }

  /** A Deployment as plain as a user's: one replica, one container (its pod is never scheduled: no node runs). */
  private static Deployment plainDeployment(String name) {
    return new DeploymentBuilder().withNewMetadata().withName(name).endMetadata().withNewSpec().withReplicas(1)
        .withNewSelector().addToMatchLabels("app", name).endSelector()
        .withNewTemplate().withNewMetadata().addToLabels("app", name).endMetadata()
        .withNewSpec().addNewContainer().withName("app").withImage("registry.invalid/app:1").endContainer().endSpec()
        .endTemplate().endSpec().build();
  }

  /** Its name once its status has observed its generation. */
  private static Optional<String> statusObserved(AgentService service) {
    return service.getStatus() != null && service.getMetadata().getGeneration().equals(service.getStatus().getObservedGeneration())
        ? Optional.of(service.getMetadata().getName()) : Optional.empty();
  }

  private static String rss(PackagedOperator operator) throws IOException {
    String status = Files.readString(Path.of("/proc/" + operator.pid() + "/status"));
    return String.format("RSS %d MiB, peak RSS %d MiB, %d threads", kib(status, "VmRSS") / 1024, kib(status, "VmHWM") / 1024,
        kib(status, "Threads"));
  }

  private static long kib(String procFile, String field) {
    Matcher m = Pattern.compile("(?m)^" + field + ":\\s+(\\d+)").matcher(procFile);
    if (!m.find()) {
      throw new IllegalStateException("no " + field + " in\n" + procFile);
    }
    return Long.parseLong(m.group(1));
  }

  /**
   * CPU seconds used by the operator, kube-controller-manager and kube-apiserver since a mark: on a machine shared
   * with other builds, the wall-clock figures stretch with the load, CPU time much less.
   */
  private record Cpu(Map<String, Long> pids, Map<String, Long> ticksAtMark) {
    static Cpu of(LocalControlPlane cluster, PackagedOperator... operator) throws IOException {
      Map<String, Long> pids = new LinkedHashMap<>();
      for (PackagedOperator o : operator) {
        pids.put("operator", o.pid());
      }
      String kubeconfig = cluster.kubeconfig().toString();
      String auditLog = cluster.auditLog().toString();
      try (Stream<Path> processes = Files.list(Path.of("/proc"))) {
        processes.filter(p -> p.getFileName().toString().matches("\\d+")).forEach(p -> {
          try {
            String command = Files.readString(p.resolve("cmdline")).replace('\0', ' ');
            if (command.contains("kube-controller-manager") && command.contains(kubeconfig)) {
              pids.put("controller manager", Long.valueOf(p.getFileName().toString()));
            } else if (command.contains("kube-apiserver") && command.contains(auditLog)) {
              pids.put("API server", Long.valueOf(p.getFileName().toString()));
            }
          } catch (IOException gone) {
            // a process that ended while listed is none of ours
          }
        });
      }
      Map<String, Long> ticks = new LinkedHashMap<>();
      pids.forEach((name, pid) -> ticks.put(name, ticks(pid)));
      return new Cpu(pids, ticks);
    }

    String since() {
      StringBuilder out = new StringBuilder();
      pids.forEach((name, pid) -> out.append(out.isEmpty() ? "" : ", ").append(name).append(' ')
          .append(String.format("%.1f s", (ticks(pid) - ticksAtMark.get(name)) / 100.0)));
      return out.toString();
    }

    /** utime + stime of /proc/PID/stat, in clock ticks (100 a second). */
    static long ticks(long pid) {
      try {
        String stat = Files.readString(Path.of("/proc/" + pid + "/stat"));
        String[] fields = stat.substring(stat.lastIndexOf(')') + 2).split(" ");
        return Long.parseLong(fields[11]) + Long.parseLong(fields[12]);
      } catch (IOException e) {
        throw new UncheckedIOException(e);
      }
    }
  }

  private static Duration until(long deadlineNanos) {
    return Duration.ofNanos(Math.max(0, deadlineNanos - System.nanoTime()));
  }

  private static String loadAverage() {
    try {
      String[] fields = Files.readString(Path.of("/proc/loadavg")).split(" ");
      return fields[0] + " " + fields[1] + " " + fields[2];
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  /** When a watch first saw each object, by the key a function gives it (none: not yet in the state awaited). */
  private static final class FirstSeen<T extends HasMetadata> implements AutoCloseable {
    private final Map<String, Long> at = new ConcurrentHashMap<>();
    private Watch watch;

    static <T extends HasMetadata> FirstSeen<T> watch(Watchable<T> resources, Function<T, Optional<String>> key) {
      FirstSeen<T> seen = new FirstSeen<>();
      seen.watch = resources.watch(new Watcher<T>() {
        @Override
        public void eventReceived(Action action, T object) {
          long now = System.nanoTime();
          key.apply(object).ifPresent(name -> seen.at.putIfAbsent(name, now));
        }

        @Override
        public void onClose(WatcherException cause) {
        }
      });
      return seen;
    }

    /** Owned objects are keyed by their owner's name. */
    static Optional<String> owner(HasMetadata object) {
      return object.getMetadata().getOwnerReferences().stream().findFirst().map(OwnerReference::getName);
    }

    void await(int n, Duration timeout) throws InterruptedException {
      long deadline = System.nanoTime() + timeout.toNanos();
      while (at.size() < n && System.nanoTime() < deadline) {
        Thread.sleep(20);
      }
      if (at.size() < n) {
        System.out.printf("  (only %d of %d seen within %s)%n", at.size(), n, timeout);
      }
    }

    long last() {
      return at.values().stream().max(Long::compare).orElseThrow();
    }

    /** The p-th percentile, in ms, of the time from each start to this object being seen. */
    double percentileAfter(Map<String, Long> startedAt, int p) {
      List<Long> latencies = new ArrayList<>();
      startedAt.forEach((name, t) -> {
        Long seen = at.get(name);
        if (seen != null) {
          latencies.add(seen - t);
        }
      });
      return percentile(latencies, p) / 1e6;
    }

    private static long percentile(Collection<Long> values, int p) {
      List<Long> sorted = values.stream().sorted().toList();
      return sorted.isEmpty() ? 0 : sorted.get(Math.max(0, (int) Math.ceil(p / 100.0 * sorted.size()) - 1));
    }

    @Override
    public void close() {
      watch.close();
    }
  }
}
