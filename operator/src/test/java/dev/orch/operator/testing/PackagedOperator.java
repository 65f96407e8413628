package dev.orch.operator.testing;

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
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import dev.orch.localcluster.ClusterConnection;

/**
 * The packaged operator (quarkus-run.jar, as the image runs it) as a process of its own against a test cluster, so
 * a test can stop it the way Kubernetes does (SIGTERM), kill it the way a node failure does (SIGKILL), and start it
 * again. Its HTTP endpoint (metrics, health, schedule webhooks) listens on a free loopback port; its output goes
 * to a log file that a failed test prints.
 */
public final class PackagedOperator implements AutoCloseable {
  private static final Pattern RECONCILE_COUNT =
      Pattern.compile("(?m)^operator_sdk_controllers_execution_reconcile_seconds_count\\{[^}]*} ([0-9.E]+)$");
  private static final HttpClient HTTP = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();

  private final Process process;
  private final URI url;
  private final Path log;

  private PackagedOperator(Process process, URI url, Path log) {
    this.process = process;
    this.url = url;
    this.log = log;
  }

  /** What to start: the jar, the JVM's options, the environment on top of the cluster's KUBECONFIG. */
  public static final class Launch {
    private final ClusterConnection cluster;
    private final Path log;
    private final List<String> jvmOptions = new ArrayList<>();
    private final Map<String, String> environment = new HashMap<>();
    private Path jar = Path.of(System.getProperty("orch.operator.jar", "operator/target/quarkus-app/quarkus-run.jar"));
    private Duration startupTimeout = Duration.ofSeconds(90);

    private Launch(ClusterConnection cluster, Path log) {
      this.cluster = cluster;
      this.log = log;
    }

    public Launch jar(Path packagedJar) {
      this.jar = packagedJar;
      return this;
    }

    public Launch jvmOptions(String... options) {
      jvmOptions.addAll(List.of(options));
      return this;
    }

    public Launch env(String name, String value) {
      environment.put(name, value);
      return this;
    }

    public Launch env(Map<String, String> variables) {
      environment.putAll(variables);
      return this;
    }

    public Launch startupTimeout(Duration timeout) {
      this.startupTimeout = timeout;
      return this;
    }

    /** Starts the operator on a new free port and waits until it answers its liveness probe. */
    public PackagedOperator start() {
      return startOn(freeLoopbackPort());
    }

    /** Starts it on the given port (a restart keeps the URL that webhooks and the test use). */
    public PackagedOperator startOn(int port) {
      List<String> command = new ArrayList<>(List.of("java"));
      command.addAll(jvmOptions);
      command.addAll(List.of("-jar", jar.toString()));
      ProcessBuilder builder = new ProcessBuilder(command).redirectErrorStream(true)
          .redirectOutput(ProcessBuilder.Redirect.appendTo(log.toFile()));
      builder.environment().put("KUBECONFIG", cluster.kubeconfig().toString());
      builder.environment().put("QUARKUS_HTTP_HOST", "127.0.0.1");
      builder.environment().put("QUARKUS_HTTP_PORT", Integer.toString(port));
      builder.environment().putAll(environment);
      PackagedOperator operator;
      try {
        Files.createDirectories(log.toAbsolutePath().getParent());
        operator = new PackagedOperator(builder.start(), URI.create("http://127.0.0.1:" + port), log);
      } catch (IOException e) {
        throw new UncheckedIOException("cannot start the packaged operator " + jar, e);
      }
      operator.awaitLive(startupTimeout);
      return operator;
    }
  }

  /**
   * The packaged jar a benchmark started by {@code make TARGET} runs: {@code orch.operator.jar}, or the build's own
   * under {@code repo}; missing, it says which make target packages it.
   */
  public static Path packagedJar(Path repo, String makeTarget) {
    Path jar = Path.of(System.getProperty("orch.operator.jar",
        repo.resolve("operator/target/quarkus-app/quarkus-run.jar").toString()));
    if (!Files.exists(jar)) {
      throw new IllegalStateException(jar + " is missing; package the operator first (make " + makeTarget + " does)");
    }
    return jar;
  }

