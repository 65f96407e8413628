package dev.orch.operator.swarm;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.function.Consumer;
import java.util.function.Predicate;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;

import dev.orch.localcluster.WithKubernetes;
import dev.orch.operator.agent.Bundle;
import dev.orch.operator.core.MetadataKeys;
import dev.orch.operator.core.config.OperatorSettings;
import dev.orch.operator.core.reconcile.Labels;
import dev.orch.operator.core.status.AgentState;
import dev.orch.operator.core.status.Conditions;
import dev.orch.operator.core.bundle.BundleCheck;
import dev.orch.operator.sleep.KeepAwakeWindow;
import dev.orch.operator.sleep.SleepRequests;
import dev.orch.operator.sleep.SleepSpec;
import dev.orch.operator.sleep.SleepStatus;
import dev.orch.operator.testing.ArgoHealth;
import dev.orch.operator.testing.Bundles;
import dev.orch.operator.testing.CustomResources;
import dev.orch.operator.testing.Kubelet;
import dev.orch.operator.testing.RunningOperator;
import dev.orch.operator.testing.Vault;
import io.fabric8.kubernetes.api.model.Condition;
import io.fabric8.kubernetes.api.model.events.v1.Event;
import io.fabric8.kubernetes.api.model.ObjectMetaBuilder;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.apps.Deployment;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientException;

