package dev.orch.operator.swarm;

import java.time.Instant;
import java.util.List;
import java.util.Optional;

import dev.orch.operator.core.MetadataKeys;
import dev.orch.operator.core.reconcile.RestartRequest;
import dev.orch.operator.core.status.AgentState;
import dev.orch.operator.core.status.Conditions;
import dev.orch.operator.core.status.Conditions.Verdict;
import dev.orch.operator.sleep.GatewayActivity;
import dev.orch.operator.sleep.KeepAwake;
import dev.orch.operator.sleep.SleepDecision;
import dev.orch.operator.sleep.SleepRequests;
import dev.orch.operator.sleep.SleepStatus;
import dev.orch.operator.sleep.SleepStatus.Phase;

/**
 * Sleep and wake for a Swarm: all replicas together, by hand or by keep-awake windows (a Swarm has no Service, so
 * no request could wake it; the API server refuses afterIdle): a window wakes it and its end puts it back to sleep.
 * Asleep, every replica's Deployment has zero pods; the swarm is Ready and says how to wake it.
 */
final class SwarmSleep {
  private SwarmSleep() {
  }

  static SleepDecision.Outcome decide(Swarm swarm, int readyPods, Instant now) {
    SleepStatus previous = swarm.getStatus().getSleep();
    if (swarm.getSpec().getSleep() == null && previous == null) {
      return new SleepDecision.Outcome(null, List.of(), Optional.empty());
    }
    SleepDecision.Outcome decided = SleepDecision.decide(swarm.getSpec().getSleep(), false, SleepRequests.Seen.of(swarm),
        previous, GatewayActivity.UNKNOWN, readyPods, now);
    SleepDecision.Outcome outcome = new SleepDecision.Outcome(decided.status(), KeepAwake.withWarning(decided.notices(),
        swarm.getSpec().getSleep(), swarm.getStatus().getConditions()), decided.recheckIn());
    return outcome.status().phase() == Phase.AWAKE && swarm.getSpec().getSleep() == null
        ? new SleepDecision.Outcome(null, outcome.notices(), Optional.empty()) : outcome;
  }

  static void show(Swarm swarm, SwarmStatus status, SleepStatus sleep, String now) {
    status.setSleep(sleep);
    KeepAwake.showPhaseStallingOnUnreadableWindows(swarm.getSpec().getSleep(), status, swarm.getStatus().getConditions(),
        now, () -> showPhase(swarm, status, sleep, now));
  }

  private static void showPhase(Swarm swarm, SwarmStatus status, SleepStatus sleep, String now) {
    if (sleep == null || sleep.phase() == Phase.AWAKE || Conditions.isTrue(status.getConditions(), Conditions.STALLED)
        || Boolean.TRUE.equals(swarm.getSpec().getPaused())) {
      return;
    }
    SwarmStatus previous = swarm.getStatus();
    Verdict verdict;
    if (sleep.phase() == Phase.ASLEEP) {
      status.setMembers(status.getMembers().stream().map(m -> m.state() != AgentState.PROVISIONING ? m
          : new SwarmStatus.Member(m.replicaIndex(), m.pod(), AgentState.SLEEPING, m.restarts(),
              m.consecutiveRestartFailures(), m.lastError(), m.crashLoop(), m.lastRestartAt(), m.outdated())).toList());
      verdict = Verdict.ready("Sleeping", "all " + status.getReplicas() + " replicas asleep since " + sleep.since() + " ("
          + sleep.reason() + "); wake them by hand: " + RestartRequest.command(swarm, MetadataKeys.WAKE));
    } else {
      verdict = Verdict.progressing("Waking", sleep.reason() + " at " + sleep.since() + "; " + status.getReady() + "/"
          + status.getReplicas() + " replicas ready");
    }
    status.setConditions(Conditions.merge(previous.getConditions(), verdict, status.getObservedGeneration(), now));
  }
}
