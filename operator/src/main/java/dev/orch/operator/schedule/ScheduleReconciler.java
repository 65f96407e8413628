package dev.orch.operator.schedule;

import java.net.HttpURLConnection;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.time.ZonedDateTime;
import java.time.temporal.ChronoUnit;
import java.util.Comparator;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.stream.Collectors;

import dev.orch.operator.core.MetadataKeys;
import dev.orch.operator.core.bundle.BundleCheck;
import dev.orch.operator.core.bundle.BundleConfigMaps;
import dev.orch.operator.core.config.OperatorSettings;
import dev.orch.operator.core.reconcile.Labels;
import dev.orch.operator.core.reconcile.OwnedResources;
import dev.orch.operator.core.reconcile.PlannedDependent;
import dev.orch.operator.core.reconcile.ReconcileMetrics;
import dev.orch.operator.core.secrets.AgentSecrets;
import dev.orch.operator.core.secrets.VaultSecretEventSource;
import dev.orch.operator.core.status.Conditions.Verdict;
import dev.orch.operator.core.status.Conditions;
import dev.orch.operator.core.status.EventRecorder.Notice;
import dev.orch.operator.core.status.EventRecorder;
import dev.orch.operator.core.status.ReconcileFailure;
import dev.orch.operator.core.status.StatusWriter;
import dev.orch.operator.schedule.ScheduleStatus.Run;
import io.fabric8.kubernetes.api.model.DeletionPropagation;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.batch.v1.Job;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientException;
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
 * Schedule → a CronJob (type cron) whose Jobs are the runs; a manual trigger (annotation orch.dev/trigger)
 * starts a Job now, ignoring enabled and skipIfRunning. Top to bottom: check the bundle and the vault; apply the
 * plan; start a manual run if one was asked for; fold the observed Jobs into the run history; write status.
 */
@Workflow(explicitInvocation = true, dependents = @Dependent(name = "cronjob", type = CronJobDependent.class,
    reconcilePrecondition = PlannedDependent.InPlan.class))
@ControllerConfiguration(name = "schedule", generationAwareEventProcessing = false)
public class ScheduleReconciler implements Reconciler<Schedule> {
  /** How late the CronJob controller may create a fire's Job before the fire counts as skipped. */
  static final Duration CRON_GRACE = Duration.ofSeconds(10);
  private static final String FIELD_MANAGER = "orch-operator";
  private final OperatorSettings settings;
  private final Timer reconcileTimer;
  private VaultSecretEventSource<Schedule> vault;
  private EventRecorder events;

  public ScheduleReconciler(OperatorSettings settings, MeterRegistry meters) {
    this.settings = settings;
    this.reconcileTimer = ReconcileMetrics.timer(meters, "Schedule");
  }

  @Override
  public List<EventSource<?, Schedule>> prepareEventSources(EventSourceContext<Schedule> context) {
    vault = new VaultSecretEventSource<>(context, settings.vaultSecretName());
    events = new EventRecorder(context.getClient());
    return List.of(vault, OwnedResources.eventSource(context, Job.class, "runs", Labels.MADE_FOR_SCHEDULE),
        OwnedResources.pods(context, Labels.MADE_FOR_SCHEDULE), BundleConfigMaps.eventSource(context));
  }

  @Override
  public ErrorStatusUpdateControl<Schedule> updateErrorStatus(Schedule schedule, Context<Schedule> context, Exception error) {
    return ReconcileFailure.report(schedule, context, error, events, ScheduleStatus::new);
  }

  @Override
  public UpdateControl<Schedule> reconcile(Schedule schedule, Context<Schedule> context) {
    return reconcileTimer.record(() -> reconcileTimed(schedule, context));
  }

