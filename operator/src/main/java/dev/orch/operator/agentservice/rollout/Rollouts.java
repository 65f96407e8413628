package dev.orch.operator.agentservice.rollout;

import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.Optional;

import dev.orch.operator.agent.AgentDeployment;
import dev.orch.operator.agent.AgentPod;
import dev.orch.operator.agentservice.AgentService;
import dev.orch.operator.agentservice.AgentServiceStatus;
import dev.orch.operator.agentservice.rollout.RolloutStatus.Phase;
import dev.orch.operator.core.MetadataKeys;
import dev.orch.operator.core.status.AgentState;
import dev.orch.operator.core.alerts.AlertWebhook;
import dev.orch.operator.core.status.Conditions;
import dev.orch.operator.core.crashloop.CrashLoop;
import dev.orch.operator.core.crashloop.CrashLoopRecord;
import dev.orch.operator.core.reconcile.Labels;
import dev.orch.operator.core.reconcile.Plan;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.PodTemplateSpec;
import io.fabric8.kubernetes.api.model.Service;
import io.fabric8.kubernetes.api.model.apps.Deployment;
import io.fabric8.kubernetes.api.model.apps.ReplicaSet;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.utils.Serialization;

/**
 * What the AgentService reconciler does for rollouts, between computing its plan and writing its status: the
 * I/O around {@link CanaryRollout#decide}, which is pure.
 */
public final class Rollouts {
  private Rollouts() {
  }

  /** Pods of the canary track; the service's own crash-loop counting sees only the others. */
  public static boolean isCanary(Pod pod) {
    Map<String, String> labels = pod.getMetadata().getLabels();
    return labels != null && CanaryRollout.CANARY_TRACK.equals(labels.get(MetadataKeys.TRACK));
  }

  /**
   * Decides the rollout and puts its Deployments into the plan (replacing the plan's single one), without the
   * autoscaler while a canary splits the instances.
   */
  public static CanaryRollout.Decision decideInto(Plan plan, AgentService service, boolean stopped,
      Map<String, Deployment> deployments, List<Pod> canaryPods, Duration stableAfter, KubernetesClient client,
      Instant now) {
    Deployment desired = plan.get(Deployment.class).orElseThrow();
    Optional<Deployment> stable = Optional.ofNullable(deployments.get(service.getMetadata().getName()));
    StableTrack.label(service.getSpec(), desired.getSpec().getTemplate(), stable);
    RolloutStatus previous = service.getStatus() == null ? null : service.getStatus().getRollout();
    CrashLoop.Counters counters = previous == null ? CrashLoop.Counters.none()
        : CrashLoop.Counters.of(null, previous.canaryRestartFailures(), null, previous.canaryCrashLoop());
    CrashLoop.Counters canaryCrashes = CrashLoop.track(counters, ofAttempt(canaryPods, previous), AgentPod.AGENT_CONTAINER,
        service.getSpec().getMaxRestartFailures(), false, stableAfter, now).counters();
    String stableHash = stable.map(CanaryRollout::templateHash).orElse(null);
    Optional<PodTemplateSpec> previousTemplate = CanaryRollout.rollbackHash(service)
        .filter(hash -> !hash.equals(stableHash))
        .flatMap(hash -> replicaSetTemplate(client, service, hash));
    var seen = new CanaryRollout.Observed(stable, Optional.ofNullable(deployments.get(CanaryRollout.canaryName(service))),
        canaryCrashes, previousTemplate, now.truncatedTo(java.time.temporal.ChronoUnit.SECONDS));
    CanaryRollout.Decision decision = CanaryRollout.decide(service, desired, stopped, seen);
    plan.without(Deployment.class).withAll(Deployment.class, decision.deployments());
    if (!decision.autoscalerAllowed()) {
      plan.without(io.fabric8.kubernetes.api.model.autoscaling.v2.HorizontalPodAutoscaler.class);
    }
    if (decision.stableTrackOnly()) {
      plan.get(Service.class).ifPresent(main -> plan.with(StableTrack.selectingStableOnly(main)));
    }
    return decision;
  }

  /**
   * The canary pods of the attempt the status records: a retried canary's health gate must not count the restarts
   * of the aborted attempt's pods, which stay until the new pods replace them.
   */
  static List<Pod> ofAttempt(List<Pod> canaryPods, RolloutStatus previous) {
    String startedAt = previous == null ? null : previous.startedAt();
    return canaryPods.stream().filter(pod -> {
      Map<String, String> annotations = pod.getMetadata().getAnnotations();
      String attempt = annotations == null ? null : annotations.get(MetadataKeys.CANARY_STARTED);
      return attempt == null || attempt.equals(startedAt);
    }).toList();
  }

  /**
   * Whether the stable Deployment's pods all carry the stable track label, so that a Gateway route can send
   * traffic to the stable track's own Service: its template has the label and has rolled out to every pod.
   */
  public static boolean stableTrackLabelled(Optional<Deployment> stable) {
    return StableTrack.allPodsLabelled(stable) && AgentDeployment.readyReplicas(stable.get()) > 0;
  }

