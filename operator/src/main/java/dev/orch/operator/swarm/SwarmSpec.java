package dev.orch.operator.swarm;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonPropertyDescription;
import dev.orch.operator.agent.AgentTemplate;
import io.fabric8.generator.annotation.Default;
import io.fabric8.generator.annotation.Max;
import io.fabric8.generator.annotation.Min;
import io.fabric8.generator.annotation.Required;

@JsonInclude(JsonInclude.Include.NON_NULL)
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
