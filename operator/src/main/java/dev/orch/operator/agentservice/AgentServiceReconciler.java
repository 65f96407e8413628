package dev.orch.operator.agentservice;

import java.time.Duration;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.function.Consumer;
import java.util.function.Supplier;
import java.util.stream.Stream;

import dev.orch.operator.agent.AgentPod;
import dev.orch.operator.agentservice.AgentServiceDependents.ActivatorEndpointsDependent;
import dev.orch.operator.agent.AgentDeployment;
import dev.orch.operator.agentservice.AgentServiceDependents.AutoscalerDependent;
import dev.orch.operator.agentservice.AgentServiceDependents.DependencyCacheDependent;
import dev.orch.operator.agentservice.AgentServiceDependents.DeploymentDependent;
import dev.orch.operator.agentservice.AgentServiceDependents.DisruptionBudgetDependent;
import dev.orch.operator.agentservice.AgentServiceDependents.IngressDependent;
import dev.orch.operator.agentservice.AgentServiceDependents.ServiceDependent;
import dev.orch.operator.agentservice.autoupdate.AutoUpdateStatus;
import dev.orch.operator.agentservice.autoupdate.AutoUpdates;
import dev.orch.operator.agentservice.autoupdate.BundleVersions;
import dev.orch.operator.agentservice.autoupdate.VersionChecks;
import dev.orch.operator.agentservice.rollout.CanaryRollout;
import dev.orch.operator.agentservice.rollout.GatewayRoutes;
import dev.orch.operator.agentservice.rollout.Rollouts;
import dev.orch.operator.agentservice.tls.CertManagerApi;
import dev.orch.operator.agentservice.tls.CertificateDependent;
import dev.orch.operator.agentservice.tls.ServiceTls;
import dev.orch.operator.agentservice.tls.TlsCalculator;
import dev.orch.operator.agentservice.tls.TlsPlan;
import dev.orch.operator.agentservice.tls.TlsRequest;
import dev.orch.operator.core.alerts.AlertSender;
import dev.orch.operator.core.alerts.AlertWebhook;
import dev.orch.operator.core.config.OperatorSettings;
import dev.orch.operator.core.crashloop.CrashLoop;
import dev.orch.operator.core.crashloop.CrashLoopRecord;
import dev.orch.operator.core.crashloop.CrashLoopRecord.AlertOutcome;
import dev.orch.operator.core.reconcile.AgentReconciler;
import dev.orch.operator.core.reconcile.Labels;
import dev.orch.operator.core.reconcile.Plan;
import dev.orch.operator.core.reconcile.PlannedDependent;
import dev.orch.operator.core.reconcile.RestartRequest;
import dev.orch.operator.core.status.AgentState;
import dev.orch.operator.core.status.EventRecorder.Notice;
import dev.orch.operator.sleep.ActivatorAddresses;
import dev.orch.operator.sleep.GatewayProbe;
import dev.orch.operator.sleep.SleepDecision;
import dev.orch.operator.sleep.SleepPlan;
import dev.orch.operator.sleep.SleepSettings;
import jakarta.inject.Inject;
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
    @Dependent(name = "activator-endpoints", type = ActivatorEndpointsDependent.class, reconcilePrecondition = PlannedDependent.InPlan.class),
    @Dependent(name = "ingress", type = IngressDependent.class, reconcilePrecondition = PlannedDependent.InPlan.class),
    @Dependent(name = "autoscaler", type = AutoscalerDependent.class, reconcilePrecondition = PlannedDependent.InPlan.class),
    @Dependent(name = "disruption-budget", type = DisruptionBudgetDependent.class, reconcilePrecondition = PlannedDependent.InPlan.class),
    @Dependent(name = "dependency-cache", type = DependencyCacheDependent.class, reconcilePrecondition = PlannedDependent.InPlan.class),
    @Dependent(name = "certificate", type = CertificateDependent.class, activationCondition = CertManagerApi.Served.class,
        reconcilePrecondition = PlannedDependent.InPlan.class)})
// Not generation-aware: the restart annotation changes metadata only, and must still trigger a reconcile.
@ControllerConfiguration(name = "agentservice", generationAwareEventProcessing = false)
public class AgentServiceReconciler extends AgentReconciler<AgentService, AgentServiceStatus> {
  private final AlertSender<AgentService> alerts;
  private final GatewayRoutes routes = new GatewayRoutes();
  private final VersionChecks versionChecks;
  private final SleepSettings sleepSettings;
  private final GatewayProbe gateways;
  private ServiceTls tls;
  private ActivatorAddresses activator;

  public AgentServiceReconciler(OperatorSettings settings, MeterRegistry meters) {
    this(settings, meters, SleepSettings.DEFAULTS);
  }

  @Inject
  public AgentServiceReconciler(OperatorSettings settings, MeterRegistry meters, SleepSettings sleepSettings) {
    super(settings, meters, Labels.MADE_FOR_AGENTSERVICE, AgentServiceStatus::new);
    this.alerts = new AlertSender<>(new AlertWebhook(settings.alertCaBundle(), 3, Duration.ofSeconds(5),
        Duration.ofSeconds(1)), meters);
    this.versionChecks = new VersionChecks(new BundleVersions(settings.alertCaBundle()));
    this.sleepSettings = sleepSettings;
    this.gateways = new GatewayProbe(sleepSettings.gatewayMetricsPort());
  }

