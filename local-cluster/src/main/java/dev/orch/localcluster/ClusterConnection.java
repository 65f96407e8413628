package dev.orch.localcluster;

import java.nio.file.Path;

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

  /** The tail of the control plane's own logs, for diagnosing a failed test; empty when not ours. */
  String logTail(int lines);

  @Override
  void close();
}
