package dev.orch.operator.sleep;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonProperty;
import com.fasterxml.jackson.annotation.JsonPropertyDescription;
import io.fabric8.generator.annotation.Size;

/**
 * {@code status.sleep}: whether the agent sleeps, since when and why, the last activity its gateways reported
 * (kept here so that idleness survives operator and gateway restarts), and the sleep/wake annotation values
 * already acted on.
 */
@JsonInclude(JsonInclude.Include.NON_NULL)
public record SleepStatus(
    @JsonPropertyDescription("awake, asleep (scaled to zero) or waking (scaled up, waiting for a ready pod).")
    Phase phase,

    @JsonPropertyDescription("When the current phase began (RFC 3339).")
    String since,

    @Size(max = 256)
    @JsonPropertyDescription("Why it went to sleep or woke up: idle for N, a request, by hand.")
    String reason,

    @JsonPropertyDescription("The last request (or gateway start, or wake) any of its gateways reported (RFC 3339).")
    String lastActivity,

    @Size(max = 256)
    @JsonPropertyDescription("The orch.dev/sleep value acted on last.")
    String handledSleep,

    @Size(max = 256)
    @JsonPropertyDescription("The orch.dev/wake value acted on last.")
    String handledWake,

    @Size(max = 256)
    @JsonPropertyDescription("The orch.dev/wake-on-request value acted on last.")
    String handledWakeOnRequest) {

  public enum Phase {
    @JsonProperty("awake") AWAKE,
    @JsonProperty("asleep") ASLEEP,
    @JsonProperty("waking") WAKING
  }

  /** Scaled to zero; a waking service is scaled up already. */
  public boolean scaledToZero() {
    return phase == Phase.ASLEEP;
  }

  /** Requests go to the activator while asleep and until a pod is ready again. */
  public boolean routedToActivator() {
    return phase == Phase.ASLEEP || phase == Phase.WAKING;
  }
}
