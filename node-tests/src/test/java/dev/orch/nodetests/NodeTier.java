package dev.orch.nodetests;

import static org.awaitility.Awaitility.await;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

import dev.orch.localcluster.ClusterConnection;
import dev.orch.localcluster.LocalNode;
import dev.orch.localcluster.RepositoryScript;
import dev.orch.localcluster.SharedCluster;
import dev.orch.operator.testing.HttpsReceiver;

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
  private static final int ACTIVATOR_PORT = freePort();
  private static NodeTier instance;

  final ClusterConnection cluster;
  final HttpsReceiver alerts;
  final Path operatorLog;
  /** The operator's own HTTP endpoint (metrics, health, schedule webhooks) on loopback. */
  final URI operatorUrl;
  private Process operator;

  private NodeTier(ClusterConnection cluster, HttpsReceiver alerts, Path operatorLog, URI operatorUrl, Process operator) {
    this.cluster = cluster;
    this.alerts = alerts;
    this.operatorLog = operatorLog;
    this.operatorUrl = operatorUrl;
    this.operator = operator;
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
        URI operatorUrl = URI.create("http://127.0.0.1:" + freeLoopbackPort());
        Process operator = startOperator(cluster, alerts, log, operatorUrl);
        instance = new NodeTier(cluster, alerts, log, operatorUrl, operator);
        Runtime.getRuntime().addShutdownHook(new Thread(instance::stop, "node-tier-operator-stop"));
      } catch (Exception e) {
        throw new IllegalStateException("cannot start the node tier: " + e.getMessage(), e);
      }
    }
    return instance;
  }

  /** The last lines of the operator's log, for a failed test's report. */
  String operatorLogTail(int lines) {
    try {
      List<String> all = Files.readAllLines(operatorLog, StandardCharsets.UTF_8);
      return String.join("\n", all.subList(Math.max(0, all.size() - lines), all.size()));
    } catch (IOException e) {
      return "(no operator log: " + e.getMessage() + ")";
    }
  }

  /**
   * Runs the action while the packaged operator is stopped, for a test that runs another operator (the chart's,
   * as a pod) that must not share the cluster with it.
   */
  synchronized void withoutOperator(ThrowingRunnable action) throws Exception {
    stopOperator();
    try {
      action.run();
    } finally {
      operator = startOperator(cluster, alerts, operatorLog, operatorUrl);
    }
  }

  interface ThrowingRunnable {
    void run() throws Exception;
  }

  private synchronized void stop() {
    stopOperator();
    alerts.close();
  }

  private void stopOperator() {
    operator.destroy();
    try {
      operator.waitFor();
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
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

  private static int freeLoopbackPort() throws IOException {
    try (ServerSocket socket = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
      return socket.getLocalPort();
    }
  }

  private static Process startOperator(ClusterConnection cluster, HttpsReceiver alerts, Path log, URI url) {
    ProcessBuilder builder = new ProcessBuilder("java", "-jar", System.getProperty("orch.operator.jar"))
        .redirectErrorStream(true).redirectOutput(ProcessBuilder.Redirect.appendTo(log.toFile()));
    builder.environment().put("KUBECONFIG", cluster.kubeconfig().toString());
    builder.environment().put("QUARKUS_HTTP_HOST", "127.0.0.1");
    builder.environment().put("QUARKUS_HTTP_PORT", Integer.toString(url.getPort()));
    builder.environment().put("ORCH_RUNNER_IMAGE", RUNNER_IMAGE);
    builder.environment().put("ORCH_GATEWAY_IMAGE", GATEWAY_IMAGE);
    builder.environment().put("ORCH_ALERTS_CA_BUNDLE", alerts.caBundle().toAbsolutePath().toString());
    // Sleeping Services route to the activator in this process: pods and kube-proxy reach it at the node's address.
    builder.environment().put("ORCH_SLEEP_ACTIVATOR_ADDRESSES", LocalNode.nodeIp());
    builder.environment().put("ORCH_SLEEP_ACTIVATOR_PORT", Integer.toString(ACTIVATOR_PORT));
    builder.environment().put("ORCH_SLEEP_MAX_WAIT", SLEEP_MAX_WAIT.toSeconds() + "s");
    Process process;
    try {
      process = builder.start();
    } catch (IOException e) {
      throw new UncheckedIOException("cannot start the packaged operator", e);
    }
    HttpClient http = HttpClient.newHttpClient();
    HttpRequest live = HttpRequest.newBuilder(url.resolve("/q/health/live")).build();
    await("the packaged operator answering /q/health/live (log: " + log + ")").atMost(Duration.ofSeconds(90))
        .pollInterval(Duration.ofMillis(250)).ignoreExceptions()
        .until(() -> process.isAlive() && http.send(live, HttpResponse.BodyHandlers.discarding()).statusCode() == 200);
    return process;
  }
}
