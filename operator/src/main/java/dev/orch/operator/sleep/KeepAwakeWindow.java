package dev.orch.operator.sleep;

import com.fasterxml.jackson.annotation.JsonPropertyDescription;
import io.fabric8.generator.annotation.Required;
import io.fabric8.generator.annotation.Size;
import io.fabric8.generator.annotation.ValidationRule;

/**
 * One entry of {@code spec.sleep.keepAwake}: awake from each time the schedule fires, for {@code duration}. The
 * rules sit on the type, not the components: the CRD generator would copy a component's rule twice.
 */
@ValidationRule(
    value = "self.schedule.matches('^(@(yearly|annually|monthly|weekly|daily|midnight|hourly)|[^ ]+( +[^ ]+){4})$')",
    fieldPath = ".schedule",
    message = "keepAwake schedule must be a cron expression with five fields (minute hour day-of-month month"
        + " day-of-week), e.g. \"0 8 * * 1-5\" for weekdays at 08:00, or a macro such as @daily")
@ValidationRule(
    value = "self.duration.matches('^([0-9]+h)?([0-9]+m)?([0-9]+s)?$') && duration(self.duration) >= duration('10s')"
        + " && duration(self.duration) <= duration('168h')",
    fieldPath = ".duration",
    message = "keepAwake duration must be between 10s and 168h written with h, m and s, e.g. 10h or 1h30m")
public record KeepAwakeWindow(
    @Required
    @Size(min = 1, max = 128)
    @JsonPropertyDescription("When a window starts: a cron expression with five fields (minute hour day-of-month month"
        + " day-of-week) or a macro such as @daily, read in spec.sleep.timeZone.")
    String schedule,

    @Required
    @Size(min = 2, max = 16)
    @JsonPropertyDescription("How long each window lasts (10s-168h, e.g. 10h), in elapsed time: a window across a"
        + " daylight-saving change ends an hour earlier or later on the wall clock.")
    String duration) {
}
