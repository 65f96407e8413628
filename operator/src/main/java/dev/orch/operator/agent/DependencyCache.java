package dev.orch.operator.agent;

import java.util.ArrayList;
import java.util.List;

import io.fabric8.kubernetes.api.model.Container;
import io.fabric8.kubernetes.api.model.ObjectMeta;
import io.fabric8.kubernetes.api.model.PersistentVolumeClaim;
import io.fabric8.kubernetes.api.model.PersistentVolumeClaimBuilder;
import io.fabric8.kubernetes.api.model.PodSpec;
import io.fabric8.kubernetes.api.model.PodTemplateSpec;
import io.fabric8.kubernetes.api.model.Quantity;
import io.fabric8.kubernetes.api.model.Volume;
import io.fabric8.kubernetes.api.model.VolumeBuilder;

/**
 * The opt-in dependency cache: the pod's {@code workspace} volume becomes a PersistentVolumeClaim owned by the
 * service, so what {@code prepare} installed (venv, node_modules) and the marker of what it prepared outlive
 * the pod. A woken or restarted pod then runs {@code orch-pod prepare}'s fast path instead of the JVM and pip.
 *
 * <p>One claim holds one workspace, which one pod at a time may prepare into and run from: the API server
 * refuses the cache with more than one instance or a rolling or canary rollout (which runs an old and a new pod
 * side by side), so the Deployment always recreates. ReadWriteOnce is therefore enough, and a claim bound on one
 * node keeps the service's pods on that node (the scheduler follows the volume's node affinity, for local volumes).
 * No hostPath: the pod stays within the "restricted" Pod Security Standard.
 *
 * <p>Such a pod has no {@code prepare} init container: the agent container runs prepare before the agent (see
 * {@link #prepareInAgentContainer}).
 */
public final class DependencyCache {
  private DependencyCache() {
  }

  /** The claim, named and labelled by the caller like the service's other objects. */
  public static PersistentVolumeClaim claim(ObjectMeta metadata, DependencyCacheSpec spec) {
    return new PersistentVolumeClaimBuilder().withMetadata(metadata).withNewSpec()
        .withAccessModes("ReadWriteOnce")
        .withStorageClassName(spec.storageClassName())
        .withNewResources().addToRequests("storage", new Quantity(spec.size())).endResources()
        .endSpec().build();
  }

  /**
   * Puts the workspace on the claim. {@code OnRootMismatch}: the kubelet gives the volume to the pod's fsGroup
   * once (the first pod), instead of walking every file of a venv on every start, which would cost the wake
   * what the cache saves.
   */
  public static void mountInto(PodTemplateSpec template, String claimName) {
    Volume workspace = new VolumeBuilder().withName(AgentPod.WORKSPACE_VOLUME).withNewPersistentVolumeClaim()
        .withClaimName(claimName).endPersistentVolumeClaim().build();
    template.getSpec().getVolumes().replaceAll(v -> v.getName().equals(AgentPod.WORKSPACE_VOLUME) ? workspace : v);
    template.getSpec().getSecurityContext().setFsGroupChangePolicy("OnRootMismatch");
    prepareInAgentContainer(template.getSpec());
  }

  /**
   * Drops the {@code prepare} init container and has the agent container's supervisor run prepare first
   * ({@code orch-pod supervise --prepare-with orch-prepare}). A woken pod mostly finds its workspace current, and
   * prepare's fast path takes milliseconds; as an init container it would cost a container start plus the wait until
   * the kubelet notices that it exited (its PLEG relist, up to a second) before the agent container starts. The two
   * containers have the same image, environment, mounts and resources, so nothing else changes: a JVM prepare runs
   * within the agent's memory limit before the agent starts, as it did in the init container, and a prepare that fails
   * is the agent container's exit (a failed run for crash-loop counting) whose termination message starts with
   * "prepare exited with code N". Image bundles have no prepare.
   */
  static void prepareInAgentContainer(PodSpec pod) {
    boolean hadPrepare = pod.getInitContainers().removeIf(c -> c.getName().equals(AgentPod.PREPARE_CONTAINER));
    if (!hadPrepare) {
      return;
    }
    Container agent = pod.getContainers().stream().filter(c -> c.getName().equals(AgentPod.AGENT_CONTAINER))
        .findFirst().orElseThrow();
    List<String> command = new ArrayList<>(AgentPod.SUPERVISOR_COMMAND);
    command.add(AgentPod.SUPERVISOR_PREPARE_OPTION);
    command.addAll(AgentPod.PREPARE_COMMAND);
    agent.setCommand(command);
  }
}