  @Override
  public List<EventSource<?, AgentService>> prepareEventSources(EventSourceContext<AgentService> context) {
    registerStateGauges(context.getPrimaryCache());
    return super.prepareEventSources(context);
  }

  @Override
  protected List<EventSource<?, AgentService>> moreEventSources(EventSourceContext<AgentService> context) {
    alerts.announceWith(events);
    tls = new ServiceTls(new CertManagerApi(context.getClient(), settings.tls().certManagerRecheck()), settings.tls(),
        alerts);
    activator = new ActivatorAddresses(context.getClient(), sleepSettings);
    return List.of(alerts, versionChecks);
  }

  @Override
  protected Decision<AgentService, AgentServiceStatus> decide(AgentService service, Observed seen,
      Context<AgentService> context) {
    // A canary's crashes are the rollout's health gate, counted apart: they must not pause the stable version.
    CrashLoop.Result crashes = CrashLoop.track(AgentServiceStatusCalculator.counters(service.getStatus()),
        seen.livePods().stream().filter(p -> !Rollouts.isCanary(p)).toList(),
        AgentPod.AGENT_CONTAINER, service.getSpec().getMaxRestartFailures(),
        RestartRequest.isNew(service, AgentServiceStatus::getLastRestartAt), settings.stableAfter(), seen.now());
    VersionChecks.Observation versionCheck = versionChecks.observe(service, seen.now().truncatedTo(ChronoUnit.SECONDS));
    AutoUpdateStatus autoUpdate = versionCheck.status();
    boolean certManager = tls.served(context);
    Optional<TlsRequest> tlsRequest = AgentServicePlan.tls(service, settings);
    Map<String, Deployment> observed = DeploymentDependent.byName(context);
    Optional<Deployment> stable = Optional.ofNullable(observed.get(service.getMetadata().getName()));
    SleepDecision.Outcome sleep = AgentServiceSleep.decide(service, gateways, seen.livePods(),
        AgentDeployment.readyReplicas(stable.orElse(null)), seen.now());
    CanaryRollout.Decision rollout = null;
    GatewayRoutes.Outcome route = GatewayRoutes.Outcome.NONE;
    if (seen.deployable() && versionCheck.holdingBack().isEmpty()) {
      boolean crashLoopPaused = crashes.pauseRecorded();
      Plan plan = SleepPlan.apply(TlsPlan.apply(AgentServicePlan.of(service, seen.secrets().names(),
          seen.bundle().podAnnotations(), crashLoopPaused, settings), service, tlsRequest, certManager),
          sleep.status(), activator.current(), seen.now());
      AutoUpdates.pin(plan.get(Deployment.class).orElseThrow().getSpec().getTemplate(), service.getSpec(), autoUpdate);
      rollout = Rollouts.decideInto(plan, service, AgentServicePlan.stopped(service, crashLoopPaused), observed,
          seen.livePods().stream().filter(Rollouts::isCanary).toList(), settings.stableAfter(), context.getClient(),
          seen.now());
      plan.applyIn(context);
      route = routes.sync(context.getClient(), service, rollout.status(),
          Rollouts.stableTrackLabelled(stable));
      AgentServiceSleep.dropPodRoutes(service, sleep.status(), stable, context.getClient());
    }

    Map<String, Deployment> deployments = DeploymentDependent.byName(context);
    var observation = new AgentServiceStatusCalculator.Observation(
        Optional.ofNullable(deployments.get(service.getMetadata().getName())), seen.bundle(), seen.secrets().check(),
        crashes.counters(), seen.timestamp());
    AgentServiceStatus before = service.getStatus();
    AgentServiceStatus after = AgentServiceStatusCalculator.compute(service, observation, settings);
    AgentServiceSleep.show(service, after, sleep.status(), seen.timestamp());
    Rollouts.show(after, before, rollout, route.problem().or(versionCheck::holdingBack), deployments, service, seen.timestamp());
    after.setAutoUpdate(autoUpdate);
    TlsCalculator.Result certificate = tls.compute(service, tls.observe(tlsRequest, certManager, context), seen.now());
    ServiceTls.fold(after, before, certificate, after.getObservedGeneration(), seen.timestamp());
    List<Notice> lostAlerts = showUnconfirmedAlerts(service, after, seen.now());
    Optional<AlertOutcome> delivered = alerts.pending(service);
    delivered.ifPresent(outcome -> recordAlert(after, outcome));

    List<Notice> notices = new ArrayList<>(AgentServiceStatusCalculator.events(service, before, after));
    notices.addAll(lostAlerts);
    AutoUpdates.notice(service, before.getAutoUpdate(), autoUpdate).ifPresent(notices::add);
    notices.addAll(certificate.notices());
    notices.addAll(sleep.notices());
    Optional<String> rolloutAborted = Optional.empty();
    Optional<Duration> rolloutRecheck = Optional.empty();
    if (rollout != null) {
      notices.addAll(rollout.notices());
      rolloutAborted = rollout.abortedBecause();
      // A second after a timed pause ends, so the step has surely elapsed when the reconcile looks.
      rolloutRecheck = rollout.recheckIn().map(wait -> wait.plusSeconds(1));
    }
    Optional<Duration> recheck = Stream.of(crashes.lookAgainIn(), rolloutRecheck,
        versionCheck.recheckIn(), route.recheckIn(), tls.recheckIn(certificate).map(wait -> wait.plusSeconds(1)),
        sleep.recheckIn())
        .flatMap(Optional::stream).min(Comparator.naturalOrder());
    Optional<String> aborted = rolloutAborted;
    if (service.getSpec().getAlertWebhookUrl() != null) {
      crashes.crossed().ifPresent(level -> recordAlert(after, AlertOutcome.underWay(crashLoopEvent(level), seen.now())));
      aborted.ifPresent(reason -> recordAlert(after, AlertOutcome.underWay(CanaryRollout.ROLLOUT_ABORTED_EVENT, seen.now())));
      if (certificate.alertDue() && after.getTls() != null) {
        recordAlert(after, AlertOutcome.underWay(AlertWebhook.TLS_EXPIRING_EVENT, seen.now()));
      }
    }
    // The status (with the alert level marked as sent) is written before the alert is queued: after an operator
    // restart the level is already recorded, so an alert can be lost with the operator but never sent twice.
    return new Decision<>(after, notices, recheck, written -> {
      delivered.ifPresent(outcome -> alerts.written(service, outcome));
      aborted.ifPresent(reason -> rolloutAborted(written, reason));
      crashes.crossed().ifPresent(level -> crossed(written, level));
      if (certificate.alertDue()) {
        tls.alert(written);
      }
    });
  }

