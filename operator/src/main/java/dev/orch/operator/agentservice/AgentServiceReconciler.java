package dev.orch.operator.agentservice;

import java.time.Duration;
import java.util.List;
import java.util.Optional;

import dev.orch.operator.agent.AgentPod;
import dev.orch.operator.agentservice.AgentServiceDependents.AutoscalerDependent;
import dev.orch.operator.agentservice.AgentServiceDependents.DeploymentDependent;
import dev.orch.operator.agentservice.AgentServiceDependents.DisruptionBudgetDependent;
import dev.orch.operator.agentservice.AgentServiceDependents.IngressDependent;
import dev.orch.operator.agentservice.AgentServiceDependents.ServiceDependent;
import dev.orch.operator.core.alerts.AlertSender;
import dev.orch.operator.core.alerts.AlertWebhook;
import dev.orch.operator.core.config.OperatorSettings;
import dev.orch.operator.core.crashloop.CrashLoop;
import dev.orch.operator.core.crashloop.CrashLoopRecord.AlertOutcome;
import dev.orch.operator.core.reconcile.AgentReconciler;
import dev.orch.operator.core.reconcile.Labels;
import dev.orch.operator.core.reconcile.PlannedDependent;
import dev.orch.operator.core.reconcile.RestartRequest;
import dev.orch.operator.core.status.AgentState;
import io.fabric8.kubernetes.api.model.apps.Deployment;
import io.javaoperatorsdk.operator.api.reconciler.Context;
import io.javaoperatorsdk.operator.api.reconciler.ControllerConfiguration;
import io.javaoperatorsdk.operator.api.reconciler.EventSourceContext;
import io.javaoperatorsdk.operator.api.reconciler.Workflow;
import io.javaoperatorsdk.operator.api.reconciler.dependent.Dependent;
import io.javaoperatorsdk.operator.processing.event.source.EventSource;
import io.javaoperatorsdk.operator.processing.event.source.IndexerResourceCache;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;

/**
 * AgentService → Deployment, Service and, as needed, Ingress, HorizontalPodAutoscaler and PodDisruptionBudget.
 *
 * <p>Top to bottom: check that the bundle ConfigMap exists and the vault Secret holds every key the agent needs;
 * if so, compute the plan ({@link AgentServicePlan}) and let the workflow apply it with server-side apply; if
 * not, leave the running Deployment untouched. Then compute the status from what is observed and write it only when it changed.
 */
@Workflow(explicitInvocation = true, dependents = {
    @Dependent(name = "deployment", type = DeploymentDependent.class),
    @Dependent(name = "service", type = ServiceDependent.class, reconcilePrecondition = PlannedDependent.InPlan.class),
    @Dependent(name = "ingress", type = IngressDependent.class, reconcilePrecondition = PlannedDependent.InPlan.class),
    @Dependent(name = "autoscaler", type = AutoscalerDependent.class, reconcilePrecondition = PlannedDependent.InPlan.class),
    @Dependent(name = "disruption-budget", type = DisruptionBudgetDependent.class, reconcilePrecondition = PlannedDependent.InPlan.class)})
// Not generation-aware: the restart annotation changes metadata only, and must still trigger a reconcile.
@ControllerConfiguration(name = "agentservice", generationAwareEventProcessing = false)
public class AgentServiceReconciler extends AgentReconciler<AgentService, AgentServiceStatus> {
  private final AlertSender<AgentService> alerts;

  public AgentServiceReconciler(OperatorSettings settings, MeterRegistry meters) {
    super(settings, meters, Labels.MADE_FOR_AGENTSERVICE, AgentServiceStatus::new);
    this.alerts = new AlertSender<>(new AlertWebhook(settings.alertCaBundle(), 3, Duration.ofSeconds(5),
        Duration.ofSeconds(1)), meters);
  }

  @Override
  public List<EventSource<?, AgentService>> prepareEventSources(EventSourceContext<AgentService> context) {
    registerStateGauges(context.getPrimaryCache());
    return super.prepareEventSources(context);
  }

  @Override
  protected List<EventSource<?, AgentService>> moreEventSources(EventSourceContext<AgentService> context) {
    alerts.announceWith(events);
    return List.of(alerts);
  }

  @Override
  protected Decision<AgentService, AgentServiceStatus> decide(AgentService service, Observed seen,
      Context<AgentService> context) {
    CrashLoop.Result crashes = CrashLoop.track(AgentServiceStatusCalculator.counters(service.getStatus()), seen.livePods(),
        AgentPod.AGENT_CONTAINER, service.getSpec().getMaxRestartFailures(),
        RestartRequest.isNew(service, AgentServiceStatus::getLastRestartAt), settings.stableAfter(), seen.now());
    if (seen.deployable()) {
      AgentServicePlan.of(service, seen.secrets().names(), seen.bundle().podAnnotations(),
          crashes.counters().record().isAutoPaused(), settings).applyIn(context);
    }
    var observation = new AgentServiceStatusCalculator.Observation(context.getSecondaryResource(Deployment.class),
        seen.bundle(), seen.secrets().check(), crashes.counters(), seen.timestamp());
    AgentServiceStatus after = AgentServiceStatusCalculator.compute(service, observation, settings);
    Optional<AlertOutcome> delivered = alerts.pending(service);
    delivered.ifPresent(after.getCrashLoop()::setLastAlert);
    // The status (with the alert level marked as sent) is written before the alert is queued: after an operator
    // restart the level is already recorded, so an alert can be lost with the operator but never sent twice.
    return new Decision<>(after, AgentServiceStatusCalculator.events(service, service.getStatus(), after),
        crashes.lookAgainIn(), written -> {
          delivered.ifPresent(outcome -> alerts.written(service, outcome));
          crashes.crossed().ifPresent(level -> crossed(written, level));
        });
  }

  private void crossed(AgentService service, String level) {
    boolean critical = CrashLoop.CRITICAL.equals(level);
    if (critical) {
      meters.counter("orch.crashloop.pauses", "kind", "AgentService").increment();
    }
    String url = service.getSpec().getAlertWebhookUrl();
    if (url != null) {
      AgentServiceStatus status = service.getStatus();
      alerts.send(service, url, new AlertWebhook.Payload(critical ? AlertWebhook.CRASH_LOOP_EVENT : AlertWebhook.WARNING_EVENT,
          service.getMetadata().getUid(), service.getMetadata().getNamespace(), service.getMetadata().getName(),
          status.getRestartCount(), status.getConsecutiveRestartFailures(), service.getSpec().getMaxRestartFailures(),
          critical, status.getLastError()));
    }
  }

  /** orch_agentservices{state=...}: read from the informer cache at scrape time, so deleted services drop out. */
  private void registerStateGauges(IndexerResourceCache<AgentService> cache) {
    for (AgentState state : AgentState.values()) {
      Gauge.builder("orch.agentservices", cache, c -> c.list().filter(s -> s.getStatus() != null && s.getStatus().getState() == state).count())
          .description("AgentServices by state").tag("state", state.name().toLowerCase(java.util.Locale.ROOT).replace('_', '-'))
          .register(meters);
    }
  }
}