  /** A launch whose output is appended to {@code log}. */
  public static Launch launch(ClusterConnection cluster, Path log) {
    return new Launch(cluster, log);
  }

  public URI url() {
    return url;
  }

  public int port() {
    return url.getPort();
  }

  public long pid() {
    return process.pid();
  }

  public boolean isAlive() {
    return process.isAlive();
  }

  public HttpResponse<String> get(String path) throws IOException, InterruptedException {
    return HTTP.send(HttpRequest.newBuilder(url.resolve(path)).timeout(Duration.ofSeconds(10)).build(),
        HttpResponse.BodyHandlers.ofString());
  }

  /** A JSON POST, as schedule webhooks are called. */
  public HttpResponse<String> post(String path, String body) throws IOException, InterruptedException {
    return HTTP.send(HttpRequest.newBuilder(url.resolve(path)).header("Content-Type", "application/json")
        .POST(HttpRequest.BodyPublishers.ofString(body)).timeout(Duration.ofSeconds(20)).build(),
        HttpResponse.BodyHandlers.ofString());
  }

  /** The Prometheus text of /q/metrics, or "" while the operator does not answer. */
  public String metrics() {
    try {
      HttpResponse<String> response = get("/q/metrics");
      return response.statusCode() == 200 ? response.body() : "";
    } catch (IOException e) {
      return "";
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      return "";
    }
  }

  /** java-operator-sdk's reconcile count, summed over the controllers. */
  public long reconciles() {
    Matcher counts = RECONCILE_COUNT.matcher(metrics());
    double total = 0;
    while (counts.find()) {
      total += Double.parseDouble(counts.group(1));
    }
    return (long) total;
  }

  /** SIGKILL, as when its node dies: no shutdown hook runs, nothing is released. */
  public void kill() {
    try {
      process.destroyForcibly().waitFor(30, TimeUnit.SECONDS);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }

  /** SIGTERM, as Kubernetes stops a pod, then SIGKILL after the chart's grace period if it has not exited. */
  public void stop() {
    process.destroy();
    try {
      if (!process.waitFor(30, TimeUnit.SECONDS)) {
        process.destroyForcibly().waitFor(10, TimeUnit.SECONDS);
      }
    } catch (InterruptedException e) {
      process.destroyForcibly();
      Thread.currentThread().interrupt();
    }
  }

  @Override
  public void close() {
    stop();
  }

  public Path log() {
    return log;
  }

  /** The last lines of the operator's log, for a failed test's report. */
  public String logTail(int lines) {
    try {
      List<String> all = Files.readAllLines(log, StandardCharsets.UTF_8);
      return "---- last lines of " + log.toAbsolutePath() + " ----\n"
          + String.join("\n", all.subList(Math.max(0, all.size() - lines), all.size()));
    } catch (IOException e) {
      return "(no operator log " + log + ": " + e.getMessage() + ")";
    }
  }

  private void awaitLive(Duration timeout) {
    long deadline = System.nanoTime() + timeout.toNanos();
    while (true) {
      if (!process.isAlive()) {
        throw new IllegalStateException("the packaged operator exited with code " + process.exitValue()
            + " while starting\n" + logTail(40));
      }
      try {
        if (get("/q/health/live").statusCode() == 200) {
          return;
        }
      } catch (IOException notYet) {
        // not listening yet
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        throw new IllegalStateException("interrupted while waiting for the operator", e);
      }
      if (System.nanoTime() > deadline) {
        kill();
        throw new IllegalStateException("the packaged operator did not answer /q/health/live within "
            + timeout.toSeconds() + " s\n" + logTail(40));
      }
      try {
        Thread.sleep(200);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        throw new IllegalStateException("interrupted while waiting for the operator", e);
      }
    }
  }

  private static int freeLoopbackPort() {
    try (ServerSocket socket = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
      return socket.getLocalPort();
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }
}
