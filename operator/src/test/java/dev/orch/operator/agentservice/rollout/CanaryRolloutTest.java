package dev.orch.operator.agentservice.rollout;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import java.time.Instant;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

import org.junit.jupiter.api.Test;

import dev.orch.operator.agent.Bundle;
import dev.orch.operator.agent.EnvVar;
import dev.orch.operator.agentservice.AgentService;
import dev.orch.operator.agentservice.AgentServicePlan;
import dev.orch.operator.agentservice.AgentServiceSpec;
import dev.orch.operator.agentservice.AgentServiceStatus;
import dev.orch.operator.agentservice.rollout.RolloutStatus.Phase;
import dev.orch.operator.core.MetadataKeys;
import dev.orch.operator.core.crashloop.CrashLoop;
import dev.orch.operator.core.crashloop.CrashLoopRecord;
import dev.orch.operator.core.status.EventRecorder.Notice;
import dev.orch.operator.core.config.OperatorSettings;
import io.fabric8.kubernetes.api.model.ObjectMetaBuilder;
import io.fabric8.kubernetes.api.model.apps.Deployment;
import io.fabric8.kubernetes.api.model.apps.DeploymentStatusBuilder;

/** The canary's state machine without a cluster: each call is one reconcile, the test plays the Deployment controller. */
class CanaryRolloutTest {
  private static final Instant T0 = Instant.parse("2026-11-30T10:00:00Z");
  private static final List<AgentServiceSpec.Step> STEPS = List.of(
      new AgentServiceSpec.Step(20, new AgentServiceSpec.Pause("1m")),
      new AgentServiceSpec.Step(50, new AgentServiceSpec.Pause(null)));

  private AgentService service = service("v1");
  private final Map<String, Deployment> cluster = new HashMap<>();
  private CanaryRollout.Decision last;

  @Test
  void splitKeepsOnePodPerTrackAndFollowsTheWeight() {
    assertThat(CanaryRollout.split(5, 20)).isEqualTo(new CanaryRollout.Split(4, 1));
    assertThat(CanaryRollout.split(4, 50)).isEqualTo(new CanaryRollout.Split(2, 2));
    assertThat(CanaryRollout.split(10, 99)).isEqualTo(new CanaryRollout.Split(1, 9));
    assertThat(CanaryRollout.split(1, 20)).as("one instance: one pod each").isEqualTo(new CanaryRollout.Split(1, 1));
    assertThat(CanaryRollout.split(3, 0)).isEqualTo(new CanaryRollout.Split(3, 0));
  }