  /** Where status shows an alert's outcome: with the canary's, the certificate's or the service's alert levels. */
  private record AlertSlot(Supplier<AlertOutcome> shown, Consumer<AlertOutcome> show) {
  }

  private static AlertSlot alertSlot(AgentServiceStatus status, String event) {
    if (CanaryRollout.ROLLOUT_ABORTED_EVENT.equals(event) && status.getRollout() != null
        && status.getRollout().canaryCrashLoop() != null) {
      CrashLoopRecord canary = status.getRollout().canaryCrashLoop();
      return new AlertSlot(canary::getLastAlert, canary::setLastAlert);
    }
    if (AlertWebhook.TLS_EXPIRING_EVENT.equals(event) && status.getTls() != null) {
      return new AlertSlot(status.getTls()::getLastAlert, status.getTls()::setLastAlert);
    }
    return new AlertSlot(status.getCrashLoop()::getLastAlert, status.getCrashLoop()::setLastAlert);
  }

  /**
   * Shows an alert's outcome where its level is kept. An outcome that ended does not replace another alert shown as
   * under way: that alert is newer, and its own outcome follows.
   */
  private static void recordAlert(AgentServiceStatus status, AlertOutcome outcome) {
    AlertSlot slot = alertSlot(status, outcome.event());
    AlertOutcome shown = slot.shown().get();
    if (outcome.underWay() || shown == null || !shown.underWay() || shown.event().equals(outcome.event())) {
      slot.show().accept(outcome);
    }
  }

  /** Deliveries that status shows under way but that stopped with an earlier operator process, told to the user. */
  private List<Notice> showUnconfirmedAlerts(AgentService service, AgentServiceStatus status, Instant now) {
    List<Notice> notices = new ArrayList<>();
    for (String event : List.of(AlertWebhook.CRASH_LOOP_EVENT, CanaryRollout.ROLLOUT_ABORTED_EVENT,
        AlertWebhook.TLS_EXPIRING_EVENT)) {
      AlertSlot slot = alertSlot(status, event);
      alerts.unconfirmed(service, slot.shown().get(), now).ifPresent(outcome -> {
        slot.show().accept(outcome);
        notices.add(Notice.warning("AlertUnconfirmed", "alert " + outcome.event() + " to "
            + service.getSpec().getAlertWebhookUrl() + " is " + outcome.error() + "; check the receiver"));
      });
    }
    return notices;
  }

  private static String crashLoopEvent(String level) {
    return CrashLoop.CRITICAL.equals(level) ? AlertWebhook.CRASH_LOOP_EVENT : AlertWebhook.WARNING_EVENT;
  }

  private void rolloutAborted(AgentService service, String reason) {
    String url = service.getSpec().getAlertWebhookUrl();
    if (url != null) {
      alerts.send(service, url, Rollouts.abortAlert(service, reason));
    }
  }

  private void crossed(AgentService service, String level) {
    boolean critical = CrashLoop.CRITICAL.equals(level);
    if (critical) {
      meters.counter("orch.crashloop.pauses", "kind", "AgentService").increment();
    }
    String url = service.getSpec().getAlertWebhookUrl();
    if (url != null) {
      AgentServiceStatus status = service.getStatus();
      alerts.send(service, url, new AlertWebhook.Payload(crashLoopEvent(level),
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
