package dev.orch.operator.swarm;

import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.stream.Collectors;
import java.util.stream.IntStream;
import java.util.stream.Stream;


import dev.orch.operator.agent.AgentDeployment;
import dev.orch.operator.agent.AgentPod;
import dev.orch.operator.core.MetadataKeys;
import dev.orch.operator.core.config.OperatorSettings;
import dev.orch.operator.core.crashloop.CrashLoop;
import dev.orch.operator.core.reconcile.AgentReconciler;
import dev.orch.operator.core.reconcile.Labels;
import dev.orch.operator.core.reconcile.Plan;
import dev.orch.operator.core.reconcile.RestartRequest;
import dev.orch.operator.core.status.EventRecorder.Notice;
import dev.orch.operator.sleep.SleepDecision;
import dev.orch.operator.sleep.SleepStatus;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.apps.Deployment;
import io.javaoperatorsdk.operator.api.reconciler.Context;
import io.javaoperatorsdk.operator.api.reconciler.ControllerConfiguration;
import io.javaoperatorsdk.operator.api.reconciler.Workflow;
import io.javaoperatorsdk.operator.api.reconciler.dependent.Dependent;
import io.micrometer.core.instrument.MeterRegistry;

/**
 * Swarm → one Deployment per replica ({@link SwarmPlan} says why). Top to bottom: check the bundle and the
 * vault; track crash loops per replica from its pods (a restart of the swarm or of one replica resets them); apply
 * the plan (a crash-looping replica at zero pods, the others untouched); write the per-replica status.
 */
@Workflow(explicitInvocation = true, dependents = @Dependent(name = "members", type = SwarmMembers.class))
@ControllerConfiguration(name = "swarm", generationAwareEventProcessing = false)
public class SwarmReconciler extends AgentReconciler<Swarm, SwarmStatus> {

  public SwarmReconciler(OperatorSettings settings, MeterRegistry meters) {
    super(settings, meters, Labels.MADE_FOR_SWARM, SwarmStatus::new);
  }

  @Override
  protected Decision<Swarm, SwarmStatus> decide(Swarm swarm, Observed seen, Context<Swarm> context) {
    Map<Integer, List<Pod>> pods = seen.livePods().stream().collect(Collectors.groupingBy(p -> index(p.getMetadata().getLabels())));
    boolean swarmRestartRequested = RestartRequest.isNew(swarm, SwarmStatus::getLastRestartAt);
    Map<Integer, CrashLoop.Result> tracked = new HashMap<>();
    for (int index = 0; index < swarm.getSpec().getReplicas(); index++) {
      tracked.put(index, CrashLoop.track(SwarmStatusCalculator.counters(swarm.getStatus(), index),
          pods.getOrDefault(index, List.of()), AgentPod.AGENT_CONTAINER, swarm.getSpec().getMaxRestartFailures(),
          swarmRestartRequested || ReplicaRestart.isNew(swarm, index), settings.stableAfter(), seen.now()));
    }
    Map<Integer, CrashLoop.Counters> crashes = tracked.entrySet().stream()
        .collect(Collectors.toMap(Map.Entry::getKey, e -> e.getValue().counters()));
    Set<Integer> paused = tracked.entrySet().stream().filter(e -> e.getValue().pauseRecorded())
        .map(Map.Entry::getKey).collect(Collectors.toSet());
    long newlyPaused = tracked.values().stream().filter(r -> r.crossed().filter(CrashLoop.CRITICAL::equals).isPresent())
        .count();
    Optional<Duration> recheck = tracked.values().stream().flatMap(r -> r.lookAgainIn().stream())
        .min(Comparator.naturalOrder());

    Map<String, Deployment> members = SwarmMembers.byIndex(context);
    SleepDecision.Outcome sleep = SwarmSleep.decide(swarm,
        members.values().stream().mapToInt(AgentDeployment::readyReplicas).sum(), seen.now());
    Set<Integer> outdated = Set.of();
    if (seen.deployable()) {
      // Asleep, every replica is at zero pods, as a crash-looping one is.
      Set<Integer> stopped = sleep.status() != null && sleep.status().phase() == SleepStatus.Phase.ASLEEP
          ? IntStream.range(0, swarm.getSpec().getReplicas()).boxed().collect(Collectors.toSet()) : paused;
      Plan plan = SwarmPlan.of(swarm, seen.secrets().names(), seen.bundle().podAnnotations(), stopped, settings);
      var rolling = MemberRollout.limit(swarm, plan.getAll(Deployment.class), members);
      outdated = rolling.outdated();
      plan.withAll(Deployment.class, rolling.members()).applyIn(context);
    }

    var observation = new SwarmStatusCalculator.Observation(SwarmMembers.byIndex(context), pods, crashes, outdated,
        seen.bundle(), seen.secrets().check(), seen.timestamp());
    SwarmStatus after = SwarmStatusCalculator.compute(swarm, observation);
    SwarmSleep.show(swarm, after, sleep.status(), seen.timestamp());
    List<Notice> notices = new ArrayList<>(SwarmStatusCalculator.events(swarm, swarm.getStatus(), after));
    notices.addAll(sleep.notices());
    Optional<Duration> lookAgain = Stream.of(recheck, sleep.recheckIn()).flatMap(Optional::stream)
        .min(Comparator.naturalOrder());
    return new Decision<>(after, notices, lookAgain, written -> {
      if (newlyPaused > 0) {
        meters.counter("orch.crashloop.pauses", "kind", "Swarm").increment(newlyPaused);
      }
    });
  }

  private static int index(Map<String, String> labels) {
    return Integer.parseInt(labels.getOrDefault(MetadataKeys.REPLICA_INDEX, "-1"));
  }
}
