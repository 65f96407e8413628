package dev.orch.operator.agentservice;

import java.time.Duration;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.Comparator;
import java.util.List;
import java.util.Optional;
import java.util.stream.Stream;

import dev.orch.operator.agent.AgentPod;
import dev.orch.operator.agentservice.AgentServiceDependents.ActivatorEndpointsDependent;
import dev.orch.operator.agentservice.AgentServiceDependents.AutoscalerDependent;
import dev.orch.operator.agentservice.AgentServiceDependents.DeploymentDependent;
import dev.orch.operator.agentservice.AgentServiceDependents.DisruptionBudgetDependent;
import dev.orch.operator.agentservice.AgentServiceDependents.IngressDependent;
import dev.orch.operator.agentservice.AgentServiceDependents.ServiceDependent;
import dev.orch.operator.core.AgentSecrets;
import dev.orch.operator.core.AgentState;
import dev.orch.operator.core.AlertWebhook;
import dev.orch.operator.core.BundleCheck;
import dev.orch.operator.core.BundleConfigMaps;
import dev.orch.operator.core.CrashLoop;
import dev.orch.operator.core.CrashLoopRecord;
import dev.orch.operator.core.EventRecorder;
import dev.orch.operator.core.Labels;
import dev.orch.operator.core.OperatorSettings;
import dev.orch.operator.core.OwnedResources;
import dev.orch.operator.core.PlannedDependent;
import dev.orch.operator.core.ReconcileFailure;
import dev.orch.operator.core.ReconcileMetrics;
import dev.orch.operator.core.RestartRequest;
import dev.orch.operator.core.StatusWriter;
import dev.orch.operator.core.VaultSecretEventSource;
import dev.orch.operator.agent.AgentDeployment;
import dev.orch.operator.sleep.ActivatorAddresses;
import dev.orch.operator.sleep.GatewayProbe;
import dev.orch.operator.sleep.SleepDecision;
import dev.orch.operator.sleep.SleepPlan;
import dev.orch.operator.sleep.SleepSettings;
import jakarta.inject.Inject;
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
import io.javaoperatorsdk.operator.processing.event.source.IndexerResourceCache;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Timer;

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
    @Dependent(name = "activator-endpoints", type = ActivatorEndpointsDependent.class, reconcilePrecondition = PlannedDependent.InPlan.class),
    @Dependent(name = "ingress", type = IngressDependent.class, reconcilePrecondition = PlannedDependent.InPlan.class),
    @Dependent(name = "autoscaler", type = AutoscalerDependent.class, reconcilePrecondition = PlannedDependent.InPlan.class),
    @Dependent(name = "disruption-budget", type = DisruptionBudgetDependent.class, reconcilePrecondition = PlannedDependent.InPlan.class)})
// Not generation-aware: the restart annotation changes metadata only, and must still trigger a reconcile.
@ControllerConfiguration(name = "agentservice", generationAwareEventProcessing = false)
public class AgentServiceReconciler implements Reconciler<AgentService> {
  private final OperatorSettings settings;
  private final Timer reconcileTimer;
  private final MeterRegistry meters;
  private final AlertWebhook alerts;
  private final SleepSettings sleepSettings;
  private final GatewayProbe gateways;
  private VaultSecretEventSource<AgentService> vault;
  private EventRecorder events;
  private ActivatorAddresses activator;

  public AgentServiceReconciler(OperatorSettings settings, MeterRegistry meters) {
    this(settings, meters, SleepSettings.DEFAULTS);
  }

  @Inject
  public AgentServiceReconciler(OperatorSettings settings, MeterRegistry meters, SleepSettings sleepSettings) {
    this.settings = settings;
    this.sleepSettings = sleepSettings;
    this.gateways = new GatewayProbe(sleepSettings.gatewayMetricsPort());
    this.meters = meters;
    this.alerts = new AlertWebhook(settings.alertCaBundle(), 3, Duration.ofSeconds(5), Duration.ofSeconds(1));
    this.reconcileTimer = ReconcileMetrics.timer(meters, "AgentService");
  }

  @Override
  public List<EventSource<?, AgentService>> prepareEventSources(EventSourceContext<AgentService> context) {
    vault = new VaultSecretEventSource<>(context, settings.vaultSecretName());
    events = new EventRecorder(context.getClient());
    activator = new ActivatorAddresses(context.getClient(), sleepSettings);
    registerStateGauges(context.getPrimaryCache());
    var pods = OwnedResources.pods(context, Labels.MADE_FOR_AGENTSERVICE);
    return List.of(vault, pods, BundleConfigMaps.eventSource(context));
  }

