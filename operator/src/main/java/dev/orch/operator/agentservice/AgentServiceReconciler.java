package dev.orch.operator.agentservice;

import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.List;
import java.util.Objects;

import dev.orch.operator.agent.BundleManifest;
import dev.orch.operator.agent.SecretNames;
import dev.orch.operator.agentservice.AgentServiceDependents.AutoscalerDependent;
import dev.orch.operator.agentservice.AgentServiceDependents.DeploymentDependent;
import dev.orch.operator.agentservice.AgentServiceDependents.DisruptionBudgetDependent;
import dev.orch.operator.agentservice.AgentServiceDependents.IngressDependent;
import dev.orch.operator.agentservice.AgentServiceDependents.ServiceDependent;
import dev.orch.operator.core.AgentState;
import dev.orch.operator.core.EventRecorder;
import dev.orch.operator.core.OperatorSettings;
import dev.orch.operator.core.PlannedDependent;
import dev.orch.operator.core.SecretCheck;
import dev.orch.operator.core.VaultSecretEventSource;
import io.fabric8.kubernetes.api.model.apps.Deployment;
import io.fabric8.kubernetes.api.model.ObjectMetaBuilder;
import io.javaoperatorsdk.operator.api.reconciler.Context;
import io.javaoperatorsdk.operator.api.reconciler.PrimaryUpdateAndCacheUtils;
import io.javaoperatorsdk.operator.api.reconciler.ControllerConfiguration;
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
 * <p>Top to bottom: check the vault Secret holds every key the agent needs; if it does, compute the plan
 * ({@link AgentServicePlan}) and let the workflow apply it with server-side apply; if not, leave the running
 * Deployment untouched. Then compute the status from what is observed and write it only when it changed.
 */
@Workflow(explicitInvocation = true, dependents = {
    @Dependent(name = "deployment", type = DeploymentDependent.class),
    @Dependent(name = "service", type = ServiceDependent.class),
    @Dependent(name = "ingress", type = IngressDependent.class, reconcilePrecondition = PlannedDependent.InPlan.class),
    @Dependent(name = "autoscaler", type = AutoscalerDependent.class, reconcilePrecondition = PlannedDependent.InPlan.class),
    @Dependent(name = "disruption-budget", type = DisruptionBudgetDependent.class, reconcilePrecondition = PlannedDependent.InPlan.class)})
// Not generation-aware: the restart annotation changes metadata only, and must still trigger a reconcile.
@ControllerConfiguration(name = "agentservice", generationAwareEventProcessing = false)
public class AgentServiceReconciler implements Reconciler<AgentService> {
  private final OperatorSettings settings;
  private final Timer reconcileTimer;
  private final MeterRegistry meters;
  private VaultSecretEventSource<AgentService> vault;
  private EventRecorder events;

  public AgentServiceReconciler(OperatorSettings settings, MeterRegistry meters) {
    this.settings = settings;
    this.meters = meters;
    this.reconcileTimer = Timer.builder("orch.reconcile.duration").description("Time to reconcile one resource")
        .tag("kind", "AgentService").publishPercentileHistogram().register(meters);
  }

  @Override
  public List<EventSource<?, AgentService>> prepareEventSources(EventSourceContext<AgentService> context) {
    vault = new VaultSecretEventSource<>(context, settings.vaultSecretName());
    events = new EventRecorder(context.getClient());
    registerStateGauges(context.getPrimaryCache());
    return List.of(vault);
  }

  @Override
  public UpdateControl<AgentService> reconcile(AgentService service, Context<AgentService> context) {
    return reconcileTimer.record(() -> reconcileTimed(service, context));
  }

  private UpdateControl<AgentService> reconcileTimed(AgentService service, Context<AgentService> context) {
    String namespace = service.getMetadata().getNamespace();
    List<String> bundleSecrets = BundleManifest.requiredSecrets(context.getClient(), namespace, service.getSpec().getBundle());
    List<String> secretNames = SecretNames.of(service.getSpec(), bundleSecrets);
    var vaultSecret = vault.vaultOf(service);
    SecretCheck secrets = SecretCheck.of(namespace, settings.vaultSecretName(), secretNames,
        VaultSecretEventSource.keyNames(vaultSecret), vaultSecret.isPresent());

    if (secrets.satisfied()) {
      AgentServicePlan.of(service, secretNames, settings).storeIn(context);
      context.managedWorkflowAndDependentResourceContext().reconcileManagedWorkflow()
          .throwAggregateExceptionIfErrorsPresent();
    }

    var seen = new AgentServiceStatusCalculator.Observation(context.getSecondaryResource(Deployment.class), secrets,
        Instant.now().truncatedTo(ChronoUnit.SECONDS).toString());
    AgentServiceStatus before = service.getStatus();
    AgentServiceStatus after = AgentServiceStatusCalculator.compute(service, seen, settings);
    if (Objects.equals(statusJson(before), statusJson(after))) {
      return UpdateControl.noUpdate();
    }
    AgentService statusOnly = new AgentService();
    statusOnly.setMetadata(new ObjectMetaBuilder().withName(service.getMetadata().getName())
        .withNamespace(namespace).build());
    statusOnly.setStatus(after);
    // Patches and puts the result in the informer cache, so the next event's reconcile already sees this status
    // and neither writes it again nor repeats its events.
    PrimaryUpdateAndCacheUtils.ssaPatchStatusAndCacheResource(service, statusOnly, context);
    AgentServiceStatusCalculator.events(service, before, after).forEach(notice -> events.emit(service, notice));
    return UpdateControl.noUpdate();
  }

  private static String statusJson(AgentServiceStatus status) {
    return status == null ? null : io.fabric8.kubernetes.client.utils.Serialization.asJson(status);
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
