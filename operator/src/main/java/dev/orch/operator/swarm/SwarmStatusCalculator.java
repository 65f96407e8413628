package dev.orch.operator.swarm;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.stream.Collectors;

import dev.orch.operator.agent.AgentDeployment;
import dev.orch.operator.core.AgentState;
import dev.orch.operator.core.BundleCheck;
import dev.orch.operator.core.Conditions;
import dev.orch.operator.core.Conditions.Verdict;
import dev.orch.operator.core.CrashLoop;
import dev.orch.operator.core.EventRecorder.Notice;
import dev.orch.operator.core.RestartRequest;
import dev.orch.operator.core.SecretCheck;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.apps.Deployment;

/**
 * A Swarm's status as a pure function of its members: each replica's own state, the honest count of ready
 * ones and the failed ones by index. A partial failure is a stable Stalled condition, not a flapping Ready.
 */
final class SwarmStatusCalculator {
  private SwarmStatusCalculator() {
  }

  record Observation(Map<String, Deployment> deployments, Map<Integer, List<Pod>> pods,
      Map<Integer, CrashLoop.Counters> crashes, BundleCheck bundle, SecretCheck secrets, String now) {
  }

  /** A member's counters as the status keeps them, for {@link CrashLoop#track}. */
  static CrashLoop.Counters counters(SwarmStatus status, int index) {
    return Optional.ofNullable(status).flatMap(s -> s.getMembers().stream().filter(m -> m.replicaIndex() == index).findFirst())
        .map(m -> CrashLoop.Counters.of(m.restarts(), m.consecutiveRestartFailures(), m.lastError(), m.crashLoop()))
        .orElseGet(CrashLoop.Counters::none);
  }

  static SwarmStatus compute(Swarm swarm, Observation seen) {
    SwarmStatus previous = swarm.getStatus() == null ? new SwarmStatus() : swarm.getStatus();
    SwarmSpec spec = swarm.getSpec();
    long generation = swarm.getMetadata().getGeneration() == null ? 0 : swarm.getMetadata().getGeneration();
    List<SwarmStatus.Member> members = new ArrayList<>();
    List<SwarmStatus.FailedReplica> failed = new ArrayList<>();
    int ready = 0;
    for (int index = 0; index < spec.getReplicas(); index++) {
      CrashLoop.Counters crashes = seen.crashes().get(index);
      Deployment deployment = seen.deployments().get(Integer.toString(index));
      AgentState state;
      if (crashes.record().isAutoPaused()) {
        state = AgentState.CRASH_LOOP;
        failed.add(new SwarmStatus.FailedReplica(index, "CrashLoop", "replica " + index + " paused after "
            + crashes.consecutiveFailures() + " consecutive failed restarts; last error: " + crashes.lastError()
            + ". Fix the cause, then restart the swarm: " + RestartRequest.command(swarm)));
      } else if (Boolean.TRUE.equals(spec.getPaused())) {
        state = AgentState.PAUSED;
      } else if (AgentDeployment.readyReplicas(deployment) > 0) {
        state = AgentState.RUNNING;
        ready++;
      } else {
        state = AgentState.PROVISIONING;
      }
      String pod = seen.pods().getOrDefault(index, List.of()).stream().map(p -> p.getMetadata().getName()).sorted()
          .findFirst().orElse(null);
      members.add(new SwarmStatus.Member(index, pod, state, crashes.restartCount(), crashes.consecutiveFailures(),
          crashes.lastError(), crashes.record()));
    }

    SwarmStatus status = new SwarmStatus();
    status.setObservedGeneration(generation);
    status.setReplicas(spec.getReplicas());
    status.setReady(ready);
    status.setFailed(failed);
    status.setFailedCount(failed.size());
    status.setMembers(members);
    String restartedAt = RestartRequest.requestedAt(swarm);
    status.setLastRestartAt(restartedAt != null ? restartedAt : previous.getLastRestartAt());
    String counts = ready + "/" + spec.getReplicas() + " replicas ready";
    Verdict verdict;
    if (seen.bundle().problem().isPresent()) {
      verdict = seen.bundle().problem().get().verdict();
    } else if (!seen.secrets().satisfied()) {
      verdict = Verdict.stalled("MissingSecrets", seen.secrets().message());
    } else if (Boolean.TRUE.equals(spec.getPaused())) {
      verdict = Verdict.idle("Paused", "paused by spec.paused; set it to false to resume");
    } else if (!failed.isEmpty()) {
      verdict = Verdict.stalled("ReplicasFailed", counts + "; failed replicas: "
          + failed.stream().map(f -> f.replicaIndex() + " (" + f.error() + ")").collect(Collectors.joining(", "))
          + "; see status.failed");
    } else if (ready == spec.getReplicas()) {
      verdict = Verdict.ready("AllReplicasReady", counts);
    } else {
      verdict = Verdict.progressing("ReplicasStarting", counts);
    }
    status.setConditions(Conditions.merge(previous.getConditions(), verdict, generation, seen.now()));
    return status;
  }

  static List<Notice> events(Swarm swarm, SwarmStatus before, SwarmStatus after) {
    List<Notice> notices = new ArrayList<>();
    SwarmStatus previous = before == null ? new SwarmStatus() : before;
    if (!Objects.equals(previous.getReplicas(), after.getReplicas())) {
      notices.add(Notice.normal("Scaled", previous.getReplicas() == null
          ? "starting " + after.getReplicas() + " replicas"
          : "scaled from " + previous.getReplicas() + " to " + after.getReplicas() + " replicas"));
    }
    for (SwarmStatus.FailedReplica failure : after.getFailed()) {
      boolean known = previous.getFailed().stream().anyMatch(f -> f.replicaIndex().equals(failure.replicaIndex()));
      if (!known) {
        notices.add(Notice.warning("ReplicaFailed", failure.message()));
      }
    }
    if (Conditions.isTrue(after.getConditions(), Conditions.READY) && !Conditions.isTrue(previous.getConditions(), Conditions.READY)) {
      notices.add(Notice.normal("Ready", "all " + after.getReplicas() + " replicas ready"));
    }
    return notices;
  }
}
