package dev.orch.operator.testing;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;

import dev.orch.localcluster.ClusterConnection;
import dev.orch.localcluster.KubeBinaries;

/**
 * cert-manager's own certificate controllers (built by {@code hack/cert-manager-controller.sh};
 * {@code ORCH_CERT_MANAGER_CONTROLLER_BIN} names the directory when set) running against the test's cluster,
 * so a self-signed or CA issuer signs real certificates. Its log goes to a file a failing test can show.
 */
public final class CertManagerController implements AutoCloseable {
  private final Process process;
  private final Path log;

  private CertManagerController(Process process, Path log) {
    this.process = process;
    this.log = log;
  }

  public static CertManagerController start(ClusterConnection cluster, String clusterResourceNamespace, Path workDir) {
    String fromEnv = System.getenv("ORCH_CERT_MANAGER_CONTROLLER_BIN");
    Path dir = fromEnv != null && !fromEnv.isBlank() ? Path.of(fromEnv)
        : KubeBinaries.buildWithScript("hack/cert-manager-controller.sh");
    Path log = workDir.resolve("cert-manager-controller.log");
    try {
      Process process = new ProcessBuilder(List.of(dir.resolve("cert-manager-controller").toString(),
          "--kubeconfig", cluster.kubeconfig().toString(), "--cluster-resource-namespace", clusterResourceNamespace))
          .redirectErrorStream(true).redirectOutput(log.toFile()).start();
      return new CertManagerController(process, log);
    } catch (IOException e) {
      throw new UncheckedIOException("cannot start cert-manager's controller from " + dir, e);
    }
  }

  /** The controller's output so far (its last 8 KiB), for assertion messages. */
  public String log() {
    try {
      String text = Files.readString(log);
      return text.length() <= 8192 ? text : text.substring(text.length() - 8192);
    } catch (IOException e) {
      return "(no log: " + e.getMessage() + ")";
    }
  }

  @Override
  public void close() {
    process.destroy();
    try {
      if (!process.waitFor(10, TimeUnit.SECONDS)) {
        process.destroyForcibly();
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }
}