  @Test
  void aNewTemplateStartsACanaryThatStepsPausesAndIsPromoted() {
    reconcile(T0);
    String v1 = CanaryRollout.templateHash(cluster.get("bot"));
    assertThat(last.status().phase()).isEqualTo(Phase.Healthy);
    assertThat(cluster).containsOnlyKeys("bot");

    service = service("v2");
    reconcile(T0.plusSeconds(10));
    assertThat(last.status().phase()).isEqualTo(Phase.Progressing);
    assertThat(last.status().weight()).isEqualTo(20);
    assertThat(cluster.get("bot").getSpec().getReplicas()).isEqualTo(4);
    assertThat(CanaryRollout.templateHash(cluster.get("bot"))).as("stable keeps its template").isEqualTo(v1);
    Deployment canary = cluster.get("bot-canary");
    assertThat(canary.getSpec().getReplicas()).isEqualTo(1);
    assertThat(canary.getSpec().getTemplate().getMetadata().getLabels()).containsEntry("orch.dev/track", "canary");
    assertThat(canary.getSpec().getSelector().getMatchLabels()).containsEntry("orch.dev/track", "canary");
    assertThat(agent(canary).getReadinessProbe().getTcpSocket().getPort().getIntVal())
        .as("a canary pod is ready only once its agent's port accepts").isEqualTo(3000);
    assertThat(agent(cluster.get("bot")).getReadinessProbe().getTcpSocket().getPort().getIntVal())
        .as("so are the stable pods of a canary service").isEqualTo(3000);
    assertThat(reasons()).contains("CanaryStarted");
    assertThat(last.verdict()).get().satisfies(v -> assertThat(v.reconciling()).isTrue());

    ready("bot-canary", 1);
    reconcile(T0.plusSeconds(20));
    assertThat(last.status().step()).as("the pause of step 1 runs").isEqualTo(1);
    assertThat(last.recheckIn()).contains(Duration.ofSeconds(50));

    reconcile(T0.plusSeconds(71));
    assertThat(last.status().step()).isEqualTo(2);
    assertThat(last.status().weight()).isEqualTo(50);
    assertThat(cluster.get("bot-canary").getSpec().getReplicas()).isEqualTo(3);
    assertThat(cluster.get("bot").getSpec().getReplicas()).isEqualTo(2);

    ready("bot-canary", 3);
    reconcile(T0.plusSeconds(80));
    assertThat(last.status().phase()).as("an indefinite pause waits").isEqualTo(Phase.Paused);
    reconcile(T0.plusSeconds(3600));
    assertThat(last.status().phase()).isEqualTo(Phase.Paused);

    annotate(MetadataKeys.PROMOTE, "1");
    reconcile(T0.plusSeconds(3601));
    assertThat(last.status().phase()).isEqualTo(Phase.Promoted);
    String v2 = CanaryRollout.templateHash(cluster.get("bot-canary"));
    assertThat(CanaryRollout.templateHash(cluster.get("bot"))).as("stable takes the new template").isEqualTo(v2);
    assertThat(cluster.get("bot").getSpec().getReplicas()).isEqualTo(5);
    assertThat(cluster).as("the canary serves until stable has rolled").containsKey("bot-canary");

    readyStable(5);
    reconcile(T0.plusSeconds(3700));
    assertThat(last.status().phase()).isEqualTo(Phase.Healthy);
    assertThat(cluster).containsOnlyKeys("bot");
    assertThat(last.status().revisions()).extracting(RolloutStatus.Revision::templateHash).containsExactly(v1, v2);
    assertThat(reasons()).contains("CanaryPromoted");
  }

  @Test
  void abortReturnsAllTrafficToStableAndPromoteRetries() {
    reconcile(T0);
    service = service("v2");
    reconcile(T0.plusSeconds(1));
    annotate(MetadataKeys.ABORT, "now");
    reconcile(T0.plusSeconds(2));
    assertThat(last.status().phase()).isEqualTo(Phase.Aborted);
    assertThat(cluster.get("bot").getSpec().getReplicas()).isEqualTo(5);
    assertThat(cluster.get("bot-canary").getSpec().getReplicas()).isZero();
    assertThat(last.verdict()).get().satisfies(v -> {
      assertThat(v.stalled()).isTrue();
      assertThat(v.message()).contains("orch.dev/promote=");
    });
    reconcile(T0.plusSeconds(3));
    assertThat(last.notices()).as("acted on once").isEmpty();

    annotate(MetadataKeys.PROMOTE, "retry");
    reconcile(T0.plusSeconds(4));
    assertThat(last.status().phase()).isEqualTo(Phase.Progressing);
    assertThat(cluster.get("bot-canary").getSpec().getReplicas()).isEqualTo(1);
  }

  @Test
  void anAbortedCanarysPodsStayOutOfTheServiceUntilARetryReplacesThem() {
    reconcile(T0);
    assertThat(cluster.get("bot").getSpec().getTemplate().getMetadata().getLabels())
        .as("a canary service's stable pods carry their track").containsEntry("orch.dev/track", "stable");
    readyStable(5);
    service = service("v2");
    reconcile(T0.plusSeconds(1));
    assertThat(last.stableTrackOnly()).as("the canary serves").isFalse();
    String firstAttempt = canaryStarted();

    annotate(MetadataKeys.ABORT, "now");
    reconcile(T0.plusSeconds(2));
    assertThat(last.status().phase()).isEqualTo(Phase.Aborted);
    assertThat(last.stableTrackOnly()).isTrue();
    assertThat(cluster.get("bot").getSpec().getReplicas()).isEqualTo(5);
    assertThat(cluster.get("bot-canary").getSpec().getReplicas()).as("the canary's pod stays").isEqualTo(1);
    assertThat(last.status().canaryReplicas()).isEqualTo(1);
    assertThat(last.status().message()).contains("the canary's pods stay, out of the Service, until the next change")
        .contains("kubectl logs -n team-a -l app.kubernetes.io/instance=bot,orch.dev/kind=agentservice,orch.dev/track=canary"
            + " -c agent --previous");
    assertThat(last.notices()).singleElement().satisfies(n -> assertThat(n.message()).contains("kubectl logs"));
    // The stable Deployment takes back every instance: a generation its controller has not seen yet.
    cluster.get("bot").getMetadata().setGeneration(3L);
    reconcile(T0.plusSeconds(3));
    assertThat(last.stableTrackOnly()).as("until the next change").isTrue();
    assertThat(cluster.get("bot-canary").getSpec().getReplicas()).isEqualTo(1);

    annotate(MetadataKeys.PROMOTE, "retry");
    reconcile(T0.plusSeconds(4));
    assertThat(last.status().phase()).isEqualTo(Phase.Progressing);
    assertThat(last.stableTrackOnly()).isFalse();
    assertThat(canaryStarted()).as("a retry gets fresh pods").isNotEqualTo(firstAttempt);

    readyStable(4);
    annotate(MetadataKeys.ABORT, "again");
    reconcile(T0.plusSeconds(5));
    assertThat(last.stableTrackOnly()).isTrue();
    service = service("v3");
    reconcile(T0.plusSeconds(6));
    assertThat(last.status().phase()).as("a new template replaces the aborted canary").isEqualTo(Phase.Progressing);
    assertThat(last.stableTrackOnly()).isFalse();
  }

