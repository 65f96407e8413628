package dev.orch.operator.swarm;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;
import java.util.stream.Collectors;

import dev.orch.operator.agent.AgentDeployment;
import dev.orch.operator.core.bundle.BundleCheck;
import dev.orch.operator.core.crashloop.CrashLoop;
import dev.orch.operator.core.reconcile.RestartRequest;
import dev.orch.operator.core.reconcile.Verdicts;
import dev.orch.operator.core.secrets.SecretCheck;
import dev.orch.operator.core.status.AgentState;
import dev.orch.operator.core.status.Conditions.Verdict;
import dev.orch.operator.core.status.Conditions;
import dev.orch.operator.core.status.EventRecorder.Notice;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.apps.Deployment;

/**
 * A Swarm's status as a pure function of its members: each replica's own state, the honest counts of deployed
 * and ready ones and the failed ones by index. A partial failure beyond what the spec tolerates is a stable
 * Stalled condition, not a flapping Ready.
 */
final class SwarmStatusCalculator {
  private SwarmStatusCalculator() {
  }

  record Observation(Map<String, Deployment> deployments, Map<Integer, List<Pod>> pods,
      Map<Integer, CrashLoop.Counters> crashes, Set<Integer> outdated, BundleCheck bundle, SecretCheck secrets, String now) {
  }

  /** A member's counters as the status keeps them, for {@link CrashLoop#track}. */
  static CrashLoop.Counters counters(SwarmStatus status, int index) {
    return ReplicaRestart.member(status, index)
        .map(m -> CrashLoop.Counters.of(m.restarts(), m.consecutiveRestartFailures(), m.lastError(), m.crashLoop()))
        .orElseGet(CrashLoop.Counters::none);
  }

  static SwarmStatus compute(Swarm swarm, Observation seen) {
    SwarmStatus previous = swarm.getStatus();
    SwarmSpec spec = swarm.getSpec();
    long generation = Conditions.generation(swarm);
    List<SwarmStatus.Member> members = new ArrayList<>();
    List<SwarmStatus.FailedReplica> failed = new ArrayList<>();
    int ready = 0;
    int deployed = 0;
    for (int index = 0; index < spec.getReplicas(); index++) {
      CrashLoop.Counters crashes = seen.crashes().get(index);
      Deployment deployment = seen.deployments().get(Integer.toString(index));
      AgentState state;
      if (crashes.record().isAutoPaused()) {
        state = AgentState.CRASH_LOOP;
        failed.add(new SwarmStatus.FailedReplica(index, "CrashLoop", "replica " + index + " paused after "
            + crashes.consecutiveFailures() + " consecutive failed restarts; last error: " + crashes.lastError()
            + ". Fix the cause, then restart this replica alone: " + ReplicaRestart.command(swarm, index)));
      } else if (Boolean.TRUE.equals(spec.getPaused())) {
        state = AgentState.PAUSED;
      } else if (AgentDeployment.readyReplicas(deployment) > 0) {
        state = AgentState.RUNNING;
        ready++;
      } else {
        state = AgentState.PROVISIONING;
      }
      if (deployment != null && (state == AgentState.RUNNING || state == AgentState.PROVISIONING)) {
        deployed++;
      }
      String pod = seen.pods().getOrDefault(index, List.of()).stream().map(p -> p.getMetadata().getName()).sorted()
          .findFirst().orElse(null);
      members.add(new SwarmStatus.Member(index, pod, state, crashes.restartCount(), crashes.consecutiveFailures(),
          crashes.lastError(), crashes.record(), ReplicaRestart.actedOn(swarm, index),
          seen.outdated().contains(index) ? Boolean.TRUE : null));
    }

    SwarmStatus status = new SwarmStatus();
    status.setObservedGeneration(generation);
    status.setReplicas(spec.getReplicas());
    status.setDeployed(deployed);
    status.setReady(ready);
    status.setFailed(failed);
    status.setFailedCount(failed.size());
    status.setMembers(members);
    String restartedAt = RestartRequest.requestedAt(swarm);
    status.setLastRestartAt(restartedAt != null ? restartedAt : previous.getLastRestartAt());
    Optional<Verdict> blocker = Verdicts.blocker(seen.bundle(), seen.secrets());
    Verdict verdict = blocker.isPresent() ? blocker.get() : verdict(swarm, ready, failed, seen.outdated());
    status.setConditions(Conditions.merge(previous.getConditions(), verdict, generation, seen.now()));
    return status;
  }

  /**
   * Failed replicas up to spec.maxFailedReplicas are an outcome the user accepted (reference 004 lives with 47 of
   * 50): the swarm is Ready once all the others are, and the Ready message names the failed ones. Beyond it, the
   * swarm is Stalled; both messages say how to restart a failed replica alone.
   */
  private static Verdict verdict(Swarm swarm, int ready, List<SwarmStatus.FailedReplica> failed, Set<Integer> outdated) {
    SwarmSpec spec = swarm.getSpec();
    String counts = ready + "/" + spec.getReplicas() + " replicas ready";
    int tolerated = spec.getMaxFailedReplicas() == null ? 0 : spec.getMaxFailedReplicas();
    String failures = failed.isEmpty() ? "" : "; " + failed.size() + " failed ("
        + failed.stream().map(f -> f.replicaIndex() + ": " + f.error()).collect(Collectors.joining(", "))
        + "), spec.maxFailedReplicas is " + tolerated + "; once fixed, restart a failed replica alone with "
        + ReplicaRestart.command(swarm, failed.get(0).replicaIndex()) + " (status.failed has each one's command)";
    if (Boolean.TRUE.equals(spec.getPaused())) {
      return Verdicts.PAUSED;
    } else if (failed.size() > tolerated) {
      return Verdict.stalled("ReplicasFailed", counts + failures);
    } else if (!outdated.isEmpty()) {
      return Verdict.progressing("RollingUpdate", (spec.getReplicas() - outdated.size()) + "/" + spec.getReplicas()
          + " replicas updated, at most " + spec.getRollout().maxUnavailable() + " replaced at a time; waiting: "
          + outdated.stream().map(String::valueOf).collect(Collectors.joining(", ")) + "; " + counts + failures);
    } else if (ready + failed.size() < spec.getReplicas()) {
      return Verdict.progressing("ReplicasStarting", counts + failures);
    }
    return failed.isEmpty() ? Verdict.ready("AllReplicasReady", counts)
        : Verdict.ready("ReplicasFailedWithinTolerance", counts + failures);
  }

  static List<Notice> events(Swarm swarm, SwarmStatus previous, SwarmStatus after) {
    List<Notice> notices = new ArrayList<>();
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
      notices.add(Notice.normal("Ready", Conditions.find(after.getConditions(), Conditions.READY).orElseThrow().getMessage()));
    }
    return notices;
  }
}
