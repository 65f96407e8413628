package dev.orch.operator.agent;

import java.util.Map;

import io.fabric8.kubernetes.api.model.IntOrString;
import io.fabric8.kubernetes.api.model.ObjectMeta;
import io.fabric8.kubernetes.api.model.PodTemplateSpec;
import io.fabric8.kubernetes.api.model.apps.Deployment;
import io.fabric8.kubernetes.api.model.apps.DeploymentBuilder;

/** The Deployment that keeps an agent's pods running, shared by AgentService and each Swarm replica. */
public final class AgentDeployment {
  private AgentDeployment() {
  }

  /**
   * @param replicas null leaves the count to an autoscaler
   */
  public static Deployment of(ObjectMeta metadata, Map<String, String> selector, PodTemplateSpec template, Integer replicas) {
    return new DeploymentBuilder()
        .withMetadata(metadata)
        .withNewSpec()
        .withReplicas(replicas)
        .withNewSelector().withMatchLabels(selector).endSelector()
        .withRevisionHistoryLimit(3)
        // One extra pod during a rollout and none taken away early: the old pod serves until the new one is ready.
        .withNewStrategy().withType("RollingUpdate").withNewRollingUpdate()
        .withMaxSurge(new IntOrString(1)).withMaxUnavailable(new IntOrString(0)).endRollingUpdate().endStrategy()
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