  private UpdateControl<Schedule> reconcileTimed(Schedule schedule, Context<Schedule> context) {
    ScheduleSpec spec = schedule.getSpec();
    ScheduleStatus previous = schedule.getStatus() == null ? new ScheduleStatus() : schedule.getStatus();
    Instant now = Instant.now().truncatedTo(ChronoUnit.SECONDS);
    boolean enabled = Boolean.TRUE.equals(spec.getEnabled());
    boolean cron = spec.getType() == ScheduleSpec.Type.CRON;
    ScheduleStatus status = new ScheduleStatus();
    status.setLastManualTrigger(previous.getLastManualTrigger());
    status.setWebhook(cron ? null : webhook(schedule, previous.getWebhook(), context.getClient()));

    Optional<String> invalidSchedule = cron ? NextFire.problem(spec.getSchedule(), spec.getTimeZone()) : Optional.empty();
    BundleCheck bundle = BundleConfigMaps.check(schedule, context);
    AgentSecrets secrets = AgentSecrets.of(schedule, spec, bundle, vault);
    Verdict verdict;
    if (invalidSchedule.isPresent()) {
      verdict = Verdict.stalled("InvalidSchedule", invalidSchedule.get());
    } else if (bundle.problem().isPresent()) {
      verdict = bundle.problem().get().verdict();
    } else if (!secrets.check().satisfied()) {
      verdict = Verdict.stalled("MissingSecrets", secrets.check().message());
    } else {
      SchedulePlan.of(schedule, secrets.names(), settings).applyIn(context);
      String requested = schedule.getMetadata().getAnnotations() == null ? null
          : schedule.getMetadata().getAnnotations().get(MetadataKeys.TRIGGER);
      if (requested != null && !requested.equals(previous.getLastManualTrigger())) {
        startManualRun(schedule, requested, secrets.names(), context.getClient());
        status.setLastManualTrigger(requested);
      }
      verdict = !enabled ? Verdict.idle("Disabled", cron
          ? "spec.enabled is false: no scheduled runs; a manual trigger still runs"
          : "spec.enabled is false: webhook calls are refused; a manual trigger still runs")
          : Verdict.ready("Scheduled", cron ? "runs on \"" + spec.getSchedule() + "\" (" + NextFire.zoneName(spec.getTimeZone()) + ")"
              : "runs when its webhook is called");
    }

    List<Job> jobs = List.copyOf(context.getSecondaryResources(Job.class));
    List<Pod> pods = List.copyOf(context.getSecondaryResources(Pod.class));
    List<Run> observed = RunHistory.merge(previous.getRuns(), jobs, pods, spec.getHistoryLimit());
    boolean cronSkips = cron && enabled && invalidSchedule.isEmpty() && Boolean.TRUE.equals(spec.getSkipIfRunning());
    List<Run> runs = cronSkips ? RunHistory.withSkippedCronFires(schedule.getMetadata().getName(), spec.getSchedule(),
        spec.getTimeZone(), observed, now.minus(CRON_GRACE), spec.getHistoryLimit()) : observed;
    status.setRuns(runs);
    if (!runs.isEmpty()) {
      status.setLastFiredAt(runs.get(0).latestFiredAt());
      status.setLastRunStatus(runs.get(0).status());
    }
    Optional<Instant> nextFire = cron && enabled && invalidSchedule.isEmpty()
        ? NextFire.after(spec.getSchedule(), spec.getTimeZone(), ZonedDateTime.now(ZoneOffset.UTC)).map(ZonedDateTime::toInstant)
        : Optional.empty();
    status.setNextFireAt(nextFire.map(Instant::toString).orElse(null));
    long generation = schedule.getMetadata().getGeneration() == null ? 0 : schedule.getMetadata().getGeneration();
    status.setObservedGeneration(generation);
    status.setConditions(Conditions.merge(previous.getConditions(), verdict, generation, now.toString()));

    if (!StatusWriter.unchanged(schedule.getStatus(), status)) {
      StatusWriter.write(schedule, status, context);
      bundle.noticeAfter(previous.getConditions()).ifPresent(notice -> events.emit(schedule, notice));
      emitRunEvents(schedule, previous.getRuns(), runs);
    }
    pruneJobs(jobs, context.getClient());
    // A fire that meets an active run leaves no trace in the cluster, so look again just after it.
    boolean running = runs.stream().anyMatch(r -> r.status() == ScheduleStatus.RunStatus.RUNNING);
    return cronSkips && running && nextFire.isPresent()
        ? UpdateControl.<Schedule>noUpdate().rescheduleAfter(Duration.between(now, nextFire.get().plus(CRON_GRACE)))
        : UpdateControl.noUpdate();
  }

  /** Named after the trigger value, so a retry after a lost status write finds the run already started. */
  private void startManualRun(Schedule schedule, String requested, List<String> secretNames, KubernetesClient client) {
    String runId = SchedulePlan.runId(schedule, ScheduleStatus.Trigger.MANUAL, WebhookToken.sha256(requested).substring(0, 10));
    try {
      client.resource(SchedulePlan.run(schedule, runId, ScheduleStatus.Trigger.MANUAL, false, secretNames, settings)).create();
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
    events.emit(schedule, Notice.normal(previous == null ? "WebhookTokenCreated" : "WebhookTokenRotated",
        "token in Secret " + secretRef.name() + " (key " + secretRef.key() + "); call POST " + path + "/<token>"));
    return new ScheduleStatus.Webhook(path, url, secretRef, WebhookToken.sha256(token), rotation);
  }

  /** An event for every run that ended, and for every skipped entry whose count grew. */
  private void emitRunEvents(Schedule schedule, List<Run> before, List<Run> runs) {
    Map<String, Run> previous = before.stream().collect(Collectors.toMap(Run::id, run -> run, (a, b) -> a));
    for (Run run : runs) {
      Run was = previous.get(run.id());
      boolean news = run.status() != ScheduleStatus.RunStatus.RUNNING
          && (was == null || was.status() != run.status() || !Objects.equals(was.count(), run.count()));
      if (!news) {
        continue;
      }
      events.emit(schedule, switch (run.status()) {
        case SUCCESS -> Notice.normal("RunSucceeded", "run " + run.id() + " succeeded in " + run.durationMs() + " ms");
        case SKIPPED -> Notice.normal("RunSkipped", run.count() + (run.trigger() == ScheduleStatus.Trigger.CRON
            ? " cron fire(s)" : " webhook call(s)") + " skipped since " + run.firedAt() + ": run " + run.blockedBy()
            + " was still active (skipIfRunning)");
        case ERROR -> Notice.warning("RunError", "run " + run.id() + ": " + run.output());
        default -> Notice.warning("Run" + capitalized(run.status().name()), "run " + run.id() + " ended "
            + run.status().name().toLowerCase(Locale.ROOT) + (run.exitCode() != null ? " with exit code " + run.exitCode() : ""));
      });
    }
  }

  /**
   * The CronJob trims its own Jobs; runs started here are trimmed the same way. Status was written first, so
   * nothing is lost.
   */
  private static void pruneJobs(List<Job> jobs, KubernetesClient client) {
    jobs.stream().filter(job -> !RunHistory.isActive(job) && !RunHistory.isCronRun(job))
        .sorted(Comparator.comparing((Job job) -> job.getMetadata().getCreationTimestamp()).reversed())
        .skip(SchedulePlan.JOBS_KEPT)
        .forEach(job -> client.resource(job).withPropagationPolicy(DeletionPropagation.BACKGROUND).delete());
  }

  private static String capitalized(String value) {
    return value.charAt(0) + value.substring(1).toLowerCase(Locale.ROOT);
  }
}
