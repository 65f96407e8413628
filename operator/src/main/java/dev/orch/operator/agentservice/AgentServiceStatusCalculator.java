package dev.orch.operator.agentservice;

import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.Optional;

import dev.orch.operator.core.AgentState;
import dev.orch.operator.core.Conditions;
import dev.orch.operator.core.Conditions.Verdict;
import dev.orch.operator.core.EventRecorder.Notice;
import dev.orch.operator.core.OperatorSettings;
import dev.orch.operator.core.SecretCheck;
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

  /** What the reconciler saw this time. */
  record Observation(Optional<Deployment> deployment, SecretCheck secrets, String now) {
  }

  static AgentServiceStatus compute(AgentService service, Observation seen, OperatorSettings settings) {
    AgentServiceStatus previous = service.getStatus() == null ? new AgentServiceStatus() : service.getStatus();
    AgentServiceSpec spec = service.getSpec();
    long generation = service.getMetadata().getGeneration() == null ? 0 : service.getMetadata().getGeneration();
    AgentServiceStatus status = new AgentServiceStatus();
    status.setObservedGeneration(generation);
    status.setUrl(AgentServicePlan.publicUrl(service, settings).orElse(null));
    status.setInternalUrl(AgentServicePlan.internalUrl(service));
    status.setRestartCount(Optional.ofNullable(previous.getRestartCount()).orElse(0L));
    status.setConsecutiveRestartFailures(Optional.ofNullable(previous.getConsecutiveRestartFailures()).orElse(0));
    status.setLastError(previous.getLastError());

    String restartedAt = restartRequest(service);
    status.setLastRestartAt(restartedAt != null ? restartedAt : previous.getLastRestartAt());
    if (restartedAt != null && !restartedAt.equals(previous.getLastRestartAt())) {
      status.setConsecutiveRestartFailures(0);
    }

    boolean rolledOut = seen.secrets().satisfied()
        && (previous.getObservedGeneration() == null || previous.getObservedGeneration() != generation
            || !Objects.equals(restartedAt, previous.getLastRestartAt()));
    status.setDeployedAt(rolledOut || previous.getDeployedAt() == null && seen.secrets().satisfied()
        ? seen.now() : previous.getDeployedAt());

    Deployment deployment = seen.deployment().orElse(null);
    int ready = deployment == null || deployment.getStatus() == null || deployment.getStatus().getReadyReplicas() == null
        ? 0 : deployment.getStatus().getReadyReplicas();
    int wanted = AgentServicePlan.stopped(service) ? 0 : spec.getMinInstances();
    status.setReadyInstances(ready);

    Verdict verdict;
    if (!seen.secrets().satisfied()) {
      verdict = Verdict.stalled("MissingSecrets", seen.secrets().message());
      status.setState(ready > 0 ? AgentState.RUNNING : AgentState.FAILED);
      status.setLastError(seen.secrets().message());
    } else if (Boolean.TRUE.equals(spec.getPaused())) {
      verdict = Verdict.idle("Paused", "paused by spec.paused; set it to false to resume");
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
  static List<Notice> events(AgentService service, AgentServiceStatus before, AgentServiceStatus after) {
    List<Notice> notices = new ArrayList<>();
    AgentServiceStatus previous = before == null ? new AgentServiceStatus() : before;
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
            : Notice.normal("Provisioning", "waiting for instances to become ready");
        case FAILED, CRASH_LOOP -> Notice.warning(after.getState() == AgentState.FAILED ? "Failed" : "CrashLoop",
            String.valueOf(after.getLastError()));
      };
      notices.add(notice);
    } else if (after.getState() == AgentState.FAILED && !Objects.equals(after.getLastError(), previous.getLastError())) {
      notices.add(Notice.warning("Failed", after.getLastError()));
    }
    return notices;
  }

  static String restartRequest(AgentService service) {
    return service.getMetadata().getAnnotations() == null ? null
        : service.getMetadata().getAnnotations().get(AgentServicePlan.RESTARTED_AT);
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
