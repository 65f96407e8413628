package dev.orch.operator.agentservice;

import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.Optional;

import dev.orch.operator.agent.AgentDeployment;
import dev.orch.operator.core.bundle.BundleCheck;
import dev.orch.operator.core.config.OperatorSettings;
import dev.orch.operator.core.crashloop.CrashLoop;
import dev.orch.operator.core.reconcile.RestartRequest;
import dev.orch.operator.core.reconcile.Verdicts;
import dev.orch.operator.core.secrets.SecretCheck;
import dev.orch.operator.core.status.AgentState;
import dev.orch.operator.core.status.Conditions.Verdict;
import dev.orch.operator.core.status.Conditions;
import dev.orch.operator.core.status.EventRecorder.Notice;
import io.fabric8.kubernetes.api.model.Condition;
import io.fabric8.kubernetes.api.model.apps.Deployment;
import io.fabric8.kubernetes.api.model.apps.DeploymentCondition;

/**
 * The status an AgentService should show, and the events its change deserves, as pure functions of what the
 * reconciler observed. Nothing here depends on the clock except through {@code now}, so an unchanged world
 * gives an identical status and the reconciler writes nothing.
 */
final class AgentServiceStatusCalculator {
  private AgentServiceStatusCalculator() {
  }

  /** What the reconciler saw this time, with the crash-loop counters it derived from the pods. */
  record Observation(Optional<Deployment> deployment, BundleCheck bundle, SecretCheck secrets, CrashLoop.Counters crashes,
      String now) {
  }

  /** The counters as the status holds them, for {@link CrashLoop#track}. */
  static CrashLoop.Counters counters(AgentServiceStatus status) {
    return status == null ? CrashLoop.Counters.none()
        : CrashLoop.Counters.of(status.getRestartCount(), status.getConsecutiveRestartFailures(), status.getLastError(),
            status.getCrashLoop());
  }

  static AgentServiceStatus compute(AgentService service, Observation seen, OperatorSettings settings) {
    AgentServiceStatus previous = service.getStatus();
    AgentServiceSpec spec = service.getSpec();
    long generation = Conditions.generation(service);
    AgentServiceStatus status = new AgentServiceStatus();
    status.setObservedGeneration(generation);
    status.setUrl(AgentServicePlan.publicUrl(service, settings).orElse(null));
    status.setInternalUrl(AgentServicePlan.internalUrl(service).orElse(null));
    status.setRestartCount(seen.crashes().restartCount());
    status.setConsecutiveRestartFailures(seen.crashes().consecutiveFailures());
    status.setLastError(seen.crashes().lastError());
    status.setCrashLoop(seen.crashes().record());
    boolean crashLoopPaused = seen.crashes().record().isAutoPaused();

    String restartedAt = RestartRequest.requestedAt(service);
    status.setLastRestartAt(restartedAt != null ? restartedAt : previous.getLastRestartAt());

    boolean deploys = seen.bundle().satisfied() && seen.secrets().satisfied();
    boolean rolledOut = deploys
        && (previous.getObservedGeneration() == null || previous.getObservedGeneration() != generation
            || !Objects.equals(restartedAt, previous.getLastRestartAt()));
    status.setDeployedAt(rolledOut || previous.getDeployedAt() == null && deploys ? seen.now() : previous.getDeployedAt());

    Deployment deployment = seen.deployment().orElse(null);
    int ready = AgentDeployment.readyReplicas(deployment);
    int wanted = AgentServicePlan.stopped(service, crashLoopPaused) ? 0 : spec.getMinInstances();
    status.setReadyInstances(ready);

    Verdict verdict;
    Optional<Verdict> blocker = Verdicts.blocker(seen.bundle(), seen.secrets());
    if (blocker.isPresent()) {
      verdict = blocker.get();
      status.setState(ready > 0 ? AgentState.RUNNING : AgentState.FAILED);
      // A missing secret is said by the Stalled condition only: lastError is the agent's last crash, which the
      // crash-loop counters carry on, and a missing secret written there outlived the secret's arrival.
      seen.bundle().problem().ifPresent(problem -> status.setLastError(problem.message()));
    } else if (crashLoopPaused) {
      verdict = Verdict.stalled("CrashLoop", "auto-paused after " + seen.crashes().consecutiveFailures()
          + " consecutive failed restarts (maxRestartFailures " + spec.getMaxRestartFailures() + "); last error: "
          + seen.crashes().lastError() + ". Fix the cause, then restart: " + RestartRequest.command(service));
      status.setState(AgentState.CRASH_LOOP);
    } else if (Boolean.TRUE.equals(spec.getPaused())) {
      verdict = Verdicts.PAUSED;
      status.setState(AgentState.PAUSED);
    } else if (progressDeadlineExceeded(deployment)) {
      verdict = Verdict.stalled("ProgressDeadlineExceeded", "the rollout made no progress: "
          + deploymentCondition(deployment, "Progressing").map(DeploymentCondition::getMessage).orElse("")
          + "; see kubectl describe pods -l app.kubernetes.io/instance=" + service.getMetadata().getName());
      status.setState(AgentState.FAILED);
    } else if (rolloutComplete(deployment, wanted)) {
      verdict = Verdict.ready("Running", ready + "/" + wanted + " instances ready");
      status.setState(AgentState.RUNNING);
    } else {
      verdict = Verdict.progressing("RollingOut", ready + "/" + wanted + " instances ready");
      status.setState(AgentState.PROVISIONING);
    }
    status.setHealth(wanted == 0 ? AgentServiceStatus.Health.UNKNOWN
        : ready >= wanted ? AgentServiceStatus.Health.HEALTHY
        : ready == 0 && status.getState() == AgentState.PROVISIONING ? AgentServiceStatus.Health.UNKNOWN
        : AgentServiceStatus.Health.UNHEALTHY);
    status.setConditions(Conditions.merge(previous.getConditions(), verdict, generation, seen.now()));
    return status;
  }

