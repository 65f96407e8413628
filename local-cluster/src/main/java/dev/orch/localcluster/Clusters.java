package dev.orch.localcluster;

import java.nio.file.Path;
import java.util.Locale;

/**
 * Picks the cluster for tests from {@code ORCH_TEST_CLUSTER}: {@code local} (default; etcd and kube-apiserver
 * built from source, see hack/kube-binaries.sh, with a real node when {@value #NODE_PROPERTY} is set), {@code kubeconfig} (the cluster KUBECONFIG names: kind, k3s,
 * a shared dev cluster) or {@code k3s} (k3s in a Testcontainers container; needs a Docker-compatible engine).
 */
public final class Clusters {
  /** Set (to true) by the node test tier and by {@code make run}: the local cluster then gets a real node. */
  public static final String NODE_PROPERTY = "orch.local-cluster.node";

  private Clusters() {
  }

  public static ClusterConnection fromEnvironment() {
    String choice = System.getenv().getOrDefault("ORCH_TEST_CLUSTER", "local").toLowerCase(Locale.ROOT);
    return switch (choice) {
      case "local" -> Boolean.getBoolean(NODE_PROPERTY)
          ? LocalControlPlane.startWithNode(KubeBinaries.locate())
          : LocalControlPlane.start(KubeBinaries.locate());
      case "kubeconfig" -> {
        String kubeconfig = System.getenv("KUBECONFIG");
        if (kubeconfig == null || kubeconfig.isBlank()) {
          throw new IllegalStateException("ORCH_TEST_CLUSTER=kubeconfig needs KUBECONFIG to name the cluster's kubeconfig file");
        }
        yield new ExistingCluster(Path.of(kubeconfig.split(java.io.File.pathSeparator)[0]));
      }
      case "k3s" -> new K3sCluster();
      default -> throw new IllegalStateException("ORCH_TEST_CLUSTER=" + choice + " is not known; use local, kubeconfig or k3s");
    };
  }
}