  /**
   * The pod template a revision ran with, from the stable Deployment's ReplicaSet that the Deployment controller
   * annotated with its hash (it copies the Deployment's annotations onto each new ReplicaSet). Read on demand: only
   * a rollback needs it.
   */
  static Optional<PodTemplateSpec> replicaSetTemplate(KubernetesClient client, AgentService service, String hash) {
    return client.apps().replicaSets().inNamespace(service.getMetadata().getNamespace())
        .withLabels(Labels.selector(service)).list().getItems().stream()
        .filter(rs -> rs.getMetadata().getOwnerReferences().stream()
            .anyMatch(o -> "Deployment".equals(o.getKind()) && service.getMetadata().getName().equals(o.getName())))
        .filter(rs -> rs.getMetadata().getAnnotations() != null
            && hash.equals(rs.getMetadata().getAnnotations().get(MetadataKeys.TEMPLATE_HASH)))
        .findFirst().map(Rollouts::templateOf);
  }

  private static PodTemplateSpec templateOf(ReplicaSet replicaSet) {
    PodTemplateSpec template = Serialization.clone(replicaSet.getSpec().getTemplate());
    // The Deployment controller's own label; it adds it again to whichever ReplicaSet the template matches.
    template.getMetadata().getLabels().remove("pod-template-hash");
    return template;
  }

  /**
   * Puts the rollout into the status the calculator made: while a canary runs, the instances are both tracks'
   * and the conditions say where the rollout is (unless something else already stalls the service); a pin from a
   * rollback is said in the Ready condition.
   *
   * @param heldBack what keeps the new version from serving, when something does: the Gateway route's problem, or the
   *     first check of an auto-update source
   */
  public static void show(AgentServiceStatus status, AgentServiceStatus previous, CanaryRollout.Decision decision,
      Optional<Conditions.Verdict> heldBack, Map<String, Deployment> deployments, AgentService service, String now) {
    long generation = service.getMetadata().getGeneration() == null ? 0 : service.getMetadata().getGeneration();
    List<io.fabric8.kubernetes.api.model.Condition> before = previous == null ? null : previous.getConditions();
    if (heldBack.isPresent() && !Conditions.isTrue(status.getConditions(), Conditions.STALLED)) {
      status.setConditions(Conditions.merge(before, heldBack.get(), generation, now));
    }
    if (decision == null) {
      status.setRollout(previous == null ? null : previous.getRollout());
      return;
    }
    RolloutStatus rollout = decision.status();
    status.setRollout(rollout);
    boolean canaryRuns = rollout.phase() == Phase.Progressing || rollout.phase() == Phase.Paused
        || rollout.phase() == Phase.Promoted;
    if (canaryRuns && !Conditions.isTrue(status.getConditions(), Conditions.STALLED)) {
      int ready = deployments.values().stream().mapToInt(AgentDeployment::readyReplicas).sum();
      status.setReadyInstances(ready);
      status.setState(ready > 0 ? AgentState.RUNNING : AgentState.PROVISIONING);
      status.setHealth(ready > 0 ? AgentServiceStatus.Health.HEALTHY : AgentServiceStatus.Health.UNKNOWN);
    }
    if (decision.verdict().isPresent() && !Conditions.isTrue(status.getConditions(), Conditions.STALLED)) {
      status.setConditions(Conditions.merge(before, decision.verdict().get(), generation, now));
    } else if (rollout.pinned() != null && Conditions.isTrue(status.getConditions(), Conditions.READY)) {
      String ready = Conditions.find(status.getConditions(), Conditions.READY).map(c -> c.getMessage()).orElse("");
      status.setConditions(Conditions.merge(before, Conditions.Verdict.ready("RolledBack", ready + "; pinned to revision "
          + rollout.pinned().revision().templateHash() + " (" + rollout.pinned().revision().agent() + ") by "
          + MetadataKeys.ROLLBACK + " until the spec changes"), generation, now));
    }
  }

  /** The alert for a canary the health gate aborted, in the crash-loop alerts' shape. */
  public static AlertWebhook.Payload abortAlert(AgentService service, String reason) {
    RolloutStatus rollout = service.getStatus().getRollout();
    int failures = rollout.canaryRestartFailures() == null ? 0 : rollout.canaryRestartFailures();
    long restarts = rollout.canaryCrashLoop() == null ? 0
        : rollout.canaryCrashLoop().getPods().stream().mapToLong(CrashLoopRecord.PodRestarts::restarts).sum();
    return new AlertWebhook.Payload(CanaryRollout.ROLLOUT_ABORTED_EVENT, service.getMetadata().getUid(),
        service.getMetadata().getNamespace(), service.getMetadata().getName(), restarts, failures,
        service.getSpec().getMaxRestartFailures(), false, reason);
  }
}
