package dev.orch.operator.agent;

import java.util.Map;

import io.fabric8.kubernetes.api.model.IntOrString;
import io.fabric8.kubernetes.api.model.ObjectMeta;
import io.fabric8.kubernetes.api.model.PodTemplateSpec;
import io.fabric8.kubernetes.api.model.apps.Deployment;
import io.fabric8.kubernetes.api.model.apps.DeploymentBuilder;
import io.fabric8.kubernetes.api.model.apps.DeploymentStrategy;
import io.fabric8.kubernetes.api.model.apps.DeploymentStrategyBuilder;

/** The Deployment that keeps an agent's pods running, shared by AgentService and each Swarm replica. */
public final class AgentDeployment {
  private AgentDeployment() {
  }

  /** How an update replaces the running pods. */
  public enum Rollout {
    /**
     * One extra pod during a rollout and none taken away early: the old pod serves until the new one is ready.
     * For HTTP services, which must not drop requests.
     */
    ROLLING,
    /**
     * Every old pod stops before a new one starts: never two versions, never two pods of a singleton at once. For
     * agents that hold an outbound connection (a bot logged in twice answers twice) or work a shard of their own.
     */
    RECREATE
  }

  /**
   * @param replicas null leaves the count to an autoscaler
   */
  public static Deployment of(ObjectMeta metadata, Map<String, String> selector, PodTemplateSpec template, Integer replicas,
      Rollout rollout) {
    DeploymentStrategy strategy = rollout == Rollout.RECREATE
        ? new DeploymentStrategyBuilder().withType("Recreate").build()
        : new DeploymentStrategyBuilder().withType("RollingUpdate").withNewRollingUpdate()
            .withMaxSurge(new IntOrString(1)).withMaxUnavailable(new IntOrString(0)).endRollingUpdate().build();
    return new DeploymentBuilder()
        .withMetadata(metadata)
        .withNewSpec()
        .withReplicas(replicas)
        .withNewSelector().withMatchLabels(selector).endSelector()
        .withRevisionHistoryLimit(3)
        .withStrategy(strategy)
        .withTemplate(template)
        .endSpec()
        .build();
  }

  /** Pods that passed their readiness check, as the Deployment controller last counted them. */
  public static int readyReplicas(Deployment deployment) {
    return deployment == null || deployment.getStatus() == null || deployment.getStatus().getReadyReplicas() == null
        ? 0 : deployment.getStatus().getReadyReplicas();
  }
}
