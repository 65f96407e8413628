package dev.orch.operator.schedule;

import dev.orch.operator.core.reconcile.Labels;
import dev.orch.operator.core.reconcile.PlannedDependent;
import io.fabric8.kubernetes.api.model.batch.v1.CronJob;
import io.javaoperatorsdk.operator.api.config.informer.Informer;
import io.javaoperatorsdk.operator.processing.dependent.kubernetes.KubernetesDependent;

/**
 * The CronJob of a cron Schedule; its desired state comes from {@link SchedulePlan}. The informer caches only the
 * CronJobs the operator made for Schedules.
 */
@KubernetesDependent(informer = @Informer(labelSelector = Labels.MADE_FOR_SCHEDULE))
public final class CronJobDependent extends PlannedDependent<CronJob, Schedule> {
  public CronJobDependent() {
    super(CronJob.class);
  }
}