  @Test
  void stablePodsWithoutTheTrackLabelGetItOnlyWithTheNextChangeAndAnAbortMeanwhileScalesTheCanaryToZero() {
    reconcile(T0);
    cluster.get("bot").getSpec().getTemplate().getMetadata().getLabels().remove("orch.dev/track");
    // As an operator before the label made it: the hash of the template the plan makes.
    cluster.get("bot").getMetadata().getAnnotations().put(MetadataKeys.TEMPLATE_HASH,
        CanaryRollout.hash(planned().getSpec().getTemplate()));
    readyStable(5);
    String unlabelled = CanaryRollout.templateHash(cluster.get("bot"));

    reconcile(T0.plusSeconds(1));
    assertThat(last.status().phase()).as("the label alone is no new revision").isEqualTo(Phase.Healthy);
    assertThat(CanaryRollout.templateHash(cluster.get("bot"))).as("nor a restart of the stable pods").isEqualTo(unlabelled);
    assertThat(cluster.get("bot").getSpec().getTemplate().getMetadata().getLabels()).doesNotContainKey("orch.dev/track");

    service = service("v2");
    reconcile(T0.plusSeconds(2));
    annotate(MetadataKeys.ABORT, "now");
    reconcile(T0.plusSeconds(3));
    assertThat(last.status().phase()).isEqualTo(Phase.Aborted);
    assertThat(last.stableTrackOnly()).isFalse();
    assertThat(cluster.get("bot-canary").getSpec().getReplicas()).isZero();
    assertThat(last.status().message()).contains("scaled to 0").contains("orch.dev/track=stable");

    annotate(MetadataKeys.PROMOTE, "retry");
    reconcile(T0.plusSeconds(4));
    annotate(MetadataKeys.PROMOTE, "full");
    reconcile(T0.plusSeconds(5));
    assertThat(last.status().phase()).isEqualTo(Phase.Promoted);
    assertThat(cluster.get("bot").getSpec().getTemplate().getMetadata().getLabels())
        .as("the promoted template brings the label").containsEntry("orch.dev/track", "stable");
  }

  @Test
  void aRetrysHealthGateCountsOnlyItsOwnPods() {
    io.fabric8.kubernetes.api.model.Pod aborted = pod("2026-11-30T10:00:01Z");
    io.fabric8.kubernetes.api.model.Pod retried = pod("2026-11-30T10:00:04Z");
    io.fabric8.kubernetes.api.model.Pod older = new io.fabric8.kubernetes.api.model.PodBuilder().withNewMetadata()
        .withName("from-before").endMetadata().build();
    RolloutStatus status = new RolloutStatus(Phase.Progressing, 1, 2, 20, 1, 4, null, null, "2026-11-30T10:00:04Z",
        null, null, 0, null, null, null, null, null);
    assertThat(Rollouts.ofAttempt(List.of(aborted, retried, older), status)).containsExactly(retried, older);
  }

