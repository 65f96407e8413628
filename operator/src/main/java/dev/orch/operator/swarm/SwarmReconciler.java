package dev.orch.operator.swarm;

import java.time.Duration;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.stream.Collectors;
import java.util.stream.IntStream;

import dev.orch.operator.agent.AgentDeployment;
import dev.orch.operator.agent.AgentPod;
import dev.orch.operator.core.AgentSecrets;
import dev.orch.operator.core.BundleCheck;
import dev.orch.operator.core.BundleConfigMaps;
import dev.orch.operator.core.CrashLoop;
import dev.orch.operator.core.EventRecorder;
import dev.orch.operator.core.Labels;
import dev.orch.operator.core.OperatorSettings;
import dev.orch.operator.core.OwnedResources;
import dev.orch.operator.core.ReconcileFailure;
import dev.orch.operator.core.ReconcileMetrics;
import dev.orch.operator.core.RestartRequest;
import dev.orch.operator.core.StatusWriter;
import dev.orch.operator.core.VaultSecretEventSource;
import dev.orch.operator.sleep.SleepDecision;
import dev.orch.operator.sleep.SleepStatus;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.apps.Deployment;
import io.javaoperatorsdk.operator.api.reconciler.Context;
import io.javaoperatorsdk.operator.api.reconciler.ControllerConfiguration;
import io.javaoperatorsdk.operator.api.reconciler.ErrorStatusUpdateControl;
import io.javaoperatorsdk.operator.api.reconciler.EventSourceContext;
import io.javaoperatorsdk.operator.api.reconciler.Reconciler;
import io.javaoperatorsdk.operator.api.reconciler.UpdateControl;
import io.javaoperatorsdk.operator.api.reconciler.Workflow;
import io.javaoperatorsdk.operator.api.reconciler.dependent.Dependent;
import io.javaoperatorsdk.operator.processing.event.source.EventSource;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Timer;

/**
 * Swarm → one Deployment per replica ({@link SwarmPlan} says why). Top to bottom: check the bundle and the
 * vault; track crash loops per replica from its pods (a restart of the swarm or of one replica resets them); apply
 * the plan (a crash-looping replica at zero pods, the others untouched); write the per-replica status.
 */
@Workflow(explicitInvocation = true, dependents = @Dependent(name = "members", type = SwarmMembers.class))
@ControllerConfiguration(name = "swarm", generationAwareEventProcessing = false)
public class SwarmReconciler implements Reconciler<Swarm> {
  private final OperatorSettings settings;
  private final MeterRegistry meters;
  private final Timer reconcileTimer;
  private VaultSecretEventSource<Swarm> vault;
  private EventRecorder events;

  public SwarmReconciler(OperatorSettings settings, MeterRegistry meters) {
    this.settings = settings;
    this.meters = meters;
    this.reconcileTimer = ReconcileMetrics.timer(meters, "Swarm");
  }

  @Override
  public List<EventSource<?, Swarm>> prepareEventSources(EventSourceContext<Swarm> context) {
    vault = new VaultSecretEventSource<>(context, settings.vaultSecretName());
    events = new EventRecorder(context.getClient());
    return List.of(vault, OwnedResources.pods(context, Labels.MADE_FOR_SWARM), BundleConfigMaps.eventSource(context));
  }

  @Override
  public ErrorStatusUpdateControl<Swarm> updateErrorStatus(Swarm swarm, Context<Swarm> context, Exception error) {
    return ReconcileFailure.report(swarm, context, error, events, SwarmStatus::new);
  }

  @Override
  public UpdateControl<Swarm> reconcile(Swarm swarm, Context<Swarm> context) {
    return reconcileTimer.record(() -> reconcileTimed(swarm, context));
  }

