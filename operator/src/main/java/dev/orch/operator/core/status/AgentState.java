package dev.orch.operator.core.status;

import com.fasterxml.jackson.annotation.JsonProperty;

/** Lifecycle state of a running agent, shared by an AgentService and each Swarm member. */
public enum AgentState {
  @JsonProperty("provisioning") PROVISIONING,
  @JsonProperty("running") RUNNING,
  @JsonProperty("paused") PAUSED,
  @JsonProperty("crash-loop") CRASH_LOOP,
  @JsonProperty("failed") FAILED,
  /** Scaled to zero by sleep/wake; a request or a wake by hand brings it back. */
  @JsonProperty("sleeping") SLEEPING
}