  private static io.fabric8.kubernetes.api.model.Pod pod(String attempt) {
    return new io.fabric8.kubernetes.api.model.PodBuilder().withNewMetadata().withName("canary-" + attempt)
        .addToAnnotations(MetadataKeys.CANARY_STARTED, attempt).endMetadata().build();
  }

  private String canaryStarted() {
    return cluster.get("bot-canary").getSpec().getTemplate().getMetadata().getAnnotations().get(MetadataKeys.CANARY_STARTED);
  }

  @Test
  void aSecondFullPromoteNeedsAValueTheStatusHasNotHandled() {
    reconcile(T0);
    service = service("v2");
    reconcile(T0.plusSeconds(1));
    annotate(MetadataKeys.PROMOTE, "full");
    reconcile(T0.plusSeconds(2));
    assertThat(last.status().phase()).isEqualTo(Phase.Promoted);
    readyStable(5);
    reconcile(T0.plusSeconds(3));
    assertThat(last.status().phase()).isEqualTo(Phase.Healthy);

    service = service("v3");
    reconcile(T0.plusSeconds(4));
    assertThat(last.status().phase()).as("full was handled already").isEqualTo(Phase.Progressing);
    annotate(MetadataKeys.PROMOTE, "full-2026-11-30T10:00:05Z");
    reconcile(T0.plusSeconds(5));
    assertThat(last.status().phase()).isEqualTo(Phase.Promoted);
    assertThat(last.status().message()).isEqualTo("promoted in full by orch.dev/promote=full-2026-11-30T10:00:05Z");
  }

  @Test
  void aCrashLoopingCanaryIsAbortedAutomatically() {
    reconcile(T0);
    service = service("v2");
    reconcile(T0.plusSeconds(1));
    CrashLoopRecord record = new CrashLoopRecord();
    last = decide(T0.plusSeconds(2), new CrashLoop.Counters(3, 3, "Error (exit code 1): boom", record));
    assertThat(last.status().phase()).isEqualTo(Phase.Aborted);
    assertThat(last.abortedBecause()).get().asString().contains("3 restarts in a row").contains("boom");
  }

  @Test
  void aCanaryUnreadyLongerThanTheLimitIsAborted() {
    reconcile(T0);
    service = service("v2");
    reconcile(T0.plusSeconds(1));
    assertThat(last.status().canaryUnreadySince()).isNotNull();
    reconcile(T0.plusSeconds(100));
    assertThat(last.status().phase()).isEqualTo(Phase.Progressing);
    assertThat(last.recheckIn()).contains(Duration.ofSeconds(21));
    reconcile(T0.plusSeconds(122));
    assertThat(last.status().phase()).isEqualTo(Phase.Aborted);
    assertThat(last.abortedBecause()).get().asString().contains("0 of 1 pods ready");
  }

  @Test
  void aNewChangeDuringACanaryRestartsItWithTheNewTemplate() {
    reconcile(T0);
    service = service("v2");
    reconcile(T0.plusSeconds(1));
    String v2 = CanaryRollout.templateHash(cluster.get("bot-canary"));
    service = service("v3");
    reconcile(T0.plusSeconds(2));
    assertThat(CanaryRollout.templateHash(cluster.get("bot-canary"))).isNotEqualTo(v2);
    assertThat(last.status().step()).isEqualTo(1);
    assertThat(reasons()).contains("CanaryStarted");
  }

  @Test
  void aRollingAgentThatDeclaresHttpIsReadyOnlyOnceItsPortAcceptsAndOthersKeepTheGatewaysReadiness() {
    service.getSpec().setRollout(new AgentServiceSpec.Rollout(AgentServiceSpec.RolloutStrategy.ROLLING, null, null, null));
    service.getSpec().setHttp(AgentServiceSpec.Http.on(3000));
    reconcile(T0);
    assertThat(agent(cluster.get("bot")).getReadinessProbe().getTcpSocket().getPort().getIntVal()).isEqualTo(3000);
    assertThat(gateway(cluster.get("bot")).getReadinessProbe().getHttpGet().getPath()).as("the gateway's stays")
        .isEqualTo("/health");

    service = service("v1");
    service.getSpec().setRollout(new AgentServiceSpec.Rollout(AgentServiceSpec.RolloutStrategy.ROLLING, null, null, null));
    reconcile(T0.plusSeconds(1));
    assertThat(agent(cluster.get("bot")).getReadinessProbe()).as("without an http block it may be a worker that never listens")
        .isNull();

    service = service("v1");
    service.getSpec().setRollout(new AgentServiceSpec.Rollout(AgentServiceSpec.RolloutStrategy.ROLLING, null, null, null));
    service.getSpec().setHttp(AgentServiceSpec.Http.none());
    reconcile(T0.plusSeconds(2));
    assertThat(agent(cluster.get("bot")).getReadinessProbe()).as("a worker never opens a port").isNull();
  }

