package dev.orch.operator.swarm;

import com.fasterxml.jackson.annotation.JsonClassDescription;
import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonPropertyDescription;
import dev.orch.operator.agent.AgentTemplate;
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
@JsonClassDescription("What runs (agent, bundle, command, args, env, secrets, resources, placement), how many replicas, the"
    + " crash-loop threshold per replica and pause.")
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

  @Default("false")
  @JsonPropertyDescription("Stop every replica and keep the configuration; set back to false to resume.")
  private Boolean paused = false;

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

  public Boolean getPaused() {
    return paused;
  }

  public void setPaused(Boolean paused) {
    this.paused = paused;
  }
}
