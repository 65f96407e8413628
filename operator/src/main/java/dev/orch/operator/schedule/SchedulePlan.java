package dev.orch.operator.schedule;

import java.util.List;
import java.util.Map;

import dev.orch.operator.agent.AgentPod;
import dev.orch.operator.core.Labels;
import dev.orch.operator.core.OperatorSettings;
import dev.orch.operator.core.Plan;
import dev.orch.operator.core.PlannedDependent;
import io.fabric8.kubernetes.api.model.ObjectMetaBuilder;
import io.fabric8.kubernetes.api.model.batch.v1.CronJob;
import io.fabric8.kubernetes.api.model.batch.v1.CronJobBuilder;
import io.fabric8.kubernetes.api.model.batch.v1.Job;
import io.fabric8.kubernetes.api.model.batch.v1.JobBuilder;
import io.fabric8.kubernetes.api.model.batch.v1.JobSpec;
import io.fabric8.kubernetes.api.model.batch.v1.JobSpecBuilder;

/**
 * A Schedule's objects: for type cron a CronJob; every run, scheduled or not, a Job built from the shared agent
 * template, whose agent exit code is the run's.
 */
public final class SchedulePlan {
  public static final String TRIGGER_LABEL = "orch.dev/trigger";
  /** Finished Jobs kept in the cluster for `kubectl logs`; the run history itself lives in status. */
  static final int JOBS_KEPT = 3;

  private SchedulePlan() {
  }

  public static Plan of(Schedule schedule, List<String> secretNames, OperatorSettings settings) {
    Plan plan = new Plan();
    if (schedule.getSpec().getType() == ScheduleSpec.Type.CRON) {
      plan.with(cronJob(schedule, secretNames, settings));
    }
    return plan;
  }

  static CronJob cronJob(Schedule schedule, List<String> secretNames, OperatorSettings settings) {
    ScheduleSpec spec = schedule.getSpec();
    return new CronJobBuilder()
        .withMetadata(new ObjectMetaBuilder().withName(schedule.getMetadata().getName())
            .withNamespace(schedule.getMetadata().getNamespace())
            .withLabels(Labels.of(schedule, spec.getAgent(), "schedule")).build())
        .withNewSpec()
        .withSchedule(spec.getSchedule())
        .withTimeZone(spec.getTimeZone())
        .withConcurrencyPolicy(Boolean.TRUE.equals(spec.getSkipIfRunning()) ? "Forbid" : "Allow")
        .withSuspend(!Boolean.TRUE.equals(spec.getEnabled()))
        .withSuccessfulJobsHistoryLimit(JOBS_KEPT)
        .withFailedJobsHistoryLimit(JOBS_KEPT)
        .withNewJobTemplate()
        .withNewMetadata().withLabels(runLabels(schedule, ScheduleStatus.Trigger.CRON)).endMetadata()
        .withSpec(jobSpec(schedule, secretNames, ScheduleStatus.Trigger.CRON, settings))
        .endJobTemplate()
        .endSpec()
        .build();
  }

  /** A run started now, by hand or by the webhook. */
  static Job run(Schedule schedule, String runId, ScheduleStatus.Trigger trigger, List<String> secretNames,
      OperatorSettings settings) {
    return new JobBuilder()
        .withMetadata(new ObjectMetaBuilder().withName(runId).withNamespace(schedule.getMetadata().getNamespace())
            .withLabels(runLabels(schedule, trigger)).withOwnerReferences(PlannedDependent.controlledBy(schedule)).build())
        .withSpec(jobSpec(schedule, secretNames, trigger, settings))
        .build();
  }

  private static JobSpec jobSpec(Schedule schedule, List<String> secretNames, ScheduleStatus.Trigger trigger,
      OperatorSettings settings) {
    ScheduleSpec spec = schedule.getSpec();
    var workload = new AgentPod.Workload(runLabels(schedule, trigger), Map.of(), 3000, false, "Never", List.of());
    return new JobSpecBuilder()
        // One attempt: a failed agent run is a result to record, not something to retry behind the user's back.
        .withBackoffLimit(0)
        .withActiveDeadlineSeconds(spec.getTimeoutSeconds().longValue())
        .withTemplate(AgentPod.template(spec, secretNames, workload, settings))
        .build();
  }

  private static Map<String, String> runLabels(Schedule schedule, ScheduleStatus.Trigger trigger) {
    Map<String, String> labels = Labels.of(schedule, schedule.getSpec().getAgent(), "run");
    labels.put(TRIGGER_LABEL, trigger.name().toLowerCase(java.util.Locale.ROOT));
    return labels;
  }
}
