package dev.orch.operator.swarm;

import java.util.ArrayList;
import java.util.List;

import com.fasterxml.jackson.annotation.JsonClassDescription;
import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonPropertyDescription;
import dev.orch.operator.core.crashloop.CrashLoopRecord;
import dev.orch.operator.core.status.AgentState;
import dev.orch.operator.core.status.OrchStatus;
import dev.orch.operator.sleep.SleepStatus;
import io.fabric8.generator.annotation.Size;

@JsonInclude(JsonInclude.Include.NON_NULL)
@JsonClassDescription("Ready and failed replica counts, each replica's state and crash counters, and Ready/Reconciling/Stalled"
    + " conditions for the generation in observedGeneration.")
public class SwarmStatus extends OrchStatus {

  @JsonPropertyDescription("Replicas the swarm should run.")
  private Integer replicas;

  @JsonPropertyDescription("Replicas whose Deployment is in place and that have not failed (running or starting);"
      + " deployed + failedCount = replicas once every Deployment exists.")
  private Integer deployed;

  @JsonPropertyDescription("Replicas that are running and ready.")
  private Integer ready;

  @JsonPropertyDescription("Number of replicas listed under failed.")
  private Integer failedCount;

  @Size(max = 100)
  @JsonPropertyDescription("Replicas that failed, each with its index and why; the others keep running.")
  private List<FailedReplica> failed = new ArrayList<>();

  @JsonPropertyDescription("The last restart request of every replica (annotation orch.dev/restartedAt) acted on.")
  private String lastRestartAt;

  @Size(max = 100)
  @JsonPropertyDescription("Every replica with its pod, state and restarts.")
  private List<Member> members = new ArrayList<>();

  @JsonPropertyDescription("Sleep and wake of all replicas together: awake, asleep or waking, since when and why.")
  private SleepStatus sleep;

  public record FailedReplica(
      @JsonPropertyDescription("Index of the replica (ORB_REPLICA_INDEX).") Integer replicaIndex,
      @Size(max = 128) @JsonPropertyDescription("Short machine-readable reason, e.g. CrashLoop or ImagePullFailed.") String error,
      @Size(max = 2048) @JsonPropertyDescription("What went wrong and what to do about it.") String message) {
  }

  @JsonInclude(JsonInclude.Include.NON_NULL)
  public record Member(
      @JsonPropertyDescription("Index of the replica (ORB_REPLICA_INDEX).") Integer replicaIndex,
      @Size(max = 253) @JsonPropertyDescription("Name of the replica's pod.") String pod,
      @JsonPropertyDescription("provisioning, running, sleeping, paused, crash-loop or failed.") AgentState state,
      @JsonPropertyDescription("Restarts of the replica's agent, kept when its pod is replaced.") Long restarts,
      @JsonPropertyDescription("Restarts that failed again in a row.") Integer consecutiveRestartFailures,
      @Size(max = 4096) @JsonPropertyDescription("The replica's last failure.") String lastError,
      @JsonPropertyDescription("Crash-loop bookkeeping of this replica.") CrashLoopRecord crashLoop,
      @JsonPropertyDescription("The last restart request of this replica alone (annotation"
          + " orch.dev/restartedAt.INDEX) acted on.") String lastRestartAt,
      @JsonPropertyDescription("True while the replica still runs the previous template, waiting for its turn in a"
          + " rolling update (rollout.maxUnavailable).") Boolean outdated) {
  }

  public Integer getReplicas() {
    return replicas;
  }

  public void setReplicas(Integer replicas) {
    this.replicas = replicas;
  }

  public Integer getDeployed() {
    return deployed;
  }

  public void setDeployed(Integer deployed) {
    this.deployed = deployed;
  }

  public Integer getReady() {
    return ready;
  }

  public void setReady(Integer ready) {
    this.ready = ready;
  }

  public Integer getFailedCount() {
    return failedCount;
  }

  public void setFailedCount(Integer failedCount) {
    this.failedCount = failedCount;
  }

  public List<FailedReplica> getFailed() {
    return failed;
  }

  public void setFailed(List<FailedReplica> failed) {
    this.failed = failed;
  }

  public String getLastRestartAt() {
    return lastRestartAt;
  }

  public void setLastRestartAt(String lastRestartAt) {
    this.lastRestartAt = lastRestartAt;
  }

  public SleepStatus getSleep() {
    return sleep;
  }

  public void setSleep(SleepStatus sleep) {
    this.sleep = sleep;
  }

  public List<Member> getMembers() {
    return members;
  }

  public void setMembers(List<Member> members) {
    this.members = members;
  }
}
