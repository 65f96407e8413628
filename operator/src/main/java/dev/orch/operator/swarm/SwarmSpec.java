package dev.orch.operator.swarm;

import com.fasterxml.jackson.annotation.JsonClassDescription;
import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonPropertyDescription;
import dev.orch.operator.agent.AgentTemplate;
import dev.orch.operator.sleep.SleepSpec;
import io.fabric8.generator.annotation.Default;
import io.fabric8.generator.annotation.Max;
import io.fabric8.generator.annotation.Min;
import io.fabric8.generator.annotation.Required;
import io.fabric8.generator.annotation.ValidationRule;

@JsonInclude(JsonInclude.Include.NON_NULL)
@ValidationRule(
    value = "(!has(self.env) || self.env.all(e, !e.name.startsWith('ORB_REPLICA_')))"
        + " && (!has(self.secrets) || self.secrets.all(n, !n.startsWith('ORB_REPLICA_')))"
        + " && (!has(self.requiredSecrets) || self.requiredSecrets.all(n, !n.startsWith('ORB_REPLICA_')))",
    message = "ORB_REPLICA_INDEX and ORB_REPLICA_COUNT are set by the swarm for each replica; remove ORB_REPLICA_*"
        + " names from env, secrets and requiredSecrets")
@ValidationRule(
    value = "!has(self.maxFailedReplicas) || self.maxFailedReplicas < self.replicas",
    // A fixed message: the API server estimates string(int) in a messageExpression as unbounded and refuses the CRD.
    message = "maxFailedReplicas must be less than replicas: a swarm whose replicas may all fail would count as Ready"
        + " with none running; lower maxFailedReplicas or raise replicas",
    reason = "FieldValueInvalid",
    fieldPath = ".maxFailedReplicas")
@ValidationRule(
    value = "!has(self.sleep) || !has(self.sleep.afterIdle)",
    fieldPath = ".sleep.afterIdle",
    message = "a Swarm has no Service, so no request could wake it after afterIdle; use spec.sleep: {} and put all"
        + " replicas to sleep and wake them by hand (annotations orch.dev/sleep and orch.dev/wake)")
@JsonClassDescription("What runs (agent, bundle, command, args, env, secrets, resources, placement), how many replicas, the"
    + " crash-loop threshold per replica, how many failed replicas are tolerated, and pause.")
public class SwarmSpec extends AgentTemplate {

  @Required
  @Min(1)
  @Max(100)
  @JsonPropertyDescription("Number of replicas (1-100). Each is told ORB_REPLICA_INDEX (0..replicas-1) and"
      + " ORB_REPLICA_COUNT; indexes stay stable when this changes.")
  private Integer replicas;

  @Min(1)
  @Max(50)
  @Default("5")
  @JsonPropertyDescription("Consecutive failed restarts after which a replica is paused on its own (1-50); the others keep running.")
  private Integer maxRestartFailures = 5;

  @Min(0)
  @Max(99)
  @Default("0")
  @JsonPropertyDescription("How many failed replicas the swarm tolerates (0-99, less than replicas): up to this many it"
      + " stays Ready, with the failed ones named in the Ready message and status.failed; beyond it, it is Stalled.")
  private Integer maxFailedReplicas = 0;

  @Default("false")
  @JsonPropertyDescription("Stop every replica and keep the configuration; set back to false to resume.")
  private Boolean paused = false;

  @JsonPropertyDescription("How a new version reaches the replicas. Omitted: every replica at once.")
  private Rollout rollout;

  public record Rollout(
      @io.fabric8.generator.annotation.Required
      @Min(1)
      @Max(100)
      @JsonPropertyDescription("At most this many running replicas are replaced at a time; the next ones wait until"
          + " the updated ones are ready. Replicas that are not ready, paused or crash-looped are replaced at once.")
      Integer maxUnavailable) {
  }

  public Rollout getRollout() {
    return rollout;
  }

  public void setRollout(Rollout rollout) {
    this.rollout = rollout;
  }

  @JsonPropertyDescription("Sleep and wake of all replicas together: spec.sleep: {} lets the annotations"
      + " orch.dev/sleep and orch.dev/wake scale every replica to zero and back; keepAwake windows (and"
      + " orch.dev/keep-awake) wake them and put them back to sleep when they end (afterIdle is refused: a Swarm has no"
      + " Service a request could wake it through).")
  private SleepSpec sleep;

  public SleepSpec getSleep() {
    return sleep;
  }

  public void setSleep(SleepSpec sleep) {
    this.sleep = sleep;
  }

  public Integer getReplicas() {
    return replicas;
  }

  public void setReplicas(Integer replicas) {
    this.replicas = replicas;
  }

  public Integer getMaxRestartFailures() {
    return maxRestartFailures;
  }

  public void setMaxRestartFailures(Integer maxRestartFailures) {
    this.maxRestartFailures = maxRestartFailures;
  }

  public Integer getMaxFailedReplicas() {
    return maxFailedReplicas;
  }

  public void setMaxFailedReplicas(Integer maxFailedReplicas) {
    this.maxFailedReplicas = maxFailedReplicas;
  }

  public Boolean getPaused() {
    return paused;
  }

  public void setPaused(Boolean paused) {
    this.paused = paused;
  }
}
