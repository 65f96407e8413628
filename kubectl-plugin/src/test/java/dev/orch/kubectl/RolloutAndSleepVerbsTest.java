package dev.orch.kubectl;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.tuple;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.List;
import java.util.Map;

import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.io.TempDir;

import dev.orch.localcluster.ClusterConnection;
import dev.orch.localcluster.WithKubernetes;
import io.fabric8.kubernetes.api.model.GenericKubernetesResource;
import io.fabric8.kubernetes.api.model.ManagedFieldsEntry;
import io.fabric8.kubernetes.api.model.ObjectMetaBuilder;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.utils.Serialization;

/**
 * rollout status/promote/abort/undo and sleep/wake against a real API server: each writes one annotation (field
 * manager kubectl-orch, the spec untouched) and says what happens next. No operator runs: the test writes
 * status.rollout as the operator would.
 */
@WithKubernetes
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class RolloutAndSleepVerbsTest {
  private static final Map<String, Object> V1 = Map.of("templateHash", "5d8f9c7b6", "agent", "acme/bot@1.0.0",
      "deployedAt", "2026-11-30T05:00:00Z");
  private static final Map<String, Object> V2 = Map.of("templateHash", "7c4b2a9e1", "agent", "acme/bot@1.1.0",
      "deployedAt", "2026-11-30T06:00:00Z");
  private static final Map<String, Object> V3 = Map.of("templateHash", "9a1e3f0d2", "agent", "acme/bot@1.2.0",
      "deployedAt", "2026-11-30T07:00:00Z");

  private final KubernetesClient client;
  private final Cli cli;

  @TempDir
  static Path agentDirectory;

  RolloutAndSleepVerbsTest(KubernetesClient client, ClusterConnection cluster) {
    this.client = client;
    this.cli = new Cli(cluster.kubeconfig(), client.getNamespace());
  }

  @BeforeAll
  static void agentCode() throws IOException {
    Files.writeString(agentDirectory.resolve("main.py"), "print('run')\n");
  }

  @Test
  void statusPrintsTheRolloutAsATableAndAsJsonOrYaml() {
    canaryService("status-bot", Map.of("phase", "Paused", "step", 2, "steps", 2, "weight", 50, "canaryReplicas", 2,
        "stableReplicas", 2, "stable", V2, "canary", V3, "revisions", List.of(V1, V2),
        "message", "step 2/2 waits until promoted"));

    Cli.Result status = cli.run("rollout", "status", "status-bot");
    Cli.Result json = cli.run("rollout", "status", "status-bot", "-o", "json");
    Cli.Result yaml = cli.run("rollout", "status", "status-bot", "-o", "yaml");

    assertThat(status.exitCode()).as(status.toString()).isZero();
    assertThat(status.out()).isEqualTo("""
        PHASE    STEP   WEIGHT              STABLE                       CANARY
        Paused   2/2    50% (2 of 4 pods)   7c4b2a9e1 (acme/bot@1.1.0)   9a1e3f0d2 (acme/bot@1.2.0)
        message: step 2/2 waits until promoted
        next step: kubectl orch rollout promote status-bot (--full for every step); back to stable: kubectl orch\
         rollout abort status-bot
        """);
    assertThat(Serialization.unmarshal(json.out(), Map.class)).containsEntry("phase", "Paused")
        .containsEntry("weight", 50);
    assertThat(yaml.out()).contains("phase: Paused\n", "  templateHash: 9a1e3f0d2\n");

    Cli.Result none = cli.run("rollout", "status", "nope");
    assertThat(none.exitCode()).isEqualTo(1);
    assertThat(none.err()).contains("error: agentservice \"nope\" not found in namespace " + client.getNamespace());
    Cli.Result swarm = cli.run("rollout", "status", "swarm/shards");
    assertThat(swarm.exitCode()).isEqualTo(1);
    assertThat(swarm.err()).contains("rollouts are an AgentService's");
  }

  @Test
  void promoteWritesAFreshTimeOrFullAndOnlyTheAnnotation() throws InterruptedException {
    canaryService("promo-bot", Map.of("phase", "Paused", "step", 1, "steps", 2, "weight", 20, "stable", V1,
        "canary", V2, "revisions", List.of(V1)));
    long generation = Kind.AGENT_SERVICE.in(client).withName("promo-bot").get().getMetadata().getGeneration();

    Cli.Result promoted = cli.run("rollout", "promote", "promo-bot");
    String first = annotation("promo-bot", "orch.dev/promote");
    Cli.Result again = cli.run("rollout", "promote", "promo-bot");
    String second = annotation("promo-bot", "orch.dev/promote");
    Cli.Result full = cli.run("rollout", "promote", "promo-bot", "--full");
    String fullValue = annotation("promo-bot", "orch.dev/promote");
    Cli.Result fullAgain = cli.run("rollout", "promote", "promo-bot", "--full");

    assertThat(promoted.exitCode()).as(promoted.toString()).isZero();
    assertThat(promoted.out()).isEqualTo("agentservice/promo-bot: promote requested (orch.dev/promote=" + first
        + "): the canary moves to its next step; follow it with kubectl orch rollout status promo-bot\n");
    assertThat(Instant.parse(first)).isBetween(Instant.now().minusSeconds(60), Instant.now());
    assertThat(second).as("acted on once: a repeated promote must differ").isNotEqualTo(first);
    assertThat(full.out()).contains("(orch.dev/promote=full-", "the stable pods take the canary's version");
    assertThat(fullValue).startsWith("full-");
    assertThat(Instant.parse(fullValue.substring("full-".length()))).isAfterOrEqualTo(Instant.parse(second));
    assertThat(annotation("promo-bot", "orch.dev/promote")).as(fullAgain.toString()).isNotEqualTo(fullValue)
        .startsWith("full-");
    GenericKubernetesResource service = Kind.AGENT_SERVICE.in(client).withName("promo-bot").get();
    assertThat(service.getMetadata().getGeneration()).as("the spec is untouched").isEqualTo(generation);
    assertThat(service.getMetadata().getManagedFields()).filteredOn(e -> !"status".equals(e.getSubresource()))
        .extracting(ManagedFieldsEntry::getManager, ManagedFieldsEntry::getOperation)
        .contains(tuple("kubectl-orch", "Update"));
    assertThat(Serialization.asJson(service.getMetadata().getManagedFields().stream()
        .filter(e -> "kubectl-orch".equals(e.getManager())).findFirst().orElseThrow().getFieldsV1()))
        .contains("orch.dev/promote").doesNotContain("f:spec");
  }

  @Test
  void abortAndPromoteAreRefusedWhenNoCanaryWouldActOnThem() {
    canaryService("abort-bot", Map.of("phase", "Progressing", "step", 1, "steps", 2, "weight", 20, "stable", V1,
        "canary", V2, "revisions", List.of(V1)));

    Cli.Result aborted = cli.run("rollout", "abort", "abort-bot");
    assertThat(aborted.exitCode()).as(aborted.toString()).isZero();
    assertThat(aborted.out()).contains("agentservice/abort-bot aborting (orch.dev/abort=",
        "the canary's pods get none (their logs: kubectl orch logs abort-bot --canary)",
        "retry it with kubectl orch rollout promote abort-bot, follow it with kubectl orch rollout status abort-bot");
    assertThat(Instant.parse(annotation("abort-bot", "orch.dev/abort"))).isBefore(Instant.now());

    OperatorStatus.write(client, Kind.AGENT_SERVICE, "abort-bot", Map.of("rollout", Map.of("phase", "Aborted",
        "step", 1, "steps", 2, "weight", 0, "stable", V1, "canary", V2, "revisions", List.of(V1))));
    Cli.Result abortedTwice = cli.run("rollout", "abort", "abort-bot");
    Cli.Result retried = cli.run("rollout", "promote", "abort-bot");
    assertThat(abortedTwice.exitCode()).isEqualTo(1);
    assertThat(abortedTwice.err()).contains("error: agentservice/abort-bot has no canary to abort (rollout phase"
        + " Aborted)");
    assertThat(retried.out()).contains("the aborted canary starts again at step 1");

    OperatorStatus.write(client, Kind.AGENT_SERVICE, "abort-bot", Map.of("rollout", Map.of("phase", "Healthy",
        "stable", V2, "revisions", List.of(V1, V2))));
    String promoteBefore = annotation("abort-bot", "orch.dev/promote");
    Cli.Result between = cli.run("rollout", "promote", "abort-bot");
    assertThat(between.exitCode()).isEqualTo(1);
    assertThat(between.err()).contains("has no canary to promote (rollout phase Healthy); a canary starts when the pod"
        + " template changes under spec.rollout.strategy: canary");
    assertThat(annotation("abort-bot", "orch.dev/promote")).as("nothing written").isEqualTo(promoteBefore);
  }

  @Test
  void undoAndItsAliasRollbackNameTheRevisionTheyGoBackTo() {
    canaryService("undo-bot", Map.of("phase", "Healthy", "stable", V1, "revisions", List.of(V1)));
    Cli.Result nothing = cli.run("rollout", "undo", "undo-bot");
    assertThat(nothing.exitCode()).isEqualTo(1);
    assertThat(nothing.err()).contains("has no revision before the stable one to roll back to");
    assertThat(annotation("undo-bot", "orch.dev/rollback")).isNull();

    OperatorStatus.write(client, Kind.AGENT_SERVICE, "undo-bot", Map.of("rollout", Map.of("phase", "Healthy",
        "stable", V2, "revisions", List.of(V1, V2))));
    Cli.Result undone = cli.run("rollout", "undo", "undo-bot");
    String first = annotation("undo-bot", "orch.dev/rollback");
    Cli.Result rolledBack = cli.run("rollout", "rollback", "undo-bot");

    assertThat(undone.exitCode()).as(undone.toString()).isZero();
    assertThat(undone.out()).isEqualTo("agentservice/undo-bot rolling back (orch.dev/rollback=" + first + ") to"
        + " revision 5d8f9c7b6 (acme/bot@1.0.0): its pods roll to it without a canary and stay there until the spec"
        + " changes; follow it with kubectl orch rollout status undo-bot\n");
    assertThat(rolledBack.exitCode()).isZero();
    assertThat(annotation("undo-bot", "orch.dev/rollback")).isNotEqualTo(first);
  }

  @Test
  void sleepAndWakeAnnotateAServiceOrASwarm() {
    canaryService("sleepy-bot", Map.of("phase", "Healthy", "stable", V1, "revisions", List.of(V1)));
    Cli.Result deployed = cli.run("swarm", "deploy", agentDirectory.toString(), "--name", "naps", "--replicas", "2");
    assertThat(deployed.exitCode()).as(deployed.toString()).isZero();
    long generation = Kind.SWARM.in(client).withName("naps").get().getMetadata().getGeneration();

    Cli.Result slept = cli.run("sleep", "sleepy-bot");
    Cli.Result sleptSwarm = cli.run("sleep", "swarm/naps");
    Cli.Result woken = cli.run("wake", "swarm/naps");
    Cli.Result missing = cli.run("wake", "swarm/nope");
    Cli.Result schedule = cli.run("sleep", "schedule/daily");

    assertThat(slept.exitCode()).as(slept.toString()).isZero();
    assertThat(slept.out()).isEqualTo("agentservice/sleepy-bot going to sleep (orch.dev/sleep set): its pods stop and"
        + " it shows SLEEPING until kubectl orch wake sleepy-bot; follow it with kubectl orch info sleepy-bot\n");
    assertThat(Instant.parse(annotation("sleepy-bot", "orch.dev/sleep"))).isBefore(Instant.now());
    assertThat(sleptSwarm.out()).startsWith("swarm/naps going to sleep (orch.dev/sleep set)");
    assertThat(woken.out()).isEqualTo("swarm/naps waking up (orch.dev/wake set): its pods start again; follow it with"
        + " kubectl orch info swarm/naps\n");
    GenericKubernetesResource swarm = Kind.SWARM.in(client).withName("naps").get();
    assertThat(swarm.getMetadata().getAnnotations()).containsKeys("orch.dev/sleep", "orch.dev/wake");
    assertThat(swarm.getMetadata().getGeneration()).as("the spec is untouched").isEqualTo(generation);
    assertThat(swarm.getMetadata().getManagedFields())
        .extracting(ManagedFieldsEntry::getManager, ManagedFieldsEntry::getOperation)
        .containsExactlyInAnyOrder(tuple("kubectl-orch", "Apply"), tuple("kubectl-orch", "Update"));
    assertThat(missing.exitCode()).isEqualTo(1);
    assertThat(missing.err()).contains("error: swarm \"nope\" not found in namespace " + client.getNamespace());
    assertThat(schedule.exitCode()).isEqualTo(1);
    assertThat(schedule.err()).contains("a Schedule is switched off with spec.enabled");
  }

  @Test
  void wakeForADurationSetsKeepAwakeToTheTimeItEnds() {
    canaryService("office-bot", Map.of("phase", "Healthy", "stable", V1, "revisions", List.of(V1)));
    Instant before = Instant.now();
    Cli.Result kept = cli.run("wake", "office-bot", "--for", "1h30m");
    Cli.Result wrong = cli.run("wake", "office-bot", "--for", "soon");

    assertThat(kept.exitCode()).as(kept.toString()).isZero();
    Instant until = Instant.parse(annotation("office-bot", "orch.dev/keep-awake"));
    assertThat(until).isBetween(before.plusSeconds(5400), Instant.now().plusSeconds(5400));
    assertThat(kept.out()).isEqualTo("agentservice/office-bot waking up (orch.dev/keep-awake set): its pods start again"
        + " and it stays awake until " + until + " (kubectl orch sleep office-bot ends it sooner); follow it with kubectl"
        + " orch info office-bot\n");
    assertThat(Kind.AGENT_SERVICE.in(client).withName("office-bot").get().getMetadata().getAnnotations())
        .doesNotContainKey("orch.dev/wake");
    assertThat(wrong.exitCode()).isEqualTo(1);
    assertThat(wrong.err()).contains("--for soon is not a duration; write hours, minutes and seconds such as 2h");
  }

  /** An AgentService with a canary strategy, made as GitOps would (not by kubectl-orch), and its status.rollout. */
  private void canaryService(String name, Map<String, Object> rollout) {
    GenericKubernetesResource service = new GenericKubernetesResource();
    service.setApiVersion(Kind.API_VERSION);
    service.setKind("AgentService");
    service.setMetadata(new ObjectMetaBuilder().withName(name).build());
    service.setAdditionalProperty("spec", Map.of("agent", "acme/bot@1.2.0", "bundle", Map.of("url",
        "https://bundles.example.com/bot.tar.gz"), "rollout", Map.of("strategy", "canary", "steps",
        List.of(Map.of("weight", 20, "pause", Map.of("duration", "1m")), Map.of("weight", 50, "pause", Map.of())))));
    Kind.AGENT_SERVICE.in(client).resource(service).create();
    OperatorStatus.write(client, Kind.AGENT_SERVICE, name, Map.of("rollout", rollout));
  }

  private String annotation(String name, String key) {
    Map<String, String> annotations = Kind.AGENT_SERVICE.in(client).withName(name).get().getMetadata().getAnnotations();
    return annotations == null ? null : annotations.get(key);
  }
}
