package dev.orch.localcluster;

import java.nio.file.Path;
import java.util.List;

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
  public boolean runsPods() {
    return true;
  }

  @Override
  public void loadImages(List<String> images) {
    // Its nodes pull the images the operator names (orch.runner.image, orch.gateway.image) themselves: push
    // them where the cluster can pull them and point those settings there.
  }

  @Override
  public String logTail(int lines) {
    return "";
  }

  @Override
  public void close() {
  }
}