  @Override
  public ErrorStatusUpdateControl<AgentService> updateErrorStatus(AgentService service, Context<AgentService> context, Exception error) {
    return ReconcileFailure.report(service, context, error, events, AgentServiceStatus::new);
  }

  @Override
  public UpdateControl<AgentService> reconcile(AgentService service, Context<AgentService> context) {
    return reconcileTimer.record(() -> reconcileTimed(service, context));
  }

  private UpdateControl<AgentService> reconcileTimed(AgentService service, Context<AgentService> context) {
    BundleCheck bundle = BundleConfigMaps.check(service, context);
    AgentSecrets secrets = AgentSecrets.of(service, service.getSpec(), bundle, vault);

    List<Pod> pods = context.getSecondaryResources(Pod.class).stream()
        .filter(p -> p.getMetadata().getDeletionTimestamp() == null).toList();
    Instant now = Instant.now();
    CrashLoop.Result crashes = CrashLoop.track(AgentServiceStatusCalculator.counters(service.getStatus()), pods,
        AgentPod.AGENT_CONTAINER, service.getSpec().getMaxRestartFailures(),
        RestartRequest.isNew(service, AgentServiceStatus::getLastRestartAt), settings.stableAfter(), now);

    var deployment = context.getSecondaryResource(Deployment.class);
    SleepDecision.Outcome sleep = AgentServiceSleep.decide(service, gateways, pods,
        AgentDeployment.readyReplicas(deployment.orElse(null)), now);
    if (bundle.satisfied() && secrets.check().satisfied()) {
      SleepPlan.apply(AgentServicePlan.of(service, secrets.names(), bundle.podAnnotations(),
          crashes.counters().record().isAutoPaused(), settings), sleep.status(), activator.current(), now).applyIn(context);
      AgentServiceSleep.dropPodRoutes(service, sleep.status(), deployment, context.getClient());
    }

    var seen = new AgentServiceStatusCalculator.Observation(deployment, bundle,
        secrets.check(), crashes.counters(), now.truncatedTo(ChronoUnit.SECONDS).toString());
    AgentServiceStatus before = service.getStatus();
    AgentServiceStatus after = AgentServiceStatusCalculator.compute(service, seen, settings);
    AgentServiceSleep.show(service, after, sleep.status(), seen.now());
    UpdateControl<AgentService> done = Stream.of(crashes.recheckIn().map(wait -> wait.plusSeconds(1)), sleep.recheckIn())
        .flatMap(Optional::stream).min(Comparator.naturalOrder())
        .map(wait -> UpdateControl.<AgentService>noUpdate().rescheduleAfter(wait))
        .orElseGet(UpdateControl::noUpdate);
    if (StatusWriter.unchanged(before, after)) {
      return done;
    }
    // The status (with the alert level marked as sent) is written before the alert goes out: after an operator
    // restart the level is already recorded, so an alert can be lost with the operator but never sent twice.
    AgentService written = StatusWriter.write(service, after, context);
    bundle.noticeAfter(before == null ? null : before.getConditions()).ifPresent(notice -> events.emit(service, notice));
    AgentServiceStatusCalculator.events(service, before, after).forEach(notice -> events.emit(service, notice));
    sleep.notices().forEach(notice -> events.emit(service, notice));
    if (crashes.crossed().isPresent()) {
      if (CrashLoop.CRITICAL.equals(crashes.crossed().get())) {
        meters.counter("orch.crashloop.pauses", "kind", "AgentService").increment();
      }
      sendAlert(written, crashes.crossed().get(), context);
    }
    return done;
  }

  private void sendAlert(AgentService service, String level, Context<AgentService> context) {
    String url = service.getSpec().getAlertWebhookUrl();
    if (url == null) {
      return;
    }
    AgentServiceStatus status = service.getStatus();
    boolean critical = CrashLoop.CRITICAL.equals(level);
    var payload = new AlertWebhook.Payload(critical ? AlertWebhook.CRASH_LOOP_EVENT : AlertWebhook.WARNING_EVENT,
        service.getMetadata().getUid(), service.getMetadata().getNamespace(), service.getMetadata().getName(),
        status.getRestartCount(), status.getConsecutiveRestartFailures(), service.getSpec().getMaxRestartFailures(),
        critical, status.getLastError());
    CrashLoopRecord.AlertOutcome outcome = alerts.deliver(url, payload);
    meters.counter("orch.alerts", "event", payload.event(), "outcome", outcome.delivered() ? "sent" : "failed").increment();
    if (!outcome.delivered()) {
      events.emit(service, EventRecorder.Notice.warning("AlertFailed", "alert " + payload.event() + " to "
          + url + " failed: " + outcome.error()));
    }
    status.getCrashLoop().setLastAlert(outcome);
    StatusWriter.write(service, status, context);
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
