package dev.orch.localcluster;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Comparator;
import java.util.Map;
import java.util.UUID;
import java.util.stream.Stream;

import io.fabric8.kubernetes.api.model.PersistentVolumeBuilder;
import io.fabric8.kubernetes.api.model.Quantity;
import io.fabric8.kubernetes.api.model.storage.StorageClassBuilder;
import io.fabric8.kubernetes.client.KubernetesClient;

/**
 * PersistentVolumes for claims on the local node (an AgentService's {@code spec.dependencyCache}), as a local-volume
 * provisioner would make them: StorageClass {@value #STORAGE_CLASS} (no provisioner, bound when the first pod is
 * scheduled), each volume a directory of this host with node affinity to the local node. A released local volume is
 * not reused (its files stay behind), so each claim needs a volume of its own; the kubelet gives the directory to the
 * pod's fsGroup as it mounts it. Used by the node tests (one volume per claim they make) and by {@code make run}
 * (a few volumes, the class the cluster's default).
 */
public final class LocalVolumes {
  public static final String STORAGE_CLASS = "orch-local";

  private LocalVolumes() {
  }

  /** Applies the StorageClass; {@code clusterDefault} makes it the class of claims that name none. */
  public static void storageClass(KubernetesClient client, boolean clusterDefault) {
    client.storage().v1().storageClasses().resource(new StorageClassBuilder().withNewMetadata()
        .withName(STORAGE_CLASS)
        .withAnnotations(clusterDefault ? Map.of("storageclass.kubernetes.io/is-default-class", "true") : Map.of())
        .endMetadata().withProvisioner("kubernetes.io/no-provisioner")
        .withVolumeBindingMode("WaitForFirstConsumer").build()).serverSideApply();
  }

  /**
   * The class as the cluster's default and {@code count} volumes of {@code size} in {@code parent}, emptied first: for
   * a new cluster, whose earlier run's directories belonged to claims that are gone.
   */
  public static void asDefault(KubernetesClient client, Path parent, int count, String size) throws IOException {
    if (Files.exists(parent)) {
      try (Stream<Path> earlier = Files.walk(parent)) {
        for (Path path : earlier.sorted(Comparator.reverseOrder()).toList()) {
          Files.delete(path);
        }
      }
    }
    storageClass(client, true);
    for (int i = 0; i < count; i++) {
      volume(client, parent, size);
    }
  }

  /** Creates one volume of {@code size} in a new directory under {@code parent}; returns its name. */
  public static String volume(KubernetesClient client, Path parent, String size) throws IOException {
    String node = client.nodes().list().getItems().get(0).getMetadata().getLabels().get("kubernetes.io/hostname");
    String name = "local-" + UUID.randomUUID().toString().substring(0, 8);
    Path directory = Files.createDirectories(parent.resolve(name).toAbsolutePath());
    client.persistentVolumes().resource(new PersistentVolumeBuilder().withNewMetadata().withName(name).endMetadata()
        .withNewSpec().withStorageClassName(STORAGE_CLASS).withAccessModes("ReadWriteOnce")
        .withCapacity(Map.of("storage", new Quantity(size))).withPersistentVolumeReclaimPolicy("Retain")
        .withNewLocal().withPath(directory.toString()).endLocal()
        .withNewNodeAffinity().withNewRequired().addNewNodeSelectorTerm().addNewMatchExpression()
        .withKey("kubernetes.io/hostname").withOperator("In").withValues(node).endMatchExpression()
        .endNodeSelectorTerm().endRequired().endNodeAffinity()
        .endSpec().build()).create();
    return name;
  }
}
