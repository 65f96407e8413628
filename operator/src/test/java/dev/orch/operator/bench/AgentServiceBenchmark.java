package dev.orch.operator.bench;

import java.lang.management.ManagementFactory;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;

import dev.orch.localcluster.ClusterConnection;
import dev.orch.localcluster.LocalControlPlane;
import dev.orch.localcluster.SharedCluster;
import dev.orch.operator.agent.Bundle;
import dev.orch.operator.agentservice.AgentService;
import dev.orch.operator.agentservice.AgentServiceReconciler;
import dev.orch.operator.agentservice.AgentServiceSpec;
import dev.orch.operator.core.config.OperatorSettings;
import dev.orch.operator.testing.RunningOperator;
import dev.orch.operator.testing.Vault;
import io.fabric8.kubernetes.api.model.NamespaceBuilder;
import io.fabric8.kubernetes.api.model.ObjectMetaBuilder;
import io.fabric8.kubernetes.api.model.apps.Deployment;
import io.fabric8.kubernetes.client.ConfigBuilder;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientBuilder;
import io.fabric8.kubernetes.client.Watcher;
import io.fabric8.kubernetes.client.WatcherException;

/**
 * `make bench-agentservice`: applies N AgentServices to the local control plane with the operator running and
 * prints how long convergence took, apply → Deployment latency, the write requests of a no-op resync and the
 * heap afterwards. A harness that prints numbers, not a test with a time limit.
 *
 * <p>No controller manager runs, so Deployments get no pods: this measures the operator, not the workload
 * controllers. The heap figure is this JVM's (operator plus the harness's client).
 */
public final class AgentServiceBenchmark {
  private AgentServiceBenchmark() {
  }

  public static void main(String[] args) throws Exception {
    ClusterConnection cluster = SharedCluster.get();
    List<Integer> sizes = args.length == 0 ? List.of(100, 1000) : java.util.Arrays.stream(args).map(Integer::valueOf).toList();
    for (int n : sizes) {
      run(cluster, n);
    }
    System.exit(0);
  }

  private static void run(ClusterConnection cluster, int n) throws Exception {
    String namespace = "bench-" + n + "-" + System.currentTimeMillis() % 100000;
    try (KubernetesClient admin = new KubernetesClientBuilder().withConfig(cluster.adminConfig()).build()) {
      admin.namespaces().resource(new NamespaceBuilder().withNewMetadata().withName(namespace).endMetadata().build()).create();
    }
    KubernetesClient client = new KubernetesClientBuilder()
        .withConfig(new ConfigBuilder(cluster.adminConfig()).withNamespace(namespace).withMaxConcurrentRequests(256)
            .withMaxConcurrentRequestsPerHost(256).build()).build();
    Vault.put(client, Map.of("TOKEN", "x"));

    Map<String, Long> appliedAt = new ConcurrentHashMap<>();
    Map<String, Long> deploymentAt = new ConcurrentHashMap<>();
    var watch = client.apps().deployments().watch(new Watcher<Deployment>() {
      @Override
      public void eventReceived(Action action, Deployment d) {
        deploymentAt.putIfAbsent(d.getMetadata().getName(), System.nanoTime());
      }

      @Override
      public void onClose(WatcherException cause) {
      }
    });

    RunningOperator<AgentService> operator = RunningOperator.start(client,
        meters -> new AgentServiceReconciler(OperatorSettings.defaults(), meters));
    long start = System.nanoTime();
    ExecutorService appliers = Executors.newFixedThreadPool(32);
    for (int i = 0; i < n; i++) {
      String name = "agent-" + i;
      appliers.submit(() -> {
        appliedAt.put(name, System.nanoTime());
        client.resource(service(name, namespace)).create();
      });
    }
    appliers.shutdown();
    appliers.awaitTermination(5, TimeUnit.MINUTES);
    long appliedAll = System.nanoTime();

    long deadline = System.nanoTime() + Duration.ofMinutes(5).toNanos();
    while (System.nanoTime() < deadline && (deploymentAt.size() < n || converged(client) < n)) {
      Thread.sleep(50);
    }
    long convergedAt = System.nanoTime();
    List<Long> latencies = new ArrayList<>();
    appliedAt.forEach((name, t) -> {
      Long seen = deploymentAt.get(name);
      if (seen != null) {
        latencies.add(seen - t);
      }
    });
    Collections.sort(latencies);

    operator.close();
    long writes = -1;
    long heapMiB = -1;
    if (cluster instanceof LocalControlPlane local) {
      OperatorWrites writesSince = OperatorWrites.from(local);
      RunningOperator<AgentService> restarted = RunningOperator.start(client,
          meters -> new AgentServiceReconciler(OperatorSettings.defaults(), meters));
      while (restarted.reconciles() < n) {
        Thread.sleep(50);
      }
      Thread.sleep(2000);
      writes = writesSince.in(namespace);
      heapMiB = heapAfterGc();
      restarted.close();
    }
    watch.close();

    System.out.printf("%n=== AgentService benchmark, N=%d ===%n", n);
    System.out.printf("applied all in                 %8.2f s%n", (appliedAll - start) / 1e9);
    System.out.printf("converged (objects + status)   %8.2f s after the first apply%n", (convergedAt - start) / 1e9);
    System.out.printf("apply -> Deployment  p50       %8.1f ms%n", percentile(latencies, 50) / 1e6);
    System.out.printf("apply -> Deployment  p99       %8.1f ms%n", percentile(latencies, 99) / 1e6);
    System.out.printf("converged services             %8d / %d%n", converged(client), n);
    System.out.printf("writes during no-op resync     %8d%n", writes);
    System.out.printf("heap used after GC             %8d MiB (operator running with N cached, + harness)%n", heapMiB);
    client.close();
  }

  /** Heap in use with the operator running and its caches full. */
  private static long heapAfterGc() {
    System.gc();
    return ManagementFactory.getMemoryMXBean().getHeapMemoryUsage().getUsed() / (1024 * 1024);
  }

  /** AgentServices whose status has observed their first generation. */
  static long converged(KubernetesClient client) {
    return client.resources(AgentService.class).list().getItems().stream()
        .filter(s -> s.getStatus() != null && Long.valueOf(1L).equals(s.getStatus().getObservedGeneration())).count();
  }

  private static long percentile(List<Long> sorted, int p) {
    if (sorted.isEmpty()) {
      return 0;
    }
    return sorted.get(Math.min(sorted.size() - 1, (int) Math.ceil(p / 100.0 * sorted.size()) - 1));
  }

  /** An AgentService as the benchmarks apply it: an https bundle and one required secret, TOKEN. */
  static AgentService service(String name, String namespace) {
    AgentServiceSpec spec = new AgentServiceSpec();
    spec.setAgent("acme/" + name);
    spec.setBundle(new Bundle(null, "https://bundles.example.com/" + name + ".tar.gz", null, null, null));
    spec.setRequiredSecrets(List.of("TOKEN"));
    AgentService service = new AgentService();
    service.setMetadata(new ObjectMetaBuilder().withName(name).withNamespace(namespace).build());
    service.setSpec(spec);
    return service;
  }
}
