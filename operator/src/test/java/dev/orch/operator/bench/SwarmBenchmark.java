package dev.orch.operator.bench;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Collection;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.ExecutionException;

import dev.orch.localcluster.ClusterConnection;
import dev.orch.localcluster.SharedCluster;
import dev.orch.operator.agent.Bundle;
import dev.orch.operator.core.config.OperatorSettings;
import dev.orch.operator.core.reconcile.Labels;
import dev.orch.operator.swarm.Swarm;
import dev.orch.operator.swarm.SwarmPlan;
import dev.orch.operator.swarm.SwarmReconciler;
import dev.orch.operator.swarm.SwarmSpec;
import dev.orch.operator.testing.RunningOperator;
import dev.orch.operator.testing.Vault;
import io.fabric8.kubernetes.api.model.NamespaceBuilder;
import io.fabric8.kubernetes.api.model.ObjectMetaBuilder;
import io.fabric8.kubernetes.api.model.apps.Deployment;
import io.fabric8.kubernetes.client.ConfigBuilder;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientBuilder;

/**
 * `make bench-swarm`: applies a 100-replica Swarm and prints the time until every member's Deployment exists
 * and the status lists all 100 members, three times in one run (the first pays for a cold JVM). No controller
 * manager runs: this measures the operator.
 */
public final class SwarmBenchmark {
  private static final int REPLICAS = 100;
  private static final int ROUNDS = 3;
  /** As many as the operator's bulk apply uses (PlannedObjects). */
  private static final int CLIENT_THREADS = 8;

  private SwarmBenchmark() {
  }

  public static void main(String[] args) throws Exception {
    ClusterConnection cluster = SharedCluster.get();
    String namespace = "bench-swarm-" + System.currentTimeMillis() % 100000;
    try (KubernetesClient admin = new KubernetesClientBuilder().withConfig(cluster.adminConfig()).build()) {
      admin.namespaces().resource(new NamespaceBuilder().withNewMetadata().withName(namespace).endMetadata().build()).create();
    }
    KubernetesClient client = new KubernetesClientBuilder()
        .withConfig(new ConfigBuilder(cluster.adminConfig()).withNamespace(namespace).build()).build();
    Vault.put(client, Map.of("TOKEN", "x"));
    RunningOperator<Swarm> operator = RunningOperator.start(client, meters -> new SwarmReconciler(OperatorSettings.defaults(), meters));

    // The first Swarm also pays for a cold JVM (class loading, JIT) in operator and harness alike; the later ones
    // show what a running operator takes.
    System.out.printf("%n=== Swarm benchmark, %d replicas, %d rounds ===%n", REPLICAS, ROUNDS);
    for (int round = 1; round <= ROUNDS; round++) {
      String name = "big-" + round;
      String load = Files.readString(Path.of("/proc/loadavg")).strip();
      long start = System.nanoTime();
      client.resource(swarm(name, namespace)).create();
      long membersAt = 0;
      while (true) {
        if (membersAt == 0 && members(client, name) == REPLICAS) {
          membersAt = System.nanoTime();
        }
        Swarm current = client.resources(Swarm.class).withName(name).get();
        if (membersAt != 0 && current.getStatus() != null && current.getStatus().getMembers().size() == REPLICAS) {
          break;
        }
        Thread.sleep(20);
      }
      long done = System.nanoTime();
      double fromClient = sameMembersFromAClient(client, "client-" + round, namespace);
      System.out.printf("round %d: all member Deployments created %6.2f s, status lists every member %6.2f s after apply"
          + " (load average %s); a client applying the same %d Deployments, %d at a time: %.2f s (%.2fx)%n", round,
          (membersAt - start) / 1e9, (done - start) / 1e9, load, REPLICAS, CLIENT_THREADS, fromClient,
          (membersAt - start) / 1e9 / fromClient);
    }
    operator.close();
    System.exit(0);
  }

  /**
   * The member Deployments the operator makes for a Swarm, server-side applied by a plain client with as many
   * threads as the operator's bulk apply, in seconds: the API server's floor for the same objects.
   */
  private static double sameMembersFromAClient(KubernetesClient client, String name, String namespace)
      throws InterruptedException, ExecutionException {
    Swarm swarm = swarm(name, namespace);
    swarm.getMetadata().setUid(UUID.randomUUID().toString());
    Collection<Deployment> members = SwarmPlan.of(swarm, List.of("TOKEN"), Map.of(), Set.of(), OperatorSettings.defaults())
        .getAll(Deployment.class).values();
    return ClientApplies.seconds(client, members, CLIENT_THREADS, "bench-swarm");
  }

  private static long members(KubernetesClient client, String swarm) {
    return client.apps().deployments().withLabel(Labels.INSTANCE, swarm).list().getItems().size();
  }

  private static Swarm swarm(String name, String namespace) {
    SwarmSpec spec = new SwarmSpec();
    spec.setAgent("acme/shard");
    spec.setBundle(new Bundle(null, "https://bundles.example.com/shard.tar.gz", null, null, null));
    spec.setRequiredSecrets(List.of("TOKEN"));
    spec.setReplicas(REPLICAS);
    Swarm swarm = new Swarm();
    swarm.setMetadata(new ObjectMetaBuilder().withName(name).withNamespace(namespace).build());
    swarm.setSpec(spec);
    return swarm;
  }
}
