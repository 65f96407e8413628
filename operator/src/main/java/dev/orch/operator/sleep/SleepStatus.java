package dev.orch.operator.sleep;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonProperty;
import com.fasterxml.jackson.annotation.JsonPropertyDescription;
import io.fabric8.generator.annotation.Size;

/**
 * {@code status.sleep}: whether the agent sleeps, since when and why, the last activity its gateways reported
 * (kept here so that idleness survives operator and gateway restarts), and the sleep/wake annotation values
 * already acted on, and until when a keep-awake window or request keeps it awake.
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
    String handledWakeOnRequest,

    @JsonPropertyDescription("Kept awake until then (RFC 3339) by a keepAwake window or orch.dev/keep-awake: it is not"
        + " put to sleep before (absent: not kept awake).")
    String keptAwakeUntil,

    @Size(max = 256)
    @JsonPropertyDescription("What keeps it awake until keptAwakeUntil: a keepAwake window or orch.dev/keep-awake.")
    String keptAwakeBy,

    @JsonPropertyDescription("The end (RFC 3339) of the latest orch.dev/keep-awake request, while it lasts.")
    String awakeByHandUntil,

    @Size(max = 256)
    @JsonPropertyDescription("The orch.dev/keep-awake value acted on last.")
    String handledKeepAwake) {

  /** A status that no keep-awake window or request has touched. */
  public SleepStatus(Phase phase, String since, String reason, String lastActivity, String handledSleep,
      String handledWake, String handledWakeOnRequest) {
    this(phase, since, reason, lastActivity, handledSleep, handledWake, handledWakeOnRequest, null, null, null, null);
  }

  public enum Phase {
    @JsonProperty("awake") AWAKE,
    @JsonProperty("asleep") ASLEEP,
    @JsonProperty("waking") WAKING
  }

  /**
   * How long a service that fell asleep keeps its pods after its Service was switched to the activator, so that
   * kube-proxy sends new requests to the activator before the pods stop (the activator forwards to them
   * meanwhile): no request meets a pod that is shutting down.
   */
  public static final java.time.Duration SWITCH_GRACE = java.time.Duration.ofSeconds(5);

  /** Scaled to zero: asleep for longer than {@link #SWITCH_GRACE}; a waking service is scaled up already. */
  public boolean scaledToZero(java.time.Instant now) {
    return phase == Phase.ASLEEP && !now.isBefore(java.time.Instant.parse(since).plus(SWITCH_GRACE));
  }

  /** Requests go to the activator while asleep and until a pod is ready again. */
  public boolean routedToActivator() {
    return phase == Phase.ASLEEP || phase == Phase.WAKING;
  }
}
