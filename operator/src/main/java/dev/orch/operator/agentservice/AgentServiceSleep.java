package dev.orch.operator.agentservice;

import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Optional;

import dev.orch.operator.core.MetadataKeys;
import dev.orch.operator.core.reconcile.RestartRequest;
import dev.orch.operator.core.status.AgentState;
import dev.orch.operator.core.status.Conditions;
import dev.orch.operator.core.status.Conditions.Verdict;
import dev.orch.operator.sleep.GatewayActivity;
import dev.orch.operator.sleep.GatewayProbe;
import dev.orch.operator.sleep.KeepAwake;
import dev.orch.operator.sleep.SleepDecision;
import dev.orch.operator.sleep.SleepPlan;
import dev.orch.operator.sleep.SleepRequests;
import dev.orch.operator.sleep.SleepSpec;
import dev.orch.operator.sleep.SleepStatus;
import dev.orch.operator.sleep.SleepStatus.Phase;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.apps.Deployment;
import io.fabric8.kubernetes.client.KubernetesClient;

/**
 * Sleep and wake for one AgentService: asks its gateways for their activity when idleness could put it to
 * sleep, decides ({@link SleepDecision}), and shows the result in the status the calculator computed.
 */
final class AgentServiceSleep {
  /** How often a sleeping service is looked at again, so its EndpointSlice follows the activator's addresses. */
  static final Duration ASLEEP_RECHECK = Duration.ofSeconds(30);

  private AgentServiceSleep() {
  }

  static SleepDecision.Outcome decide(AgentService service, GatewayProbe probe, List<Pod> pods, int readyPods, Instant now) {
    AgentServiceSpec spec = service.getSpec();
    SleepStatus previous = service.getStatus().getSleep();
    boolean idleCanWake = AgentServicePlan.servesHttp(spec);
    boolean idleMatters = spec.getSleep() != null && spec.getSleep().afterIdle() != null && idleCanWake
        && previous != null && previous.phase() == Phase.AWAKE;
    GatewayActivity activity = idleMatters ? probe.ask(pods) : GatewayActivity.UNKNOWN;
    if (spec.getSleep() == null && previous == null) {
      return new SleepDecision.Outcome(null, List.of(), Optional.empty());
    }
    SleepDecision.Outcome decided = SleepDecision.decide(spec.getSleep(), idleCanWake, SleepRequests.Seen.of(service),
        previous, activity, readyPods, now);
    SleepDecision.Outcome outcome = new SleepDecision.Outcome(decided.status(), KeepAwake.withWarning(decided.notices(),
        spec.getSleep(), service.getStatus().getConditions()), decided.recheckIn());
    if (outcome.status().phase() == Phase.AWAKE && spec.getSleep() == null) {
      // Back to a service that never sleeps: nothing left to remember.
      return new SleepDecision.Outcome(null, outcome.notices(), Optional.empty());
    }
    if (!outcome.status().routedToActivator()) {
      return outcome;
    }
    // Back when the switch grace is over, to scale to zero; then now and then, for the activator's addresses (or
    // sooner, when a keep-awake window starts).
    Duration recheck = outcome.status().phase() == Phase.ASLEEP && !outcome.status().scaledToZero(now)
        ? SleepStatus.SWITCH_GRACE : ASLEEP_RECHECK;
    return new SleepDecision.Outcome(outcome.status(), outcome.notices(),
        outcome.recheckIn().filter(sooner -> sooner.compareTo(recheck) < 0).or(() -> Optional.of(recheck)));
  }

  /**
   * While the Service routes to the activator and pods may still run (the switch, the grace, the scale-down): the
   * EndpointSlice and Endpoints controllers stop looking after a Service that lost its selector but leave their objects behind
   * (and may write one more while it has not seen the change), so kube-proxy would keep sending part of the
   * requests to the pods even after they are gone. They go; the controller makes them again once the selector is back.
   */
  static void dropPodRoutes(AgentService service, SleepStatus sleep, Optional<Deployment> deployment, KubernetesClient client) {
    SleepStatus previous = service.getStatus().getSleep();
    boolean podsMayRun = deployment.map(d -> d.getSpec().getReplicas() == null || d.getSpec().getReplicas() > 0).orElse(false);
    boolean switching = sleep != null && sleep.routedToActivator()
        && (previous == null || !previous.routedToActivator() || podsMayRun);
    if (switching && AgentServicePlan.servesHttp(service.getSpec())) {
      String namespace = service.getMetadata().getNamespace();
      String name = service.getMetadata().getName();
      // The Endpoints controller also keeps its Endpoints of a Service without a selector (such Endpoints are the
      // user's to write), and the mirroring controller copies them into a slice again.
      client.endpoints().inNamespace(namespace).withName(name).delete();
      client.discovery().v1().endpointSlices().inNamespace(namespace).withLabel(SleepPlan.SERVICE_NAME_LABEL, name)
          .withLabelIn(SleepPlan.MANAGED_BY_LABEL, CONTROLLERS).delete();
    }
  }

  /** The managed-by values of the EndpointSlice controller and the Endpoints mirroring controller. */
  private static final String[] CONTROLLERS = {"endpointslice-controller.k8s.io", "endpointslicemirroring-controller.k8s.io"};

  /**
   * A sleeping service is Ready (it will serve: the next request wakes it), so Argo CD and Flux do not call it
   * degraded; a waking one is Reconciling. Stalled, paused and crash-looping services show as they are.
   */
  static void show(AgentService service, AgentServiceStatus status, SleepStatus sleep, String now) {
    status.setSleep(sleep);
    KeepAwake.showPhaseStallingOnUnreadableWindows(service.getSpec().getSleep(), status, service.getStatus().getConditions(),
        now, () -> showPhase(service, status, sleep, now));
  }

  private static void showPhase(AgentService service, AgentServiceStatus status, SleepStatus sleep, String now) {
    if (sleep == null || sleep.phase() == Phase.AWAKE || status.getState() != AgentState.PROVISIONING
        && status.getState() != AgentState.RUNNING) {
      return;
    }
    AgentServiceStatus previous = service.getStatus();
    Verdict verdict;
    if (sleep.phase() == Phase.ASLEEP) {
      status.setState(AgentState.SLEEPING);
      SleepSpec spec = service.getSpec().getSleep();
      String wakes = AgentServicePlan.servesHttp(service.getSpec())
          ? "the next request to its Service wakes it, or wake it by hand: " + RestartRequest.command(service, MetadataKeys.WAKE)
          : "it wakes by hand: " + RestartRequest.command(service, MetadataKeys.WAKE);
      verdict = Verdict.ready("Sleeping", "asleep since " + sleep.since() + " (" + sleep.reason()
          + (spec != null && spec.afterIdle() != null ? ", afterIdle " + spec.afterIdle() : "") + "); " + wakes);
    } else {
      verdict = Verdict.progressing("Waking", sleep.reason() + " at " + sleep.since() + "; " + status.getReadyInstances()
          + "/" + service.getSpec().getMinInstances() + " instances ready");
    }
    status.setConditions(Conditions.merge(previous.getConditions(), verdict, status.getObservedGeneration(), now));
  }
}
