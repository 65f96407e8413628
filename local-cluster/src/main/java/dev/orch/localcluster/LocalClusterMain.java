package dev.orch.localcluster;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.Arrays;
import java.util.List;

import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientBuilder;

/**
 * {@code make run} without a cluster: starts the local control plane with a real node (falling back to the control
 * plane alone, and saying why, when the node cannot start on this machine), loads the images named in
 * {@code ORCH_NODE_IMAGES} into the node, installs the CRDs, gives the node {@value #VOLUMES} local volumes of
 * {@value #VOLUME_SIZE} (StorageClass {@value LocalVolumes#STORAGE_CLASS}, the default class, so that a
 * {@code spec.dependencyCache} claim binds), writes a kubeconfig for kubectl, then runs the command given as
 * arguments (the operator) against it until either is stopped.
 */
public final class LocalClusterMain {
  static final int VOLUMES = 4;
  static final String VOLUME_SIZE = "10Gi";
  private LocalClusterMain() {
  }

  public static void main(String[] args) throws IOException, InterruptedException {
    if (args.length == 0) {
      System.err.println("usage: LocalClusterMain <operator command...>");
      System.exit(2);
    }
    Path stateDir = KubeBinaries.repositoryRoot().resolve(".orch-local");
    Files.createDirectories(stateDir);
    ClusterConnection cluster = clusterWithNodeIfPossible(stateDir);
    String images = System.getenv().getOrDefault("ORCH_NODE_IMAGES", "");
    if (cluster.runsPods() && !images.isBlank()) {
      cluster.loadImages(List.of(images.trim().split("\\s+")));
    }
    cluster.ensureControllerManager();
    if (cluster.runsPods()) {
      localVolumes(cluster, stateDir.resolve("volumes"));
    }
    Path kubeconfig = stateDir.resolve("kubeconfig");
    // Written atomically: hack/run-operator.sh waits for this file to appear before it uses the cluster.
    Path partial = stateDir.resolve("kubeconfig.partial");
    Files.copy(cluster.kubeconfig(), partial, StandardCopyOption.REPLACE_EXISTING);
    Files.move(partial, kubeconfig, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
    System.out.println("orch-operator: local cluster ready: " + cluster.describe());
    ProcessBuilder operator = new ProcessBuilder(List.of(args)).inheritIO();
    operator.environment().put("KUBECONFIG", kubeconfig.toAbsolutePath().toString());
    Process process = operator.start();
    Runtime.getRuntime().addShutdownHook(new Thread(process::destroy, "stop-operator"));
    int exit = process.waitFor();
    System.err.println("orch-operator: " + Arrays.toString(args) + " exited with " + exit);
    System.exit(exit);
  }

  private static void localVolumes(ClusterConnection cluster, Path parent) throws IOException {
    try (KubernetesClient client = new KubernetesClientBuilder().withConfig(cluster.adminConfig()).build()) {
      LocalVolumes.asDefault(client, parent, VOLUMES, VOLUME_SIZE);
    }
  }

  private static ClusterConnection clusterWithNodeIfPossible(Path stateDir) throws IOException {
    Path nodeFailure = stateDir.resolve("node-failure");
    Files.deleteIfExists(nodeFailure);
    System.setProperty(Clusters.NODE_PROPERTY, "true");
    try {
      return SharedCluster.get();
    } catch (RuntimeException e) {
      // hack/run-operator.sh reads this file to tell the user what they get instead.
      Files.writeString(nodeFailure, e.getMessage() + "\n");
      System.err.println("orch-operator: the local node could not start (" + e.getMessage() + "); running the control"
          + " plane alone, where pods are created but never run");
      System.setProperty(Clusters.NODE_PROPERTY, "false");
      return SharedCluster.get();
    }
  }
}
