package dev.orch.operator.reliability;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Consumer;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

import dev.orch.localcluster.ClusterConnection;
import dev.orch.localcluster.WithKubernetes;
import dev.orch.operator.testing.OperatorLogOnFailure;
import dev.orch.operator.testing.PackagedOperator;
import dev.orch.operator.testing.Vault;
import io.fabric8.kubernetes.client.KubernetesClient;

/**
 * Two replicas of the packaged operator with leader election, as the chart's HA mode runs them: when the leader dies
 * (SIGKILL) the standby takes over once the Lease expires; when it is stopped (SIGTERM) it hands the Lease over at
 * once. Each case measures the time from the leader's end to the standby reconciling a change made at that moment.
 */
@WithKubernetes(controllerManager = true)
class LeaderFailoverIT {
  private static final Duration LEASE_DURATION = Duration.ofSeconds(15);
  private final KubernetesClient client;
  private final ClusterConnection cluster;
  private final Map<String, PackagedOperator> replicas = new LinkedHashMap<>();

  @RegisterExtension
  final OperatorLogOnFailure showLogOnFailure = new OperatorLogOnFailure(replicas::values);

  LeaderFailoverIT(KubernetesClient client, ClusterConnection cluster) {
    this.client = client;
    this.cluster = cluster;
  }

  @AfterEach
  void stopReplicas() {
    replicas.values().forEach(PackagedOperator::stop);
  }

  @Test
  void aKilledLeaderIsReplacedWhenItsLeaseExpires() throws Exception {
    Duration takeover = failover("killed", PackagedOperator::kill);
    System.out.printf("leader failover after SIGKILL: the standby reconciled a change %.1f s after the kill (lease %d s)%n",
        takeover.toMillis() / 1000.0, LEASE_DURATION.toSeconds());
    assertThat(takeover).as("takeover after SIGKILL").isLessThan(LEASE_DURATION.plusSeconds(15));
  }

  @Test
  void aStoppedLeaderHandsItsLeaseOverAtOnce() throws Exception {
    Duration takeover = failover("stopped", PackagedOperator::stop);
    System.out.printf("leader failover after SIGTERM: the standby reconciled a change %.1f s after the stop began%n",
        takeover.toMillis() / 1000.0);
    assertThat(takeover).as("takeover after SIGTERM: well before the lease of %s could expire", LEASE_DURATION)
        .isLessThan(LEASE_DURATION.minusSeconds(5));
  }

  /** Starts two replicas, ends the leader with {@code end}, changes a service, and times its reconcile. */
  private Duration failover(String name, Consumer<PackagedOperator> end) throws Exception {
    Vault.put(client, Map.of("TOKEN", "x"));
    Path work = Files.createDirectories(Path.of("target", "failover"));
    String lease = "orch-operator-" + name;
    for (String replica : List.of(name + "-a", name + "-b")) {
      replicas.put(replica, PackagedOperator.launch(cluster, work.resolve(replica + ".log")).env(Map.of(
          "HOSTNAME", replica,
          "QUARKUS_OPERATOR_SDK_NAMESPACES", client.getNamespace(),
          "ORCH_LEADER_ELECTION_ENABLED", "true",
          "ORCH_LEADER_ELECTION_LEASE_NAME", lease,
          "ORCH_LEADER_ELECTION_NAMESPACE", client.getNamespace(),
          "ORCH_LEADER_ELECTION_LEASE_DURATION", LEASE_DURATION.toSeconds() + "s")).start());
    }
    apply(name, "v1");
    await("the first version reconciled").atMost(Duration.ofSeconds(60)).until(() -> deployed(name, "v1"));
    // A replica's identity is its HOSTNAME and a random suffix.
    String holder = client.leases().withName(lease).get().getSpec().getHolderIdentity();
    PackagedOperator leader = replicas.entrySet().stream().filter(r -> holder.startsWith(r.getKey() + "-"))
        .map(Map.Entry::getValue).findFirst().orElseThrow(() -> new AssertionError("no replica holds " + holder));

    long ended = System.nanoTime();
    end.accept(leader);
    apply(name, "v2");
    await("the standby reconciling the change").atMost(LEASE_DURATION.plusSeconds(60)).pollInterval(Duration.ofMillis(100))
        .until(() -> deployed(name, "v2"));
    Duration takeover = Duration.ofNanos(System.nanoTime() - ended);
    assertThat(client.leases().withName(lease).get().getSpec().getHolderIdentity()).as("the standby holds the Lease").isNotEqualTo(holder).isNotEmpty();
    return takeover;
  }

  private void apply(String name, String version) {
    Workload.apply(client, Workload.agentService(name, version, ""));
  }

  private boolean deployed(String name, String version) {
    return Workload.deployedWith(client, name, version);
  }
}
