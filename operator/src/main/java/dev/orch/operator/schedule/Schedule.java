package dev.orch.operator.schedule;

import com.fasterxml.jackson.annotation.JsonClassDescription;
import io.fabric8.crd.generator.annotation.AdditionalPrinterColumn;
import io.fabric8.generator.annotation.ValidationRule;
import io.fabric8.kubernetes.api.model.Namespaced;
import io.fabric8.kubernetes.client.CustomResource;
import io.fabric8.kubernetes.model.annotation.Categories;
import io.fabric8.kubernetes.model.annotation.Group;
import io.fabric8.kubernetes.model.annotation.ShortNames;
import io.fabric8.kubernetes.model.annotation.Version;

/** An agent run on a cron schedule, by a secret webhook URL, or by hand, with its run history. */
@Group("orch.dev")
@Version("v1alpha1")
@ShortNames("sched")
@Categories("orch")
@AdditionalPrinterColumn(name = "Type", jsonPath = ".spec.type", type = AdditionalPrinterColumn.Type.STRING)
@AdditionalPrinterColumn(name = "Schedule", jsonPath = ".spec.schedule", type = AdditionalPrinterColumn.Type.STRING)
@AdditionalPrinterColumn(name = "Last Run", jsonPath = ".status.lastFiredAt", type = AdditionalPrinterColumn.Type.DATE)
@AdditionalPrinterColumn(name = "Last Status", jsonPath = ".status.lastRunStatus", type = AdditionalPrinterColumn.Type.STRING)
// A string, not a date: kubectl renders future dates as "<invalid>".
@AdditionalPrinterColumn(name = "Next Run", jsonPath = ".status.nextFireAt", type = AdditionalPrinterColumn.Type.STRING)
@AdditionalPrinterColumn(name = "Age", jsonPath = ".metadata.creationTimestamp", type = AdditionalPrinterColumn.Type.DATE)
@ValidationRule(
    value = "self.metadata.name.size() <= 63",
    message = "Schedule names are at most 63 characters, because the name labels every run; choose a shorter name")
@ValidationRule(
    value = "self.spec.type != 'cron' || self.metadata.name.size() <= 52",
    message = "cron Schedule names are at most 52 characters, because the name becomes its CronJob's name and the"
        + " CronJob controller appends 11 characters to name each run's Job; choose a shorter name")
@JsonClassDescription("An agent run as a Job on a cron schedule (type cron), when its secret webhook URL is called (type webhook),"
    + " or by hand (annotation orch.dev/trigger); status keeps the run history.")
public class Schedule extends CustomResource<ScheduleSpec, ScheduleStatus> implements Namespaced {
}