  /** One event per lifecycle step, found by comparing the old status with the new one. */
  static List<Notice> events(AgentService service, AgentServiceStatus previous, AgentServiceStatus after) {
    List<Notice> notices = new ArrayList<>();
    if (after.getLastRestartAt() != null && !after.getLastRestartAt().equals(previous.getLastRestartAt())) {
      notices.add(Notice.normal("Restarted", "restart requested at " + after.getLastRestartAt() + "; rolling out fresh pods"));
    }
    if (!Objects.equals(after.getDeployedAt(), previous.getDeployedAt())) {
      notices.add(Notice.normal("Deploying", "rolling out generation " + after.getObservedGeneration()
          + " of " + service.getSpec().getAgent()));
    }
    if (after.getState() != previous.getState()) {
      Notice notice = switch (after.getState()) {
        case RUNNING -> Notice.normal("Running", after.getReadyInstances() + " instance(s) ready"
            + (after.getUrl() != null ? " at " + after.getUrl() : ""));
        case PAUSED -> Notice.normal("Paused", "scaled to zero; set spec.paused to false to resume");
        case PROVISIONING -> previous.getState() == AgentState.PAUSED
            ? Notice.normal("Resumed", "scaling back to " + service.getSpec().getMinInstances() + " instance(s)")
            : null; // the Deploying event already says a rollout started
        case FAILED -> Notice.warning("Failed", stalledBecause(after));
        case SLEEPING -> null; // sleep/wake's own events say why
        case CRASH_LOOP -> Notice.warning("CrashLoop", "auto-paused after " + after.getConsecutiveRestartFailures()
            + " consecutive failed restarts; last error: " + after.getLastError());
      };
      if (notice != null) {
        notices.add(notice);
      }
    } else if (after.getState() == AgentState.FAILED && !stalledBecause(after).equals(stalledBecause(previous))) {
      notices.add(Notice.warning("Failed", stalledBecause(after)));
    }
    int failuresBefore = previous.getConsecutiveRestartFailures() == null ? 0 : previous.getConsecutiveRestartFailures();
    int threshold = service.getSpec().getMaxRestartFailures();
    if (after.getConsecutiveRestartFailures() > failuresBefore && after.getState() != AgentState.CRASH_LOOP) {
      boolean warning = after.getConsecutiveRestartFailures() >= CrashLoop.warningAt(threshold)
          && failuresBefore < CrashLoop.warningAt(threshold);
      notices.add(Notice.warning(warning ? "CrashLoopWarning" : "RestartFailed", after.getConsecutiveRestartFailures()
          + " of " + threshold + " consecutive failed restarts; last error: " + after.getLastError()));
    }
    return notices;
  }

  private static String stalledBecause(AgentServiceStatus status) {
    return Conditions.find(status.getConditions(), Conditions.STALLED).filter(c -> "True".equals(c.getStatus()))
        .map(Condition::getMessage).orElse("");
  }

  private static boolean rolloutComplete(Deployment deployment, int wanted) {
    if (deployment == null || deployment.getStatus() == null) {
      return false;
    }
    var status = deployment.getStatus();
    boolean observed = status.getObservedGeneration() != null
        && status.getObservedGeneration() >= deployment.getMetadata().getGeneration();
    int updated = status.getUpdatedReplicas() == null ? 0 : status.getUpdatedReplicas();
    int ready = status.getReadyReplicas() == null ? 0 : status.getReadyReplicas();
    int total = status.getReplicas() == null ? 0 : status.getReplicas();
    return observed && updated >= wanted && ready >= wanted && total == updated;
  }

  private static boolean progressDeadlineExceeded(Deployment deployment) {
    return deploymentCondition(deployment, "Progressing")
        .map(c -> "False".equals(c.getStatus()) && "ProgressDeadlineExceeded".equals(c.getReason())).orElse(false);
  }

  private static Optional<DeploymentCondition> deploymentCondition(Deployment deployment, String type) {
    if (deployment == null || deployment.getStatus() == null || deployment.getStatus().getConditions() == null) {
      return Optional.empty();
    }
    return deployment.getStatus().getConditions().stream().filter(c -> type.equals(c.getType())).findFirst();
  }
}
