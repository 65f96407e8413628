package dev.orch.localcluster;

import java.nio.file.Path;

import io.fabric8.kubernetes.client.Config;

/** A cluster the user already runs (kind, k3s, ...), named by KUBECONFIG. Its lifecycle is not ours. */
final class ExistingCluster implements ClusterConnection {
  private final Path kubeconfig;
  private final Config config;

  ExistingCluster(Path kubeconfig) {
    this.kubeconfig = kubeconfig;
    this.config = Config.autoConfigure(null);
  }

  @Override
  public Config adminConfig() {
    return config;
  }

  @Override
  public Path kubeconfig() {
    return kubeconfig;
  }

  @Override
  public String describe() {
    return "existing cluster " + config.getMasterUrl() + " from " + kubeconfig;
  }

  @Override
  public void ensureControllerManager() {
    // a real cluster runs its own controller manager
  }

  @Override
  public String logTail(int lines) {
    return "";
  }

  @Override
  public void close() {
  }
}
