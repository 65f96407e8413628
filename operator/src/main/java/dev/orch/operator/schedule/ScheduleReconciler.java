package dev.orch.operator.schedule;

import java.net.HttpURLConnection;
import java.util.Comparator;
import java.util.List;
import java.util.Objects;

import dev.orch.operator.core.MetadataKeys;
import dev.orch.operator.core.config.OperatorSettings;
import dev.orch.operator.core.reconcile.AgentReconciler;
import dev.orch.operator.core.reconcile.Labels;
import dev.orch.operator.core.reconcile.OwnedResources;
import dev.orch.operator.core.reconcile.PlannedDependent;
import dev.orch.operator.core.status.EventRecorder.Notice;
import io.fabric8.kubernetes.api.model.DeletionPropagation;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.batch.v1.Job;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientException;
import io.javaoperatorsdk.operator.api.reconciler.Context;
import io.javaoperatorsdk.operator.api.reconciler.ControllerConfiguration;
import io.javaoperatorsdk.operator.api.reconciler.EventSourceContext;
import io.javaoperatorsdk.operator.api.reconciler.Workflow;
import io.javaoperatorsdk.operator.api.reconciler.dependent.Dependent;
import io.javaoperatorsdk.operator.processing.event.source.EventSource;
import io.micrometer.core.instrument.MeterRegistry;
import org.jboss.logging.Logger;

/**
 * Schedule → a CronJob (type cron) whose Jobs are the runs; a manual trigger (annotation orch.dev/trigger)
 * starts a Job now, ignoring enabled and skipIfRunning. Top to bottom: check the bundle and the vault; apply the
 * plan; start a manual run if one was asked for; fold the observed Jobs into the run history; write status.
 */
@Workflow(explicitInvocation = true, dependents = @Dependent(name = "cronjob", type = CronJobDependent.class,
    reconcilePrecondition = PlannedDependent.InPlan.class))
@ControllerConfiguration(name = "schedule", generationAwareEventProcessing = false)
public class ScheduleReconciler extends AgentReconciler<Schedule, ScheduleStatus> {
  private static final Logger LOG = Logger.getLogger(ScheduleReconciler.class);
  private static final String FIELD_MANAGER = "orch-operator";

  public ScheduleReconciler(OperatorSettings settings, MeterRegistry meters) {
    super(settings, meters, Labels.MADE_FOR_SCHEDULE, ScheduleStatus::new);
  }

  @Override
  protected List<EventSource<?, Schedule>> moreEventSources(EventSourceContext<Schedule> context) {
    return List.of(OwnedResources.eventSource(context, Job.class, "runs", Labels.MADE_FOR_SCHEDULE));
  }

  @Override
  protected Decision<Schedule, ScheduleStatus> decide(Schedule schedule, Observed seen, Context<Schedule> context) {
    ScheduleStatus previous = schedule.getStatus();
    boolean cron = schedule.getSpec().getType() == ScheduleSpec.Type.CRON;
    ScheduleStatus.Webhook webhook = cron ? null : webhook(schedule, previous.getWebhook(), context.getClient());
    String lastManualTrigger = previous.getLastManualTrigger();
    if (seen.deployable() && ScheduleStatusCalculator.invalidSchedule(schedule.getSpec()).isEmpty()) {
      SchedulePlan.of(schedule, seen.secrets().names(), settings).applyIn(context);
      String requested = schedule.getMetadata().getAnnotations() == null ? null
          : schedule.getMetadata().getAnnotations().get(MetadataKeys.TRIGGER);
      if (requested != null && !requested.equals(lastManualTrigger)) {
        startManualRun(schedule, requested, seen.secrets().names(), context.getClient());
        lastManualTrigger = requested;
      }
    }
    // Every pod, also those being deleted: a finished run's pod still tells its exit code and output.
    var observation = new ScheduleStatusCalculator.Observation(webhook, lastManualTrigger, seen.bundle(),
        seen.secrets().check(), List.copyOf(context.getSecondaryResources(Job.class)),
        List.copyOf(context.getSecondaryResources(Pod.class)), seen.now());
    ScheduleStatus after = ScheduleStatusCalculator.compute(schedule, observation);
    return new Decision<>(after, ScheduleStatusCalculator.events(previous.getRuns(), after.getRuns()),
        ScheduleStatusCalculator.recheckIn(schedule, after, seen.now()));
  }

