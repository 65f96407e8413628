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

  /**
   * Records that the pod's agent container has crashed {@code restarts} times so far, the last time with the
   * given exit code and termination message, and is now in CrashLoopBackOff.
   */
  public static void crashed(KubernetesClient client, Pod pod, int restarts, int exitCode, String message) {
    String now = Instant.now().toString();
    pod.setStatus(new PodStatusBuilder().withPhase("Running").withStartTime(now)
        .withConditions(new PodConditionBuilder().withType("Ready").withStatus("False").withLastTransitionTime(now).build())
        .withContainerStatuses(new ContainerStatusBuilder().withName("agent").withImage("runner").withReady(false)
            .withRestartCount(restarts)
            .withNewState().withNewWaiting().withReason("CrashLoopBackOff").endWaiting().endState()
            .withNewLastState().withNewTerminated().withExitCode(exitCode).withReason("Error").withMessage(message)
            .withStartedAt(now).withFinishedAt(now).endTerminated().endLastState()
            .build())
        .build());
    client.pods().resource(pod).updateStatus();
  }

  /** Records that the pod's agent container has been running since {@code startedAt} after {@code restarts} restarts. */
  public static void runningSince(KubernetesClient client, Pod pod, int restarts, Instant startedAt) {
    String now = Instant.now().toString();
    pod.setStatus(new PodStatusBuilder().withPhase("Running").withStartTime(now)
        .withConditions(new PodConditionBuilder().withType("Ready").withStatus("True").withLastTransitionTime(now).build())
        .withContainerStatuses(new ContainerStatusBuilder().withName("agent").withImage("runner").withReady(true)
            .withRestartCount(restarts)
            .withNewState().withNewRunning().withStartedAt(startedAt.toString()).endRunning().endState()
            .build())
        .build());
    client.pods().resource(pod).updateStatus();
  }

  /** Records that a run's pod ended: its agent container exited with {@code exitCode}, leaving {@code message}. */
  public static void finished(KubernetesClient client, Pod pod, int exitCode, String message) {
    String now = Instant.now().toString();
    pod.setStatus(new PodStatusBuilder().withPhase(exitCode == 0 ? "Succeeded" : "Failed").withStartTime(now)
        .withConditions(new PodConditionBuilder().withType("Ready").withStatus("False").withLastTransitionTime(now).build())
        .withContainerStatuses(new ContainerStatusBuilder().withName("agent").withImage("runner").withReady(false)
            .withRestartCount(0)
            .withNewState().withNewTerminated().withExitCode(exitCode).withReason(exitCode == 0 ? "Completed" : "Error")
            .withMessage(message).withStartedAt(now).withFinishedAt(now).endTerminated().endState()
            .build())
        .build());
    client.pods().resource(pod).updateStatus();
  }

  /** Marks every pod matching the labels Running and Ready. Returns how many it marked. */
  public static int markReady(KubernetesClient client, Map<String, String> labels) {
    return markReady(client, labels, null);
  }

  /** Marks every pod matching the labels Running and Ready at {@code podIP}. Returns how many it marked. */
  public static int markReady(KubernetesClient client, Map<String, String> labels, String podIP) {
    List<Pod> pods = client.pods().withLabels(labels).list().getItems();
    String now = Instant.now().toString();
    for (Pod pod : pods) {
      pod.setStatus(new PodStatusBuilder()
          .withPhase("Running")
          .withPodIP(podIP)
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
