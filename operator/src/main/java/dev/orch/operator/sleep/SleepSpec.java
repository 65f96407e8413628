package dev.orch.operator.sleep;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonPropertyDescription;
import io.fabric8.generator.annotation.Size;
import io.fabric8.generator.annotation.ValidationRule;

/**
 * {@code spec.sleep}: when an agent may be scaled to zero and woken again. Present without {@code afterIdle},
 * it sleeps and wakes only by hand (the {@link SleepRequests} annotations).
 */
@JsonInclude(JsonInclude.Include.NON_NULL)
@ValidationRule(
    value = "!has(self.afterIdle) || self.afterIdle.matches('^([0-9]+h)?([0-9]+m)?([0-9]+s)?$') && self.afterIdle != ''"
        + " && duration(self.afterIdle) >= duration('10s')"
        + " && duration(self.afterIdle) <= duration('168h')",
    fieldPath = ".afterIdle",
    message = "sleep.afterIdle must be a duration between 10s and 168h written with h, m and s, e.g. 15m or 1h30m")
public record SleepSpec(
    @Size(max = 16)
    @JsonPropertyDescription("Scale to zero after the agent's gateway has seen no request for this long (10s-168h, e.g."
        + " 15m); the next request to its Service or Ingress wakes it. In-flight requests and open WebSockets keep it"
        + " awake. Omitted: it sleeps and wakes only by hand (annotations orch.dev/sleep and orch.dev/wake).")
    String afterIdle) {

  public static SleepSpec afterIdle(String duration) {
    return new SleepSpec(duration);
  }

  public static SleepSpec manual() {
    return new SleepSpec(null);
  }
}