  /**
   * The CronJob trims its own Jobs; runs started here are trimmed the same way. Status was written first, so
   * nothing is lost.
   */
  @Override
  protected void afterReconcile(Schedule schedule, Context<Schedule> context) {
    context.getSecondaryResources(Job.class).stream().filter(job -> !RunHistory.isActive(job) && !RunHistory.isCronRun(job))
        .sorted(Comparator.comparing((Job job) -> job.getMetadata().getCreationTimestamp()).reversed())
        .skip(SchedulePlan.JOBS_KEPT)
        .forEach(job -> {
          LOG.infof("Schedule %s/%s: pruning finished run %s (keeping the newest %d)", schedule.getMetadata().getNamespace(),
              schedule.getMetadata().getName(), job.getMetadata().getName(), SchedulePlan.JOBS_KEPT);
          context.getClient().resource(job).withPropagationPolicy(DeletionPropagation.BACKGROUND).delete();
        });
  }

  /** Named after the trigger value, so a retry after a lost status write finds the run already started. */
  private void startManualRun(Schedule schedule, String requested, List<String> secretNames, KubernetesClient client) {
    String runId = SchedulePlan.runId(schedule, ScheduleStatus.Trigger.MANUAL, WebhookToken.sha256(requested).substring(0, 10));
    try {
      client.resource(SchedulePlan.run(schedule, runId, ScheduleStatus.Trigger.MANUAL, false, secretNames, settings)).create();
      LOG.infof("Schedule %s/%s: manual run %s started", schedule.getMetadata().getNamespace(),
          schedule.getMetadata().getName(), runId);
      events.emit(schedule, Notice.normal("Triggered", "manual run " + runId + " started"));
    } catch (KubernetesClientException e) {
      if (e.getCode() != HttpURLConnection.HTTP_CONFLICT) {
        throw e;
      }
    }
  }

  /**
   * The token is made once (and again when orch.dev/rotate-webhook-token changes); only its digest is kept, in
   * status, so the operator never reads Secrets back.
   */
  private ScheduleStatus.Webhook webhook(Schedule schedule, ScheduleStatus.Webhook previous, KubernetesClient client) {
    String path = ScheduleWebhookResource.PATH + "/" + schedule.getMetadata().getNamespace() + "/" + schedule.getMetadata().getName();
    String url = settings.webhooks().baseUrl().map(base -> base + path).orElse(null);
    String rotation = schedule.getMetadata().getAnnotations() == null ? null
        : schedule.getMetadata().getAnnotations().get(MetadataKeys.ROTATE_WEBHOOK_TOKEN);
    var secretRef = new ScheduleStatus.SecretKeyRef(SchedulePlan.webhookTokenSecretName(schedule), SchedulePlan.WEBHOOK_TOKEN_KEY);
    if (previous != null && previous.tokenSha256() != null && Objects.equals(rotation, previous.rotation())) {
      return new ScheduleStatus.Webhook(path, url, secretRef, previous.tokenSha256(), rotation);
    }
    String token = WebhookToken.generate();
    client.resource(SchedulePlan.webhookToken(schedule, token)).fieldManager(FIELD_MANAGER).forceConflicts().serverSideApply();
    LOG.infof("Schedule %s/%s: webhook token %s in Secret %s", schedule.getMetadata().getNamespace(),
        schedule.getMetadata().getName(), previous == null ? "created" : "rotated", secretRef.name());
    events.emit(schedule, Notice.normal(previous == null ? "WebhookTokenCreated" : "WebhookTokenRotated",
        "token in Secret " + secretRef.name() + " (key " + secretRef.key() + "); call POST " + path + "/<token>"));
    return new ScheduleStatus.Webhook(path, url, secretRef, WebhookToken.sha256(token), rotation);
  }
}
