package dev.orch.localcluster;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.Arrays;
import java.util.List;


/**
 * {@code make run} without a cluster: starts the local control plane (with the controller manager, so
 * Deployments get ReplicaSets and Pods objects), installs the CRDs, writes a kubeconfig for kubectl, then
 * runs the command given as arguments (the operator) against it until either is stopped.
 */
public final class LocalClusterMain {
  private LocalClusterMain() {
  }

  public static void main(String[] args) throws IOException, InterruptedException {
    if (args.length == 0) {
      System.err.println("usage: LocalClusterMain <operator command...>");
      System.exit(2);
    }
    Path stateDir = KubeBinaries.repositoryRoot().resolve(".orch-local");
    Files.createDirectories(stateDir);
    Path kubeconfig = stateDir.resolve("kubeconfig");
    ClusterConnection cluster = SharedCluster.get();
    cluster.ensureControllerManager();
    // Written atomically: hack/run-operator.sh waits for this file to appear before it uses the cluster.
    Path partial = stateDir.resolve("kubeconfig.partial");
    Files.copy(cluster.kubeconfig(), partial, StandardCopyOption.REPLACE_EXISTING);
    Files.move(partial, kubeconfig, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
    System.out.println("""

          orch-operator: local control plane ready (%s); KUBECONFIG=%s
          Note: no kubelet runs here, so pods are created but never started; use a real cluster
          (KUBECONFIG) to run agents.
          """.formatted(cluster.describe(), kubeconfig.toAbsolutePath()));
    ProcessBuilder operator = new ProcessBuilder(List.of(args)).inheritIO();
    operator.environment().put("KUBECONFIG", kubeconfig.toAbsolutePath().toString());
    Process process = operator.start();
    Runtime.getRuntime().addShutdownHook(new Thread(process::destroy, "stop-operator"));
    int exit = process.waitFor();
    System.err.println("orch-operator: " + Arrays.toString(args) + " exited with " + exit);
    System.exit(exit);
  }
}
