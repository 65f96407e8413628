package dev.orch.operator.swarm;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.stream.IntStream;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;

import dev.orch.localcluster.WithKubernetes;
import dev.orch.operator.agent.Bundle;
import dev.orch.operator.agent.EnvVar;
import dev.orch.operator.core.status.Conditions;
import dev.orch.operator.core.reconcile.Labels;
import dev.orch.operator.core.config.OperatorSettings;
import dev.orch.operator.testing.CustomResources;
import dev.orch.operator.testing.Kubelet;
import dev.orch.operator.testing.RunningOperator;
import io.fabric8.kubernetes.api.model.Condition;
import io.fabric8.kubernetes.api.model.ObjectMetaBuilder;
import io.fabric8.kubernetes.api.model.apps.Deployment;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientException;

/** A Swarm's rolling update with rollout.maxUnavailable on a real API server; the test plays the kubelet. */
@WithKubernetes(controllerManager = true)
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class SwarmRollingUpdateTest {
  private static final Duration TIMEOUT = Duration.ofSeconds(45);
  private final KubernetesClient client;
  private RunningOperator<Swarm> operator;

  SwarmRollingUpdateTest(KubernetesClient client) {
    this.client = client;
  }

  @BeforeAll
  void start() {
    operator = RunningOperator.start(client, meters -> new SwarmReconciler(OperatorSettings.defaults(), meters));
  }

  @AfterAll
  void stop() {
    operator.close();
  }

  @Test
  void aNewVersionReachesOneReplicaAtATimeAndEachWaitsForTheUpdatedOnesToBeReady() {
    SwarmSpec spec = new SwarmSpec();
    spec.setAgent("acme/shard-worker");
    spec.setBundle(new Bundle(null, "https://bundles.example.com/shard.tar.gz", null, null, null));
    spec.setReplicas(3);
    spec.setEnv(List.of(new EnvVar("VERSION", "1")));
    spec.setRollout(new SwarmSpec.Rollout(1));
    Swarm swarm = new Swarm();
    swarm.setMetadata(new ObjectMetaBuilder().withName("rolling").withNamespace(client.getNamespace()).build());
    swarm.setSpec(spec);
    client.resource(swarm).create();
    awaitReadyPods(s -> s.getReady() == 3);

    CustomResources.edit(client, Swarm.class, "rolling", s -> s.getSpec().setEnv(List.of(new EnvVar("VERSION", "2"))), TIMEOUT);
    Swarm rolling = await().atMost(TIMEOUT).until(() -> client.resources(Swarm.class).withName("rolling").get(),
        s -> s.getStatus() != null && s.getStatus().getMembers().stream().filter(m -> Boolean.TRUE.equals(m.outdated())).count() == 2);
    assertThat(versions()).as("one replica at a time").containsExactly("2", "1", "1");
    Condition reconciling = Conditions.find(rolling.getStatus().getConditions(), Conditions.RECONCILING).orElseThrow();
    assertThat(reconciling.getStatus()).isEqualTo("True");
    assertThat(reconciling.getReason()).isEqualTo("RollingUpdate");
    assertThat(reconciling.getMessage()).contains("1/3 replicas updated", "waiting: 1, 2");
    // Replica 0's new pod is not ready yet: nothing else moves.
    await().during(Duration.ofSeconds(2)).atMost(Duration.ofSeconds(5)).until(() -> versions().equals(List.of("2", "1", "1")));

    Swarm done = awaitReadyPods(s -> s.getMembers().stream().noneMatch(m -> Boolean.TRUE.equals(m.outdated()))
        && Conditions.isTrue(s.getConditions(), Conditions.READY));
    assertThat(versions()).containsExactly("2", "2", "2");
    assertThat(done.getStatus().getReady()).isEqualTo(3);
  }

  /** Plays the kubelet for every pod of the swarm until its status passes. */
  private Swarm awaitReadyPods(java.util.function.Predicate<SwarmStatus> test) {
    return await().atMost(TIMEOUT).ignoreExceptionsInstanceOf(KubernetesClientException.class).until(() -> {
      Kubelet.markReady(client, Map.of(Labels.INSTANCE, "rolling"));
      return client.resources(Swarm.class).withName("rolling").get();
    }, s -> s.getStatus() != null && test.test(s.getStatus()));
  }

  private List<String> versions() {
    return IntStream.range(0, 3).mapToObj(i -> client.apps().deployments().withName("rolling-" + i).get())
        .map(SwarmRollingUpdateTest::version).toList();
  }

  private static String version(Deployment member) {
    return member.getSpec().getTemplate().getSpec().getContainers().get(0).getEnv().stream()
        .filter(e -> e.getName().equals("VERSION")).findFirst().map(io.fabric8.kubernetes.api.model.EnvVar::getValue).orElse(null);
  }
}
