package dev.orch.localcluster;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;

/**
 * Finds kube-apiserver, kube-controller-manager, kubectl and etcd: {@code ORCH_KUBE_BIN} when set (the
 * Makefile sets it), otherwise by running {@code hack/kube-binaries.sh}, which builds them once and caches them.
 */
public final class KubeBinaries {
  static final List<String> REQUIRED = List.of("etcd", "kube-apiserver", "kube-controller-manager", "kubectl");

  private final Path dir;

  private KubeBinaries(Path dir) {
    this.dir = dir;
  }

  public static KubeBinaries locate() {
    String fromEnv = System.getenv("ORCH_KUBE_BIN");
    Path dir = fromEnv != null && !fromEnv.isBlank() ? Path.of(fromEnv) : buildWithScript("hack/kube-binaries.sh");
    for (String binary : REQUIRED) {
      if (!Files.isExecutable(dir.resolve(binary))) {
        throw new IllegalStateException(dir.resolve(binary) + " is missing or not executable; run hack/kube-binaries.sh"
            + " and point ORCH_KUBE_BIN at the directory it prints");
      }
    }
    return new KubeBinaries(dir);
  }

  /**
   * Runs one of the repository's caching build scripts (hack/kube-binaries.sh, hack/helm-binary.sh), which print
   * the directory holding the binaries on their last line.
   */
  public static Path buildWithScript(String relativeScript) {
    String output = RepositoryScript.run(relativeScript, Map.of(), List.of()).strip();
    if (output.isEmpty()) {
      throw new IllegalStateException(relativeScript + " printed no directory; see its output above");
    }
    return Path.of(output.substring(output.lastIndexOf('\n') + 1));
  }

  /** The checkout's root: {@code orch.repo.dir} when the build sets it, else the nearest parent holding hack/. */
  public static Path repositoryRoot() {
    String configured = System.getProperty("orch.repo.dir");
    if (configured != null) {
      return Path.of(configured);
    }
    for (Path p = Path.of("").toAbsolutePath(); p != null; p = p.getParent()) {
      if (Files.isRegularFile(p.resolve("hack/kube-binaries.sh"))) {
        return p;
      }
    }
    throw new IllegalStateException("cannot find the orch-operator checkout (no hack/kube-binaries.sh above "
        + Path.of("").toAbsolutePath() + "); set -Dorch.repo.dir");
  }

  public Path path(String binary) {
    return dir.resolve(binary);
  }
}
