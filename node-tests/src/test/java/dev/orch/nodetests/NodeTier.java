package dev.orch.nodetests;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.ServerSocket;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

import dev.orch.localcluster.ClusterConnection;
import dev.orch.localcluster.LocalNode;
import dev.orch.localcluster.LocalVolumes;
import dev.orch.localcluster.RepositoryScript;
import dev.orch.localcluster.SharedCluster;
import dev.orch.operator.testing.HttpsReceiver;
import dev.orch.operator.testing.PackagedOperator;
import io.fabric8.kubernetes.client.KubernetesClient;

/**
 * What every node test stands on, made once per test JVM: the local cluster with its real node (the failsafe
 * configuration asks {@link SharedCluster} for one), the project's runner and gateway images built and loaded into
 * the node, an HTTPS alert receiver, and the packaged operator running against the cluster as a process, watching
 * every namespace, as it runs in production.
 */
final class NodeTier {
  /** hack/images.sh tags with $ORCH_IMAGE_TAG too, so a development build can stand beside the shared images. */
  static final String IMAGE_TAG = System.getenv().getOrDefault("ORCH_IMAGE_TAG", "0.1.0");
  static final String RUNNER_IMAGE = "localhost/orch-runner:" + IMAGE_TAG;
  static final String GATEWAY_IMAGE = "localhost/orch-gateway:" + IMAGE_TAG;
  static final List<String> IMAGES = List.of(RUNNER_IMAGE, GATEWAY_IMAGE);
  /** How long the activator holds a request for a waking service here (the chart's default is 60 s). */
  static final Duration SLEEP_MAX_WAIT = Duration.ofSeconds(20);
  /** The StorageClass of {@link #localVolume}s. */
  static final String LOCAL_STORAGE_CLASS = LocalVolumes.STORAGE_CLASS;
  private static final int ACTIVATOR_PORT = freePort();
  private static NodeTier instance;

  final ClusterConnection cluster;
  final HttpsReceiver alerts;
  final Path operatorLog;
  /** The operator's own HTTP endpoint (metrics, health, schedule webhooks) on loopback. */
  final URI operatorUrl;
  private final PackagedOperator.Launch launch;
  private PackagedOperator operator;

  private NodeTier(ClusterConnection cluster, HttpsReceiver alerts, Path operatorLog, PackagedOperator.Launch launch) {
    this.cluster = cluster;
    this.alerts = alerts;
    this.operatorLog = operatorLog;
    this.launch = launch;
    this.operator = launch.start();
    this.operatorUrl = operator.url();
  }

  static synchronized NodeTier get() {
    if (instance == null) {
      ClusterConnection cluster = SharedCluster.get();
      if (!cluster.runsPods()) {
        throw new IllegalStateException("the node tests need a cluster that runs pods; got " + cluster.describe());
      }
      buildImages("runner", "gateway");
      cluster.loadImages(IMAGES);
      try {
        Path work = Files.createDirectories(Path.of("target", "node-tier"));
        HttpsReceiver alerts = new HttpsReceiver(Files.createTempDirectory(work, "alerts-"));
        Path log = work.resolve("operator.log").toAbsolutePath();
        PackagedOperator.Launch launch = PackagedOperator.launch(cluster, log).env(Map.of(
            "ORCH_RUNNER_IMAGE", RUNNER_IMAGE,
            "ORCH_GATEWAY_IMAGE", GATEWAY_IMAGE,
            "ORCH_ALERTS_CA_BUNDLE", alerts.caBundle().toAbsolutePath().toString(),
            // Sleeping Services route to the activator in this process: pods and kube-proxy reach it at the node's address.
            "ORCH_SLEEP_ACTIVATOR_ADDRESSES", LocalNode.nodeIp(),
            "ORCH_SLEEP_ACTIVATOR_PORT", Integer.toString(ACTIVATOR_PORT),
            "ORCH_SLEEP_MAX_WAIT", SLEEP_MAX_WAIT.toSeconds() + "s"));
        instance = new NodeTier(cluster, alerts, log, launch);
        Runtime.getRuntime().addShutdownHook(new Thread(instance::stop, "node-tier-operator-stop"));
      } catch (Exception e) {
        throw new IllegalStateException("cannot start the node tier: " + e.getMessage(), e);
      }
    }
    return instance;
  }

  /** A local PersistentVolume of {@link #LOCAL_STORAGE_CLASS} on the node, for one claim (a dependency cache). */
  static void localVolume(KubernetesClient client, String size) throws IOException {
    LocalVolumes.storageClass(client, false);
    LocalVolumes.volume(client, Path.of("target", "node-tier", "volumes"), size);
  }

  /** The last lines of the operator's log, for a failed test's report. */
  String operatorLogTail(int lines) {
    return operator.logTail(lines);
  }

  /**
   * Runs the action while the packaged operator is stopped, for a test that runs another operator (the chart's,
   * as a pod) that must not share the cluster with it.
   */
  synchronized void withoutOperator(ThrowingRunnable action) throws Exception {
    operator.stop();
    try {
      action.run();
    } finally {
      operator = launch.startOn(operatorUrl.getPort());
    }
  }

  interface ThrowingRunnable {
    void run() throws Exception;
  }

  private synchronized void stop() {
    operator.stop();
    alerts.close();
  }

  /** Builds images from the jars of this build (hack/images.sh --skip-package; a no-op when nothing changed). */
  static void buildImages(String... images) {
    List<String> args = new ArrayList<>(List.of("--skip-package"));
    args.addAll(List.of(images));
    RepositoryScript.run("hack/images.sh", Map.of(), args);
  }

  private static int freePort() {
    try (ServerSocket socket = new ServerSocket(0)) {
      return socket.getLocalPort();
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }
}
