package dev.orch.operator.agent;

import io.fabric8.kubernetes.api.model.ObjectMeta;
import io.fabric8.kubernetes.api.model.PersistentVolumeClaim;
import io.fabric8.kubernetes.api.model.PersistentVolumeClaimBuilder;
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
  }
}
