package dev.orch.localcluster;

import java.nio.file.Path;
import java.util.List;

import io.fabric8.kubernetes.client.Config;

/** A cluster tests or the operator can talk to, however it was obtained. */
public interface ClusterConnection extends AutoCloseable {

  /** Client configuration with cluster-admin rights. */
  Config adminConfig();

  /** A kubeconfig file for kubectl and other tools. */
  Path kubeconfig();

  /** A short human description, e.g. "local kube-apiserver v1.36.3 on 127.0.0.1:40123". */
  String describe();

  /** Starts garbage collection and the workload controllers if this cluster does not run them yet. */
  void ensureControllerManager();

  /** Whether pods scheduled here really run (a kubelet is there), rather than only being stored. */
  boolean runsPods();

  /**
   * Makes locally built images (podman's {@code localhost/...}) available to this cluster's nodes. A cluster
   * that pulls from a registry cannot take them: push the images there instead.
   */
  void loadImages(List<String> images);

  /** The tail of the control plane's own logs, for diagnosing a failed test; empty when not ours. */
  String logTail(int lines);

  @Override
  void close();
}