/** Swarm against a real API server and controller manager; the test plays the kubelet. */
@WithKubernetes(controllerManager = true)
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class SwarmReconcilerTest {
  private static final Duration TIMEOUT = Duration.ofSeconds(40);
  private final KubernetesClient client;
  private RunningOperator<Swarm> operator;

  SwarmReconcilerTest(KubernetesClient client) {
    this.client = client;
  }

  @BeforeAll
  void start() {
    Vault.put(client, Map.of("SHARD_TOKEN", "x"));
    operator = RunningOperator.start(client, meters -> new SwarmReconciler(OperatorSettings.defaults(), meters));
  }

  @AfterAll
  void stop() {
    operator.close();
  }

  @Test
  void everyReplicaGetsItsOwnIndexAndTheCountAndReadyMeansAllReady() {
    client.resource(swarm("shards", 3, s -> { })).create();
    await().atMost(TIMEOUT).until(() -> members("shards").size() == 3);
    for (int i = 0; i < 3; i++) {
      Deployment member = client.apps().deployments().withName("shards-" + i).get();
      assertThat(env(member, "ORB_REPLICA_INDEX")).isEqualTo(Integer.toString(i));
      assertThat(env(member, "ORB_REPLICA_COUNT")).isEqualTo("3");
      assertThat(member.getSpec().getReplicas()).isEqualTo(1);
    }
    await().atMost(TIMEOUT).until(() -> client.pods().withLabel(Labels.INSTANCE, "shards").list().getItems().size() == 3);
    Kubelet.markReady(client, Map.of(Labels.INSTANCE, "shards"));
    Swarm ready = awaitStatus("shards", s -> s.getReady() == 3);
    assertThat(Conditions.isTrue(ready.getStatus().getConditions(), "Ready")).isTrue();
    assertThat(ready.getStatus().getDeployed()).as("reference 004: \"3 deployed, 0 failed\"").isEqualTo(3);
    assertThat(ready.getStatus().getFailedCount()).isZero();
    assertThat(ready.getStatus().getMembers()).extracting(SwarmStatus.Member::state).containsOnly(AgentState.RUNNING);
    assertThat(ready.getStatus().getMembers()).allSatisfy(m -> assertThat(m.pod()).startsWith("shards-" + m.replicaIndex() + "-"));
  }

  @Test
  void scalingKeepsIndexesStable() {
    client.resource(swarm("fleet", 5, s -> { })).create();
    await().atMost(TIMEOUT).until(() -> members("fleet").size() == 5);
    String uidOfReplica2 = client.apps().deployments().withName("fleet-2").get().getMetadata().getUid();

    edit("fleet", s -> s.getSpec().setReplicas(8));
    await().atMost(TIMEOUT).until(() -> members("fleet").size() == 8
        && members("fleet").stream().allMatch(d -> "8".equals(env(d, "ORB_REPLICA_COUNT"))));
    assertThat(client.apps().deployments().withName("fleet-2").get().getMetadata().getUid())
        .as("existing replicas keep their identity").isEqualTo(uidOfReplica2);
    assertThat(members("fleet")).extracting(d -> env(d, "ORB_REPLICA_INDEX"))
        .containsExactlyInAnyOrder("0", "1", "2", "3", "4", "5", "6", "7");

    edit("fleet", s -> s.getSpec().setReplicas(3));
    // Surplus members may go before the others are rewritten with the new count, so wait for both.
    await().atMost(TIMEOUT).until(() -> members("fleet").size() == 3
        && members("fleet").stream().allMatch(d -> "3".equals(env(d, "ORB_REPLICA_COUNT"))));
    assertThat(members("fleet")).extracting(d -> d.getMetadata().getName()).containsExactlyInAnyOrder("fleet-0", "fleet-1", "fleet-2");
    awaitStatus("fleet", s -> s.getReplicas() == 3 && s.getMembers().size() == 3);
  }

  @Test
  void crashLoopingReplicasArePausedAloneAndReportedAsAPartialFailure() {
    client.resource(swarm("workers", 4, s -> s.setMaxRestartFailures(2))).create();
    await().atMost(TIMEOUT).until(() -> client.pods().withLabel(Labels.INSTANCE, "workers").list().getItems().size() == 4);
    for (int failing : List.of(1, 3)) {
      Pod pod = client.pods().withLabel(MetadataKeys.REPLICA_INDEX, Integer.toString(failing))
          .withLabel(Labels.INSTANCE, "workers").list().getItems().get(0);
      Kubelet.crashed(client, pod, 2, 3, "ConnectionRefusedError: queue unreachable");
    }
    Swarm partial = awaitStatus("workers", s -> s.getFailedCount() == 2);
    assertThat(partial.getStatus().getFailed()).extracting(SwarmStatus.FailedReplica::replicaIndex).containsExactly(1, 3);
    assertThat(partial.getStatus().getFailed().get(0).message()).contains("queue unreachable", "kubectl -n " + client.getNamespace());
    Condition stalled = partial.getStatus().getConditions().get(2);
    assertThat(stalled.getStatus()).isEqualTo("True");
    assertThat(stalled.getReason()).isEqualTo("ReplicasFailed");
    await().atMost(TIMEOUT).until(() -> client.apps().deployments().withName("workers-1").get().getSpec().getReplicas() == 0
        && client.apps().deployments().withName("workers-3").get().getSpec().getReplicas() == 0);
    assertThat(client.apps().deployments().withName("workers-0").get().getSpec().getReplicas()).isEqualTo(1);
    assertThat(client.apps().deployments().withName("workers-2").get().getSpec().getReplicas()).isEqualTo(1);
  }

  /** Issue 14, defects 6 and 7 for swarms: a missing bundle stalls with the fix; its edit rolls every replica, one at a time per index. */
  @Test
  void aMissingBundleStallsAndTheBundleOnceThereRollsEveryReplicaWhenItChanges() {
    client.resource(swarm("coders", 2, s -> s.setBundle(new Bundle(new Bundle.ConfigMapSource("coders-bundle"), null, null, null, null))))
        .create();
    Swarm stalled = awaitStatus("coders", s -> Conditions.isTrue(s.getConditions(), "Stalled"));
    Condition condition = Conditions.find(stalled.getStatus().getConditions(), "Stalled").orElseThrow();
    assertThat(condition.getReason()).isEqualTo("BundleNotFound");
    assertThat(condition.getMessage()).contains("kubectl -n " + client.getNamespace() + " create configmap coders-bundle");
    assertThat(members("coders")).isEmpty();

    Bundles.put(client, "coders-bundle", Bundles.HELLO);
    await().atMost(TIMEOUT).until(() -> members("coders").size() == 2);
    assertThat(members("coders")).extracting(d -> d.getSpec().getStrategy().getType())
        .as("two pods with one ORB_REPLICA_INDEX would work one shard twice").containsOnly("Recreate");
    String before = digest(members("coders").get(0));
    assertThat(before).isNotNull();

    Bundles.put(client, "coders-bundle", Map.of("main.py", "print('v2')\n"));
    await().atMost(TIMEOUT).until(() -> members("coders").stream().map(SwarmReconcilerTest::digest)
        .allMatch(d -> d != null && !d.equals(before)));
  }

  @Test
  void failuresWithinMaxFailedReplicasKeepTheSwarmReadyAndOneReplicaRestartsAlone() {
    client.resource(swarm("tolerant", 4, s -> {
      s.setMaxRestartFailures(2);
      s.setMaxFailedReplicas(1);
    })).create();
    await().atMost(TIMEOUT).until(() -> client.pods().withLabel(Labels.INSTANCE, "tolerant").list().getItems().size() == 4);
    Kubelet.markReady(client, Map.of(Labels.INSTANCE, "tolerant"));
    awaitStatus("tolerant", s -> s.getReady() == 4);
    crash("tolerant", 2);
    Swarm tolerated = awaitStatus("tolerant", s -> s.getFailedCount() == 1);
    assertThat(tolerated.getStatus().getDeployed()).isEqualTo(3);
    Condition ready = Conditions.find(tolerated.getStatus().getConditions(), Conditions.READY).orElseThrow();
    assertThat(ready.getStatus()).as("one failed replica is within maxFailedReplicas: 1").isEqualTo("True");
    assertThat(ready.getReason()).isEqualTo("ReplicasFailedWithinTolerance");
    assertThat(ready.getMessage()).contains("3/4 replicas ready", "1 failed (2: CrashLoop)", "orch.dev/restartedAt.2=");
    assertThat(Conditions.isTrue(tolerated.getStatus().getConditions(), Conditions.STALLED)).isFalse();
    assertThat(ArgoHealth.of(tolerated).status()).as("Argo CD: a tolerated failure is Healthy").isEqualTo("Healthy");
    String restartCommand = "kubectl -n " + client.getNamespace() + " annotate swarm tolerant orch.dev/restartedAt.2=";
    assertThat(tolerated.getStatus().getFailed().get(0).message()).contains(restartCommand);
    await().atMost(TIMEOUT).until(() -> client.apps().deployments().withName("tolerant-2").get().getSpec().getReplicas() == 0);

    crash("tolerant", 0);
    Swarm beyond = awaitStatus("tolerant", s -> s.getFailedCount() == 2);
    assertThat(Conditions.find(beyond.getStatus().getConditions(), Conditions.STALLED).orElseThrow())
        .satisfies(c -> assertThat(c.getStatus()).isEqualTo("True"))
        .satisfies(c -> assertThat(c.getReason()).isEqualTo("ReplicasFailed"));
    assertThat(Conditions.isTrue(beyond.getStatus().getConditions(), Conditions.READY)).isFalse();
    assertThat(ArgoHealth.of(beyond).status()).isEqualTo("Degraded");
    await().atMost(TIMEOUT).until(() -> client.apps().deployments().withName("tolerant-0").get().getSpec().getReplicas() == 0);

    long replica0Generation = client.apps().deployments().withName("tolerant-0").get().getMetadata().getGeneration();
    long replica1Generation = client.apps().deployments().withName("tolerant-1").get().getMetadata().getGeneration();
    edit("tolerant", s -> s.getMetadata().setAnnotations(Map.of("orch.dev/restartedAt.2", "2026-11-30T03:00:00Z")));
    Swarm restarted = awaitStatus("tolerant", s -> s.getFailedCount() == 1);
    assertThat(restarted.getStatus().getFailed()).extracting(SwarmStatus.FailedReplica::replicaIndex).containsExactly(0);
    assertThat(restarted.getStatus().getMembers().get(2).lastRestartAt()).isEqualTo("2026-11-30T03:00:00Z");
    assertThat(restarted.getStatus().getMembers().get(2).consecutiveRestartFailures()).isZero();
    Deployment replica2 = await().atMost(TIMEOUT).until(() -> client.apps().deployments().withName("tolerant-2").get(),
        d -> d.getSpec().getReplicas() == 1);
    assertThat(replica2.getSpec().getTemplate().getMetadata().getAnnotations())
        .containsEntry("orch.dev/restartedAt.2", "2026-11-30T03:00:00Z");
    assertThat(client.apps().deployments().withName("tolerant-1").get().getMetadata().getGeneration())
        .as("the other replicas are not rolled").isEqualTo(replica1Generation);
    assertThat(client.apps().deployments().withName("tolerant-0").get().getMetadata().getGeneration())
        .as("another failed replica stays paused").isEqualTo(replica0Generation);

    // Acted on once: the same request, still present when the replica crash-loops again, does not resume it.
    Pod fresh = await().atMost(TIMEOUT).until(() -> client.pods().withLabel(Labels.INSTANCE, "tolerant")
        .withLabel(MetadataKeys.REPLICA_INDEX, "2").list().getItems().stream()
        .filter(p -> p.getMetadata().getAnnotations() != null && p.getMetadata().getAnnotations().containsKey("orch.dev/restartedAt.2"))
        .findFirst(), java.util.Optional::isPresent).orElseThrow();
    Kubelet.crashed(client, fresh, 2, 1, "still broken");
    awaitStatus("tolerant", s -> s.getFailedCount() == 2);
    await().during(Duration.ofSeconds(2)).atMost(TIMEOUT)
        .until(() -> client.apps().deployments().withName("tolerant-2").get().getSpec().getReplicas() == 0);
  }

  @Test
  void maxFailedReplicasMustLeaveOneReplicaToRun() {
    assertThatThrownBy(() -> client.resource(swarm("hopeless", 3, s -> s.setMaxFailedReplicas(3))).create())
        .isInstanceOf(KubernetesClientException.class)
        .hasMessageContaining("spec.maxFailedReplicas").hasMessageContaining("maxFailedReplicas must be less than replicas");
  }

  @Test
  void deletingTheSwarmRemovesEveryMember() {
    client.resource(swarm("doomed", 3, s -> { })).create();
    await().atMost(TIMEOUT).until(() -> members("doomed").size() == 3);
    client.resources(Swarm.class).withName("doomed").delete();
    await().atMost(TIMEOUT).until(() -> members("doomed").isEmpty());
  }

  /** The replica's agent has crashed often enough to be paused (the tests use maxRestartFailures 2). */
  private void crash(String swarm, int index) {
    Pod pod = client.pods().withLabel(MetadataKeys.REPLICA_INDEX, Integer.toString(index))
        .withLabel(Labels.INSTANCE, swarm).list().getItems().get(0);
    Kubelet.crashed(client, pod, 2, 3, "ConnectionRefusedError: queue unreachable");
  }

  @Test
  void allReplicasSleepAndWakeTogetherByHand() {
    client.resource(swarm("dozers", 2, s -> s.setSleep(SleepSpec.manual()))).create();
    await().atMost(TIMEOUT).until(() -> client.pods().withLabel(Labels.INSTANCE, "dozers").list().getItems().size() == 2);
    Kubelet.markReady(client, Map.of(Labels.INSTANCE, "dozers"));
    awaitStatus("dozers", s -> s.getReady() == 2);

    annotate("dozers", MetadataKeys.SLEEP, "1");
    Swarm asleep = awaitStatus("dozers", s -> s.getSleep() != null && s.getSleep().phase() == SleepStatus.Phase.ASLEEP);
    await().atMost(TIMEOUT).until(() -> members("dozers").stream().allMatch(d -> d.getSpec().getReplicas() == 0));
    asleep = awaitStatus("dozers", s -> s.getMembers().stream().allMatch(m -> m.state() == AgentState.SLEEPING));
    Condition ready = Conditions.find(asleep.getStatus().getConditions(), "Ready").orElseThrow();
    assertThat(ready.getStatus()).isEqualTo("True");
    assertThat(ready.getMessage()).contains("all 2 replicas asleep", "annotate swarm dozers orch.dev/wake=");

    annotate("dozers", MetadataKeys.WAKE, "2");
    await().atMost(TIMEOUT).until(() -> members("dozers").stream().allMatch(d -> d.getSpec().getReplicas() == 1));
    await().atMost(TIMEOUT).until(() -> client.pods().withLabel(Labels.INSTANCE, "dozers").list().getItems().size() == 2);
    Kubelet.markReady(client, Map.of(Labels.INSTANCE, "dozers"));
    Swarm awake = awaitStatus("dozers", s -> s.getSleep().phase() == SleepStatus.Phase.AWAKE && s.getReady() == 2);
    assertThat(awake.getStatus().getSleep().reason()).isEqualTo("woken by hand");
  }

  @Test
  void aZoneJavaCannotReadStallsTheSwarmAndKeepAwakeByHandWakesItUntilItEnds() {
    client.resource(swarm("shifts", 2, s -> s.setSleep(SleepSpec.manual().keptAwake("Europe/Atlantis",
        new KeepAwakeWindow("0 8 * * 1-5", "10h"))))).create();
    Swarm stalled = awaitStatus("shifts", s -> Conditions.isTrue(s.getConditions(), Conditions.STALLED));
    Condition condition = Conditions.find(stalled.getStatus().getConditions(), Conditions.STALLED).orElseThrow();
    assertThat(condition.getReason()).isEqualTo("InvalidKeepAwake");
    assertThat(condition.getMessage()).startsWith("spec.sleep.keepAwake[0]: timeZone \"Europe/Atlantis\" is not a known"
        + " IANA time zone").contains("use a name such as Europe/Berlin");
    await().atMost(TIMEOUT).untilAsserted(() -> assertThat(client.resources(Event.class).list().getItems().stream()
        .filter(e -> "shifts".equals(e.getRegarding().getName()) && "InvalidKeepAwake".equals(e.getReason())))
        .singleElement().satisfies(e -> assertThat(e.getType()).isEqualTo("Warning")));

    edit("shifts", s -> s.getSpec().setSleep(SleepSpec.manual()));
    await().atMost(TIMEOUT).until(() -> client.pods().withLabel(Labels.INSTANCE, "shifts").list().getItems().size() == 2);
    Kubelet.markReady(client, Map.of(Labels.INSTANCE, "shifts"));
    awaitStatus("shifts", s -> s.getReady() == 2 && !Conditions.isTrue(s.getConditions(), Conditions.STALLED));
    annotate("shifts", MetadataKeys.SLEEP, "1");
    await().atMost(TIMEOUT).until(() -> members("shifts").stream().allMatch(d -> d.getSpec().getReplicas() == 0)
        && client.pods().withLabel(Labels.INSTANCE, "shifts").list().getItems().isEmpty());

    annotate("shifts", MetadataKeys.KEEP_AWAKE, "20s");
    Swarm kept = awaitStatus("shifts", s -> s.getSleep().keptAwakeUntil() != null);
    Instant until = Instant.parse(kept.getStatus().getSleep().keptAwakeUntil());
    assertThat(kept.getStatus().getSleep().reason()).isEqualTo("woken: orch.dev/keep-awake (by hand)");
    assertThat(until).isBetween(Instant.now().plusSeconds(5), Instant.now().plusSeconds(20));
    await().atMost(TIMEOUT).until(() -> client.pods().withLabel(Labels.INSTANCE, "shifts").list().getItems().size() == 2);
    Kubelet.markReady(client, Map.of(Labels.INSTANCE, "shifts"));
    awaitStatus("shifts", s -> s.getSleep().phase() == SleepStatus.Phase.AWAKE && s.getReady() == 2);

    Swarm asleep = awaitStatus("shifts", s -> s.getSleep().phase() == SleepStatus.Phase.ASLEEP);
    assertThat(asleep.getStatus().getSleep().reason()).isEqualTo("orch.dev/keep-awake (by hand) ended");
    assertThat(Instant.parse(asleep.getStatus().getSleep().since())).isBetween(until, until.plusSeconds(5));
    await().atMost(TIMEOUT).until(() -> members("shifts").stream().allMatch(d -> d.getSpec().getReplicas() == 0));
  }

  private void annotate(String name, String annotation, String value) {
    CustomResources.edit(client, Swarm.class, name, s -> {
      s.getMetadata().setAnnotations(new java.util.HashMap<>(s.getMetadata().getAnnotations() == null ? Map.of()
          : s.getMetadata().getAnnotations()));
      s.getMetadata().getAnnotations().put(annotation, value);
    }, TIMEOUT);
  }

  private Swarm swarm(String name, int replicas, Consumer<SwarmSpec> customize) {
    SwarmSpec spec = new SwarmSpec();
    spec.setAgent("acme/shard-worker");
    spec.setBundle(new Bundle(null, "https://bundles.example.com/shard.tar.gz", null, null, null));
    spec.setRequiredSecrets(List.of("SHARD_TOKEN"));
    spec.setReplicas(replicas);
    customize.accept(spec);
    Swarm swarm = new Swarm();
    swarm.setMetadata(new ObjectMetaBuilder().withName(name).withNamespace(client.getNamespace()).build());
    swarm.setSpec(spec);
    return swarm;
  }

  private List<Deployment> members(String swarm) {
    return client.apps().deployments().withLabel(Labels.INSTANCE, swarm).list().getItems();
  }

  private void edit(String name, Consumer<Swarm> change) {
    CustomResources.edit(client, Swarm.class, name, change, TIMEOUT);
  }

  private Swarm awaitStatus(String name, Predicate<SwarmStatus> test) {
    return CustomResources.awaitStatus(client, Swarm.class, name, test, TIMEOUT);
  }

  private static String digest(Deployment deployment) {
    var annotations = deployment.getSpec().getTemplate().getMetadata().getAnnotations();
    return annotations == null ? null : annotations.get(MetadataKeys.BUNDLE_SHA256);
  }

  private static String env(Deployment deployment, String name) {
    return deployment.getSpec().getTemplate().getSpec().getContainers().get(0).getEnv().stream()
        .filter(e -> e.getName().equals(name)).findFirst().map(io.fabric8.kubernetes.api.model.EnvVar::getValue).orElse(null);
  }
}
