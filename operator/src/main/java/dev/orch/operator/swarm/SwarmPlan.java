package dev.orch.operator.swarm;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.OptionalInt;
import java.util.Set;

import dev.orch.operator.agent.AgentDeployment;
import dev.orch.operator.agent.AgentPod;
import dev.orch.operator.core.MetadataKeys;
import dev.orch.operator.core.config.OperatorSettings;
import dev.orch.operator.core.reconcile.Labels;
import dev.orch.operator.core.reconcile.OwnedMetadata;
import dev.orch.operator.core.reconcile.Plan;
import io.fabric8.kubernetes.api.model.EnvVarBuilder;
import io.fabric8.kubernetes.api.model.apps.Deployment;

/**
 * A Swarm's replicas as one single-pod Deployment each, named {@code <swarm>-<index>}.
 *
 * <p>Why not one StatefulSet with the pod-index label: a StatefulSet can only remove its highest ordinals, so
 * one crash-looping replica could not be paused while the others run, and a replica's failure would hold up
 * the rollout of all the others. With one Deployment per replica each replica has its own lifecycle and
 * status, indexes stay stable when {@code replicas} changes (scaling down removes the highest indexes, scaling
 * up adds new ones), and owner references make deleting the Swarm tear down every member.
 */
public final class SwarmPlan {

  private SwarmPlan() {
  }

  /**
   * @param bundleAnnotations the bundle's digest, so that an edit of its files rolls fresh pods
   * @param pausedReplicas indexes the crash-loop tracker paused; they keep their Deployment at zero pods
   */
  public static Plan of(Swarm swarm, List<String> secretNames, Map<String, String> bundleAnnotations,
      Set<Integer> pausedReplicas, OperatorSettings settings) {
    Map<String, Deployment> members = new LinkedHashMap<>();
    for (int index = 0; index < swarm.getSpec().getReplicas(); index++) {
      members.put(Integer.toString(index), member(swarm, index, secretNames, bundleAnnotations, pausedReplicas.contains(index),
          settings));
    }
    return new Plan().withAll(Deployment.class, members);
  }

  static String memberName(Swarm swarm, int index) {
    return swarm.getMetadata().getName() + "-" + index;
  }

  static Map<String, String> memberSelector(Swarm swarm, int index) {
    Map<String, String> selector = Labels.selector(swarm);
    selector.put(MetadataKeys.REPLICA_INDEX, Integer.toString(index));
    return selector;
  }

  private static Deployment member(Swarm swarm, int index, List<String> secretNames, Map<String, String> bundleAnnotations,
      boolean crashLoopPaused, OperatorSettings settings) {
    SwarmSpec spec = swarm.getSpec();
    Map<String, String> labels = Labels.of(swarm, "agent");
    labels.put(MetadataKeys.REPLICA_INDEX, Integer.toString(index));
    var workload = new AgentPod.Workload(labels, AgentPod.rollingAnnotations(ReplicaRestart.podAnnotations(swarm, index),
        bundleAnnotations), OptionalInt.of(AgentPod.DEFAULT_HTTP_PORT), true, "Always", List.of(
        new EnvVarBuilder().withName("ORB_REPLICA_INDEX").withValue(Integer.toString(index)).build(),
        new EnvVarBuilder().withName("ORB_REPLICA_COUNT").withValue(Integer.toString(spec.getReplicas())).build()));
    boolean stopped = crashLoopPaused || Boolean.TRUE.equals(spec.getPaused());
    return AgentDeployment.of(
        OwnedMetadata.named(swarm, memberName(swarm, index), labels),
        memberSelector(swarm, index), AgentPod.template(spec, secretNames, workload, settings), stopped ? 0 : 1,
        // Each index is a singleton: two pods with one ORB_REPLICA_INDEX would work the same shard twice.
        AgentDeployment.Rollout.RECREATE);
  }
}