  private UpdateControl<Swarm> reconcileTimed(Swarm swarm, Context<Swarm> context) {
    BundleCheck bundle = BundleConfigMaps.check(swarm, context);
    AgentSecrets secrets = AgentSecrets.of(swarm, swarm.getSpec(), bundle, vault);
    Map<Integer, List<Pod>> pods = context.getSecondaryResources(Pod.class).stream()
        .filter(p -> p.getMetadata().getDeletionTimestamp() == null)
        .collect(Collectors.groupingBy(p -> index(p.getMetadata().getLabels())));
    boolean swarmRestartRequested = RestartRequest.isNew(swarm, SwarmStatus::getLastRestartAt);
    Instant now = Instant.now();
    Map<Integer, CrashLoop.Result> tracked = new HashMap<>();
    for (int index = 0; index < swarm.getSpec().getReplicas(); index++) {
      tracked.put(index, CrashLoop.track(SwarmStatusCalculator.counters(swarm.getStatus(), index),
          pods.getOrDefault(index, List.of()), AgentPod.AGENT_CONTAINER, swarm.getSpec().getMaxRestartFailures(),
          swarmRestartRequested || ReplicaRestart.isNew(swarm, index), settings.stableAfter(), now));
    }
    Map<Integer, CrashLoop.Counters> crashes = tracked.entrySet().stream()
        .collect(Collectors.toMap(Map.Entry::getKey, e -> e.getValue().counters()));
    Set<Integer> paused = crashes.entrySet().stream().filter(e -> e.getValue().record().isAutoPaused())
        .map(Map.Entry::getKey).collect(Collectors.toSet());
    long newlyPaused = tracked.values().stream().filter(r -> r.crossed().filter(CrashLoop.CRITICAL::equals).isPresent())
        .count();
    Optional<Duration> recheck = tracked.values().stream().flatMap(r -> r.recheckIn().stream())
        .min(Comparator.naturalOrder());

    Map<String, Deployment> members = SwarmMembers.byIndex(context);
    SleepDecision.Outcome sleep = SwarmSleep.decide(swarm,
        members.values().stream().mapToInt(AgentDeployment::readyReplicas).sum(), now);
    if (bundle.satisfied() && secrets.check().satisfied()) {
      // Asleep, every replica is at zero pods, as a crash-looping one is.
      Set<Integer> stopped = sleep.status() != null && sleep.status().phase() == SleepStatus.Phase.ASLEEP
          ? IntStream.range(0, swarm.getSpec().getReplicas()).boxed().collect(Collectors.toSet()) : paused;
      SwarmPlan.of(swarm, secrets.names(), bundle.podAnnotations(), stopped, settings).applyIn(context);
    }

    var seen = new SwarmStatusCalculator.Observation(members, pods, crashes, bundle, secrets.check(),
        now.truncatedTo(ChronoUnit.SECONDS).toString());
    SwarmStatus before = swarm.getStatus();
    SwarmStatus after = SwarmStatusCalculator.compute(swarm, seen);
    SwarmSleep.show(swarm, after, sleep.status(), seen.now());
    UpdateControl<Swarm> done = recheck.map(wait -> UpdateControl.<Swarm>noUpdate().rescheduleAfter(wait.plusSeconds(1)))
        .orElseGet(UpdateControl::noUpdate);
    if (StatusWriter.unchanged(before, after)) {
      return done;
    }
    StatusWriter.write(swarm, after, context);
    if (newlyPaused > 0) {
      meters.counter("orch.crashloop.pauses", "kind", "Swarm").increment(newlyPaused);
    }
    bundle.noticeAfter(before == null ? null : before.getConditions()).ifPresent(notice -> events.emit(swarm, notice));
    SwarmStatusCalculator.events(swarm, before, after).forEach(notice -> events.emit(swarm, notice));
    sleep.notices().forEach(notice -> events.emit(swarm, notice));
    return done;
  }

  private static int index(Map<String, String> labels) {
    return Integer.parseInt(labels.getOrDefault(SwarmPlan.REPLICA_INDEX_LABEL, "-1"));
  }
}
