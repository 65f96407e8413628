package dev.orch.operator.sleep;

import java.util.List;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonPropertyDescription;
import io.fabric8.generator.annotation.Size;
import io.fabric8.generator.annotation.ValidationRule;

/**
 * {@code spec.sleep}: when an agent may be scaled to zero and woken again. Present without {@code afterIdle},
 * it sleeps and wakes only by hand (the {@link SleepRequests} annotations). {@code keepAwake} windows keep it
 * awake on a schedule ({@link KeepAwake}).
 */
@JsonInclude(JsonInclude.Include.NON_NULL)
@ValidationRule(
    value = "!has(self.afterIdle) || self.afterIdle.matches('^([0-9]+h)?([0-9]+m)?([0-9]+s)?$') && self.afterIdle != ''"
        + " && duration(self.afterIdle) >= duration('10s')"
        + " && duration(self.afterIdle) <= duration('168h')",
    fieldPath = ".afterIdle",
    message = "sleep.afterIdle must be a duration between 10s and 168h written with h, m and s, e.g. 15m or 1h30m")
@ValidationRule(
    value = "!has(self.timeZone) || has(self.keepAwake)",
    fieldPath = ".timeZone",
    message = "sleep.timeZone is the zone the keepAwake schedules are read in; add keepAwake windows or remove timeZone")
@ValidationRule(
    value = "!has(self.timeZone) || self.timeZone.matches('^[A-Za-z][A-Za-z0-9_+-]*(/[A-Za-z0-9_+-]+)*$')",
    fieldPath = ".timeZone",
    message = "sleep.timeZone must be an IANA time zone name, e.g. Europe/Berlin, America/New_York or UTC")
public record SleepSpec(
    @Size(max = 16)
    @JsonPropertyDescription("Scale to zero after the agent's gateway has seen no request for this long (10s-168h, e.g."
        + " 15m); the next request to its Service or Ingress wakes it. In-flight requests and open WebSockets keep it"
        + " awake. Omitted: it sleeps and wakes only by hand (annotations orch.dev/sleep and orch.dev/wake).")
    String afterIdle,

    @Size(min = 1, max = 10)
    @JsonPropertyDescription("Windows that keep it awake, e.g. [{schedule: \"0 8 * * 1-5\", duration: 10h}]: a sleeping"
        + " resource is woken when one starts, idleness does not put it to sleep and orch.dev/sleep is refused while one"
        + " lasts (status.sleep.keptAwakeUntil). At a window's end afterIdle takes over; without afterIdle it goes back"
        + " to sleep.")
    List<KeepAwakeWindow> keepAwake,

    @Size(min = 1, max = 64)
    @JsonPropertyDescription("IANA time zone the keepAwake schedules are read in, e.g. Europe/Berlin. Defaults to UTC.")
    String timeZone) {

  public static SleepSpec afterIdle(String duration) {
    return new SleepSpec(duration, null, null);
  }

  public static SleepSpec manual() {
    return new SleepSpec(null, null, null);
  }

  /** The same spec with keep-awake windows read in {@code timeZone} (null: UTC). */
  public SleepSpec keptAwake(String timeZone, KeepAwakeWindow... windows) {
    return new SleepSpec(afterIdle, List.of(windows), timeZone);
  }

  /** The windows, none when keepAwake is absent. */
  public List<KeepAwakeWindow> windows() {
    return keepAwake == null ? List.of() : keepAwake;
  }
}
