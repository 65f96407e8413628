package dev.orch.operator.bench;

import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

import dev.orch.localcluster.ClusterConnection;
import dev.orch.localcluster.SharedCluster;
import dev.orch.operator.agent.Bundle;
import dev.orch.operator.agentservice.AgentService;
import dev.orch.operator.agentservice.AgentServiceReconciler;
import dev.orch.operator.agentservice.AgentServiceSpec;
import dev.orch.operator.core.config.OperatorSettings;
import dev.orch.operator.core.reconcile.Labels;
import dev.orch.operator.testing.Kubelet;
import dev.orch.operator.testing.RunningOperator;
import dev.orch.operator.testing.Vault;
import io.fabric8.kubernetes.api.model.NamespaceBuilder;
import io.fabric8.kubernetes.api.model.ObjectMetaBuilder;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.client.ConfigBuilder;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientBuilder;
import io.fabric8.kubernetes.client.Watcher;
import io.fabric8.kubernetes.client.WatcherException;

/**
 * `make bench-crashloop`: 200 pod status changes (a kubelet reporting another restart), each timed from the
 * pod status write until a watch on the AgentService sees the new restart count in its status. Prints p50/p99.
 */
public final class CrashLoopLatencyBenchmark {
  private static final int CHANGES = 200;
  private static final int SERVICES = 5;

  private CrashLoopLatencyBenchmark() {
  }

  public static void main(String[] args) throws Exception {
    ClusterConnection cluster = SharedCluster.get();
    cluster.ensureControllerManager();
    String namespace = "bench-crashloop-" + System.currentTimeMillis() % 100000;
    try (KubernetesClient admin = new KubernetesClientBuilder().withConfig(cluster.adminConfig()).build()) {
      admin.namespaces().resource(new NamespaceBuilder().withNewMetadata().withName(namespace).endMetadata().build()).create();
    }
    KubernetesClient client = new KubernetesClientBuilder()
        .withConfig(new ConfigBuilder(cluster.adminConfig()).withNamespace(namespace).build()).build();
    Vault.put(client, Map.of("TOKEN", "x"));
    Map<String, Long> seenRestarts = new ConcurrentHashMap<>();
    Map<String, Long> seenAt = new ConcurrentHashMap<>();
    client.resources(AgentService.class).watch(new Watcher<AgentService>() {
      @Override
      public void eventReceived(Action action, AgentService s) {
        if (s.getStatus() != null && s.getStatus().getRestartCount() != null) {
          seenRestarts.put(s.getMetadata().getName(), s.getStatus().getRestartCount());
          seenAt.put(s.getMetadata().getName() + "/" + s.getStatus().getRestartCount(), System.nanoTime());
        }
      }

      @Override
      public void onClose(WatcherException cause) {
      }
    });
    RunningOperator<AgentService> operator = RunningOperator.start(client,
        meters -> new AgentServiceReconciler(OperatorSettings.defaults(), meters));

    List<AgentService> services = new ArrayList<>();
    for (int i = 0; i < SERVICES; i++) {
      services.add(client.resource(service("svc-" + i, namespace)).create());
    }
    Map<String, Pod> pods = new ConcurrentHashMap<>();
    for (AgentService s : services) {
      while (client.pods().withLabels(Labels.selector(s)).list().getItems().isEmpty()) {
        Thread.sleep(50);
      }
      pods.put(s.getMetadata().getName(), client.pods().withLabels(Labels.selector(s)).list().getItems().get(0));
    }
    List<Long> latencies = new ArrayList<>();
    for (int change = 0; change < CHANGES; change++) {
      String name = "svc-" + change % SERVICES;
      int restarts = change / SERVICES + 1;
      Pod pod = client.pods().withName(pods.get(name).getMetadata().getName()).get();
      long start = System.nanoTime();
      Kubelet.crashed(client, pod, restarts, 1, "boom " + restarts);
      String key = name + "/" + restarts;
      long deadline = start + 10_000_000_000L;
      while (!seenAt.containsKey(key) && System.nanoTime() < deadline) {
        Thread.onSpinWait();
      }
      latencies.add(seenAt.getOrDefault(key, deadline) - start);
    }
    Collections.sort(latencies);
    System.out.printf("%n=== pod status change -> AgentService status, %d changes ===%n", CHANGES);
    System.out.printf("p50 %8.1f ms%n", latencies.get(CHANGES / 2 - 1) / 1e6);
    System.out.printf("p99 %8.1f ms%n", latencies.get((int) Math.ceil(CHANGES * 0.99) - 1) / 1e6);
    System.out.printf("max %8.1f ms%n", latencies.get(CHANGES - 1) / 1e6);
    operator.close();
    System.exit(0);
  }

  private static AgentService service(String name, String namespace) {
    AgentServiceSpec spec = new AgentServiceSpec();
    spec.setAgent("acme/" + name);
    spec.setBundle(new Bundle(null, "https://bundles.example.com/" + name + ".tar.gz", null, null, null));
    spec.setRequiredSecrets(List.of("TOKEN"));
    spec.setMaxRestartFailures(50);
    AgentService service = new AgentService();
    service.setMetadata(new ObjectMetaBuilder().withName(name).withNamespace(namespace).build());
    service.setSpec(spec);
    return service;
  }
}
