package dev.orch.localcluster;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;

import org.testcontainers.k3s.K3sContainer;
import org.testcontainers.utility.DockerImageName;

import io.fabric8.kubernetes.client.Config;

/**
 * k3s in a container, for machines with a Docker-compatible engine and a reachable image registry.
 * Deliberately small: the local control plane is the path CI exercises.
 */
final class K3sCluster implements ClusterConnection {
  static final String IMAGE = "rancher/k3s:v1.33.1-k3s1";

  private final K3sContainer container;
  private final Path kubeconfig;

  K3sCluster() {
    container = new K3sContainer(DockerImageName.parse(System.getenv().getOrDefault("ORCH_K3S_IMAGE", IMAGE)));
    container.start();
    try {
      kubeconfig = Files.createTempFile("orch-k3s-", ".kubeconfig");
      Files.writeString(kubeconfig, container.getKubeConfigYaml());
    } catch (IOException e) {
      container.stop();
      throw new UncheckedIOException(e);
    }
  }

  @Override
  public Config adminConfig() {
    return Config.fromKubeconfig(container.getKubeConfigYaml());
  }

  @Override
  public Path kubeconfig() {
    return kubeconfig;
  }

  @Override
  public String describe() {
    return "k3s container " + container.getDockerImageName();
  }

  @Override
  public void ensureControllerManager() {
    // k3s runs its own controllers
  }

  @Override
  public boolean runsPods() {
    return true;
  }

  @Override
  public void loadImages(List<String> images) {
    throw new IllegalStateException("loading podman images into the k3s container is not supported; run the node"
        + " tests with ORCH_TEST_CLUSTER=local, or with kubeconfig on a cluster that can pull " + images);
  }

  @Override
  public String logTail(int lines) {
    String[] all = container.getLogs().split("\n");
    return String.join("\n", Arrays.copyOfRange(all, Math.max(0, all.length - lines), all.length));
  }

  @Override
  public void close() {
    container.stop();
    try {
      Files.deleteIfExists(kubeconfig);
    } catch (IOException ignored) {
      // a leftover temp file is harmless
    }
  }
}