  private static io.fabric8.kubernetes.api.model.Container gateway(Deployment deployment) {
    var pod = deployment.getSpec().getTemplate().getSpec();
    return java.util.stream.Stream.concat(pod.getInitContainers().stream(), pod.getContainers().stream())
        .filter(c -> c.getName().equals("gateway")).findFirst().orElseThrow();
  }

  private static io.fabric8.kubernetes.api.model.Container agent(Deployment deployment) {
    return deployment.getSpec().getTemplate().getSpec().getContainers().stream()
        .filter(c -> c.getName().equals("agent")).findFirst().orElseThrow();
  }

  private void reconcile(Instant now) {
    last = decide(now, CrashLoop.Counters.none());
  }

  private CanaryRollout.Decision decide(Instant now, CrashLoop.Counters canaryCrashes) {
    Deployment desired = planned();
    StableTrack.label(service.getSpec(), desired.getSpec().getTemplate(), Optional.ofNullable(cluster.get("bot")));
    var seen = new CanaryRollout.Observed(Optional.ofNullable(cluster.get("bot")), Optional.ofNullable(cluster.get("bot-canary")),
        canaryCrashes, Optional.empty(), now);
    CanaryRollout.Decision decision = CanaryRollout.decide(service, desired, false, seen);
    // The API server keeps status and a Deployment's status across applies; the test keeps them too.
    decision.deployments().forEach((name, d) -> {
      Deployment before = cluster.get(name);
      if (before != null && CanaryRollout.hash(before.getSpec().getTemplate()).equals(CanaryRollout.hash(d.getSpec().getTemplate()))) {
        d.setStatus(before.getStatus());
        d.getMetadata().setGeneration(before.getMetadata().getGeneration());
      }
    });
    cluster.keySet().retainAll(decision.deployments().keySet());
    cluster.putAll(decision.deployments());
    AgentServiceStatus status = new AgentServiceStatus();
    status.setRollout(decision.status());
    service.setStatus(status);
    return decision;
  }

  private Deployment planned() {
    return AgentServicePlan.of(service, List.of(), Map.of(), false, OperatorSettings.defaults()).get(Deployment.class)
        .orElseThrow();
  }

  private void ready(String name, int pods) {
    cluster.get(name).setStatus(new DeploymentStatusBuilder().withReadyReplicas(pods).build());
  }

  private void readyStable(int pods) {
    cluster.get("bot").getMetadata().setGeneration(2L);
    cluster.get("bot").setStatus(new DeploymentStatusBuilder().withObservedGeneration(2L).withReadyReplicas(pods)
        .withUpdatedReplicas(pods).withReplicas(pods).build());
  }

  private void annotate(String annotation, String value) {
    service.getMetadata().getAnnotations().put(annotation, value);
  }

  private List<String> reasons() {
    return last.notices().stream().map(Notice::reason).toList();
  }

  private AgentService service(String version) {
    AgentServiceSpec spec = new AgentServiceSpec();
    spec.setAgent("acme/bot");
    spec.setBundle(new Bundle(null, "https://bundles.example.com/bot.tar.gz", null, null, null));
    spec.setEnv(List.of(new EnvVar("VERSION", version)));
    spec.setMinInstances(5);
    spec.setMaxInstances(5);
    spec.setMaxRestartFailures(3);
    spec.setRollout(new AgentServiceSpec.Rollout(AgentServiceSpec.RolloutStrategy.CANARY, STEPS, "2m", null));
    AgentService next = new AgentService();
    next.setMetadata(new ObjectMetaBuilder().withName("bot").withNamespace("team-a").withGeneration(1L)
        .withAnnotations(new HashMap<>(this.service == null ? Map.of() : this.service.getMetadata().getAnnotations())).build());
    next.setSpec(spec);
    next.setStatus(this.service == null ? null : this.service.getStatus());
    return next;
  }
}
