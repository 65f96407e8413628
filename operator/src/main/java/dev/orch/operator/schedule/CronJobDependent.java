package dev.orch.operator.schedule;

import dev.orch.operator.core.PlannedDependent;
import io.fabric8.kubernetes.api.model.batch.v1.CronJob;

/** The CronJob of a cron Schedule; its desired state comes from {@link SchedulePlan}. */
public final class CronJobDependent extends PlannedDependent<CronJob, Schedule> {
  public CronJobDependent() {
    super(CronJob.class);
  }
}
