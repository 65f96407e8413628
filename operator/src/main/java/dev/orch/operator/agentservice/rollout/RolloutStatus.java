package dev.orch.operator.agentservice.rollout;

import java.util.List;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonPropertyDescription;
import dev.orch.operator.core.crashloop.CrashLoopRecord;
import io.fabric8.generator.annotation.Size;

/**
 * Where a service's rollout stands: the stable and canary revisions, the current step and weight, the revisions
 * deployed so far, and the commands (annotations) already acted on, so each is acted on once.
 */
@JsonInclude(JsonInclude.Include.NON_NULL)
public record RolloutStatus(
    @JsonPropertyDescription("Canary only: Progressing, Paused (waiting for promotion), Promoted (the stable pods are"
        + " being replaced by the canary's version), Aborted (all traffic on stable; the canary's pods stay, out of the Service, for their logs until the next change)"
        + " or Healthy (no canary).")
    Phase phase,

    @JsonPropertyDescription("The current step, counted from 1; steps + 1 once every step is done.")
    Integer step,

    @JsonPropertyDescription("How many steps the rollout has.")
    Integer steps,

    @JsonPropertyDescription("The canary's traffic weight (percent) of the current step.")
    Integer weight,

    @JsonPropertyDescription("Canary pods wanted now; with stableReplicas, the actual traffic ratio behind the Service. Once"
        + " aborted: the canary's pods kept for their logs, which get no traffic.")
    Integer canaryReplicas,

    @JsonPropertyDescription("Stable pods wanted now.")
    Integer stableReplicas,

    @JsonPropertyDescription("The revision serving (the stable Deployment's pod template).")
    Revision stable,

    @JsonPropertyDescription("The revision being tried as a canary, while there is one.")
    Revision canary,

    @Size(max = 64)
    @JsonPropertyDescription("When the current canary started (RFC 3339).")
    String startedAt,

    @Size(max = 64)
    @JsonPropertyDescription("When the current step started (RFC 3339).")
    String stepStartedAt,

    @Size(max = 64)
    @JsonPropertyDescription("Since when the canary has had fewer ready pods than wanted (RFC 3339).")
    String canaryUnreadySince,

    @JsonPropertyDescription("Consecutive failed restarts of the canary's agent; maxRestartFailures aborts it.")
    Integer canaryRestartFailures,

    @JsonPropertyDescription("The canary's crash-loop bookkeeping (restarts counted per pod, the abort alert).")
    CrashLoopRecord canaryCrashLoop,

    @Size(max = 2048)
    @JsonPropertyDescription("What the last transition was, and why.")
    String message,

    @Size(max = 10)
    @JsonPropertyDescription("Revisions deployed as stable, oldest first (at most 10).")
    List<Revision> revisions,

    @JsonPropertyDescription("The orch.dev/promote, orch.dev/abort and orch.dev/rollback values already acted on.")
    Commands handled,

    @JsonPropertyDescription("Set by orch.dev/rollback: the revision the service is pinned to until its spec changes.")
    Pin pinned) {

  public enum Phase { Progressing, Paused, Promoted, Aborted, Healthy }

  @JsonInclude(JsonInclude.Include.NON_NULL)
  public record Revision(
      @Size(max = 64) @JsonPropertyDescription("Hash of the pod template.") String templateHash,
      @Size(max = 253) @JsonPropertyDescription("The agent (org/name@version) the template runs.") String agent,
      @Size(max = 64) @JsonPropertyDescription("When it was first deployed (RFC 3339).") String deployedAt) {
  }

  @JsonInclude(JsonInclude.Include.NON_NULL)
  public record Commands(
      @Size(max = 256) String promote,
      @Size(max = 256) String abort,
      @Size(max = 256) String rollback) {
  }

  @JsonInclude(JsonInclude.Include.NON_NULL)
  public record Pin(
      @JsonPropertyDescription("The revision rolled back to.") Revision revision,
      @JsonPropertyDescription("The spec generation the rollback was asked at; a newer one ends the pin.") Long generation) {
  }

  static RolloutStatus none() {
    return new RolloutStatus(null, null, null, null, null, null, null, null, null, null, null, null, null, null, null,
        null, null);
  }
}
