package dev.orch.operator.schedule;

import java.time.Instant;
import java.time.ZoneOffset;
import java.time.ZonedDateTime;
import java.time.format.DateTimeFormatter;
import java.time.temporal.ChronoUnit;
import java.util.List;
import java.util.Locale;

import dev.orch.operator.core.AgentSecrets;
import dev.orch.operator.core.Conditions;
import dev.orch.operator.core.Conditions.Verdict;
import dev.orch.operator.core.EventRecorder;
import dev.orch.operator.core.EventRecorder.Notice;
import dev.orch.operator.core.OperatorSettings;
import dev.orch.operator.core.ReconcileMetrics;
import dev.orch.operator.core.OwnedResources;
import dev.orch.operator.core.PlannedDependent;
import dev.orch.operator.core.StatusWriter;
import dev.orch.operator.core.VaultSecretEventSource;
import dev.orch.operator.schedule.ScheduleStatus.Run;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.batch.v1.Job;
import io.javaoperatorsdk.operator.api.reconciler.Context;
import io.javaoperatorsdk.operator.api.reconciler.ControllerConfiguration;
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
 * starts a Job now, ignoring enabled and skipIfRunning. Top to bottom: check the vault; apply the plan; start
 * a manual run if one was asked for; fold the observed Jobs into the run history; write status.
 */
@Workflow(explicitInvocation = true, dependents = @Dependent(name = "cronjob", type = CronJobDependent.class,
    reconcilePrecondition = PlannedDependent.InPlan.class))
@ControllerConfiguration(name = "schedule", generationAwareEventProcessing = false)
public class ScheduleReconciler implements Reconciler<Schedule> {
  public static final String TRIGGER_ANNOTATION = "orch.dev/trigger";
  private static final DateTimeFormatter RUN_SUFFIX = DateTimeFormatter.ofPattern("yyyyMMddHHmmss").withZone(ZoneOffset.UTC);
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
    return List.of(vault, OwnedResources.eventSource(context, Job.class, "runs"),
        OwnedResources.eventSource(context, Pod.class, "pods"));
  }

  @Override
  public UpdateControl<Schedule> reconcile(Schedule schedule, Context<Schedule> context) {
    return reconcileTimer.record(() -> reconcileTimed(schedule, context));
  }

  private UpdateControl<Schedule> reconcileTimed(Schedule schedule, Context<Schedule> context) {
    ScheduleSpec spec = schedule.getSpec();
    ScheduleStatus previous = schedule.getStatus() == null ? new ScheduleStatus() : schedule.getStatus();
    AgentSecrets secrets = AgentSecrets.of(schedule, spec, context.getClient(), vault, settings.vaultSecretName());
    Instant now = Instant.now().truncatedTo(ChronoUnit.SECONDS);
    ScheduleStatus status = new ScheduleStatus();
    status.setWebhook(previous.getWebhook());
    status.setLastManualTrigger(previous.getLastManualTrigger());

    String requested = schedule.getMetadata().getAnnotations() == null ? null
        : schedule.getMetadata().getAnnotations().get(TRIGGER_ANNOTATION);
    Verdict verdict;
    if (!secrets.check().satisfied()) {
      verdict = Verdict.stalled("MissingSecrets", secrets.check().message());
    } else {
      SchedulePlan.of(schedule, secrets.names(), settings).storeIn(context);
      context.managedWorkflowAndDependentResourceContext().reconcileManagedWorkflow().throwAggregateExceptionIfErrorsPresent();
      if (requested != null && !requested.equals(previous.getLastManualTrigger())) {
        String runId = runId(schedule, "manual", now);
        context.getClient().resource(SchedulePlan.run(schedule, runId, ScheduleStatus.Trigger.MANUAL, secrets.names(), settings))
            .create();
        status.setLastManualTrigger(requested);
        events.emit(schedule, Notice.normal("Triggered", "manual run " + runId + " started"));
      }
      verdict = spec.getType() == ScheduleSpec.Type.CRON && !Boolean.TRUE.equals(spec.getEnabled())
          ? Verdict.idle("Disabled", "spec.enabled is false: no scheduled runs; a manual trigger still runs")
          : Verdict.ready("Scheduled", spec.getType() == ScheduleSpec.Type.CRON ? "runs on \"" + spec.getSchedule() + "\""
              + (spec.getTimeZone() != null ? " (" + spec.getTimeZone() + ")" : "") : "runs when its webhook is called");
    }

    List<Job> jobs = List.copyOf(context.getSecondaryResources(Job.class));
    List<Pod> pods = List.copyOf(context.getSecondaryResources(Pod.class));
    List<Run> runs = RunHistory.merge(previous.getRuns(), jobs, pods, spec.getHistoryLimit());
    status.setRuns(runs);
    if (!runs.isEmpty()) {
      status.setLastFiredAt(runs.get(0).firedAt());
      status.setLastRunStatus(runs.get(0).status());
    }
    if (spec.getType() == ScheduleSpec.Type.CRON && Boolean.TRUE.equals(spec.getEnabled())) {
      status.setNextFireAt(NextFire.after(spec.getSchedule(), spec.getTimeZone(), ZonedDateTime.now(ZoneOffset.UTC))
          .map(t -> t.withZoneSameInstant(ZoneOffset.UTC).toInstant().toString()).orElse(null));
    }
    long generation = schedule.getMetadata().getGeneration() == null ? 0 : schedule.getMetadata().getGeneration();
    status.setObservedGeneration(generation);
    status.setConditions(Conditions.merge(previous.getConditions(), verdict, generation, now.toString()));

    if (StatusWriter.unchanged(schedule.getStatus(), status)) {
      return UpdateControl.noUpdate();
    }
    StatusWriter.write(schedule, status, context);
    for (Run run : runs) {
      boolean finishedNow = run.status() != ScheduleStatus.RunStatus.RUNNING && previous.getRuns().stream()
          .noneMatch(r -> r.id().equals(run.id()) && r.status() == run.status());
      if (finishedNow) {
        events.emit(schedule, run.status() == ScheduleStatus.RunStatus.SUCCESS
            ? Notice.normal("RunSucceeded", "run " + run.id() + " succeeded in " + run.durationMs() + " ms")
            : Notice.warning("Run" + capitalized(run.status().name()), "run " + run.id() + " ended " + run.status().name()
                .toLowerCase(Locale.ROOT) + (run.exitCode() != null ? " with exit code " + run.exitCode() : "")));
      }
    }
    return UpdateControl.noUpdate();
  }

  /** Job names are label values too: at most 63 characters. */
  static String runId(Schedule schedule, String trigger, Instant at) {
    String base = schedule.getMetadata().getName();
    String suffix = "-" + trigger + "-" + RUN_SUFFIX.format(at);
    return (base.length() + suffix.length() > 63 ? base.substring(0, 63 - suffix.length()) : base) + suffix;
  }

  private static String capitalized(String value) {
    return value.charAt(0) + value.substring(1).toLowerCase(Locale.ROOT);
  }
}
