package dev.orch.operator.testing;

import java.time.Instant;
import java.util.List;
import java.util.Map;

import io.fabric8.kubernetes.api.model.ContainerStatusBuilder;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.PodConditionBuilder;
import io.fabric8.kubernetes.api.model.PodStatusBuilder;
import io.fabric8.kubernetes.client.KubernetesClient;

/** No kubelet runs in tests; this plays its part by writing pod status the way a kubelet would. */
public final class Kubelet {
  private Kubelet() {
  }

  /** Marks every pod matching the labels Running and Ready. Returns how many it marked. */
  public static int markReady(KubernetesClient client, Map<String, String> labels) {
    List<Pod> pods = client.pods().withLabels(labels).list().getItems();
    String now = Instant.now().toString();
    for (Pod pod : pods) {
      pod.setStatus(new PodStatusBuilder()
          .withPhase("Running")
          .withStartTime(now)
          .withConditions(
              new PodConditionBuilder().withType("Ready").withStatus("True").withLastTransitionTime(now).build(),
              new PodConditionBuilder().withType("ContainersReady").withStatus("True").withLastTransitionTime(now).build())
          .withContainerStatuses(pod.getSpec().getContainers().stream().map(c -> new ContainerStatusBuilder()
              .withName(c.getName()).withImage(c.getImage()).withReady(true).withRestartCount(0)
              .withNewState().withNewRunning().withStartedAt(now).endRunning().endState().build()).toList())
          .build());
      client.pods().resource(pod).updateStatus();
    }
    return pods.size();
  }
}
