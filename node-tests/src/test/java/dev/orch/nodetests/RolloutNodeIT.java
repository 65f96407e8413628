package dev.orch.nodetests;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Function;
import java.util.stream.Collectors;
import java.util.stream.IntStream;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

import dev.orch.localcluster.WithKubernetes;
import dev.orch.operator.agentservice.AgentService;
import dev.orch.operator.agentservice.rollout.RolloutStatus.Phase;
import dev.orch.operator.core.MetadataKeys;
import dev.orch.operator.core.status.Conditions;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.client.KubernetesClient;

/**
 * A canary on a real node, through the one Service (no traffic router, so the weight is a pod ratio and kube-proxy
 * picks a pod per connection): v1 → v2 at weight 50 reaches both versions, promoting it makes every answer v2, and
 * a v3 that crashes on start is aborted by the health gate, with an alert, while v2 answers every request; the
 * aborted canary's pod stays, out of the Service, with its crash log readable. A rolling update of an agent that
 * loads before it listens loses no request.
 */
@WithKubernetes(controllerManager = true)
@ExtendWith(OperatorLogOnFailure.class)
class RolloutNodeIT {
  private static final String VERSIONED_AGENT = """
      import os, sys, time
      from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

      if os.environ.get("FAIL_ON_START"):
          print("cannot start: " + os.environ["FAIL_ON_START"], file=sys.stderr, flush=True)
          sys.exit(3)
      # An agent that loads for a while before it listens, as a real one does.
      time.sleep(float(os.environ.get("LOAD_SECONDS", "0")))

      class Handler(BaseHTTPRequestHandler):
          def do_GET(self):
              body = os.environ["VERSION"].encode()
              self.send_response(200)
              self.send_header("Content-Length", str(len(body)))
              self.end_headers()
              self.wfile.write(body)

          def log_message(self, *args):
              pass

      ThreadingHTTPServer(("0.0.0.0", int(os.environ["PORT"])), Handler).serve_forever()
      """;
  private static final int SPLIT_SAMPLE = 100;

  private final KubernetesClient client;
  private final Cluster cluster;
  private final NodeTier tier = NodeTier.get();

  RolloutNodeIT(KubernetesClient client) {
    this.client = client;
    this.cluster = new Cluster(client);
  }

  @Test
  void aCanarySplitsTrafficIsPromotedAndACrashingOneIsAbortedWhileStableAnswersEveryRequest() throws Exception {
    cluster.bundle("shop-bundle", Map.of("main.py", VERSIONED_AGENT));
    cluster.apply(shop("v1", ""));
    cluster.awaitStatus(AgentService.class, "shop", "v1 Ready", s -> Conditions.isTrue(s.getConditions(), "Ready"),
        Cluster.AGENT_START);
    await("v1 answering through the Service").atMost(Cluster.AGENT_START).ignoreExceptions()
        .until(() -> get().body(), "v1"::equals);

    // One instance at weight 50: one stable pod and one canary pod behind the Service.
    cluster.apply(shop("v2", ""));
    cluster.awaitStatus(AgentService.class, "shop", "the v2 canary paused at weight 50",
        s -> s.getRollout() != null && s.getRollout().phase() == Phase.Paused, Cluster.AGENT_START);
    await("v2 answering beside v1").atMost(Duration.ofSeconds(60)).ignoreExceptions()
        .until(() -> get().body(), "v2"::equals);
    Map<String, Long> split = IntStream.range(0, SPLIT_SAMPLE).mapToObj(i -> getUnchecked().body())
        .collect(Collectors.groupingBy(Function.identity(), Collectors.counting()));
    System.out.println("RolloutNodeIT: " + SPLIT_SAMPLE + " requests at weight 50 (1 stable pod, 1 canary pod): " + split);
    assertThat(split.keySet()).containsExactlyInAnyOrder("v1", "v2");
    // Binomial(100, 0.5): outside 25..75 with a probability below 1e-6.
    assertThat(split.get("v2")).isBetween(25L, 75L);

    try (Prober prober = new Prober()) {
      Cluster.annotate(client, "shop", MetadataKeys.PROMOTE, "full");
      cluster.awaitStatus(AgentService.class, "shop", "v2 promoted and the canary gone",
          s -> s.getRollout() != null && s.getRollout().phase() == Phase.Healthy, Duration.ofSeconds(120));
      await("the canary's pods gone").atMost(Duration.ofSeconds(60)).until(() -> canaryPods().isEmpty());
      System.out.println("RolloutNodeIT: during the promotion " + prober.answers + " answers, failures: " + prober.failures);
      assertThat(prober.failures).as("no request fails while the stable pods are replaced").isEmpty();
    }
    // A replaced v1 pod keeps answering while it drains (kube-proxy may still send it a connection); once it is
    // gone, only v2 answers.
    await("the replaced v1 pod gone").atMost(Duration.ofSeconds(60)).until(() -> client.pods()
        .withLabel("app.kubernetes.io/instance", "shop").list().getItems().size() == 1);
    List<String> promoted = IntStream.range(0, 30).mapToObj(i -> getUnchecked().body()).distinct().toList();
    assertThat(promoted).containsExactly("v2");

    try (Prober prober = new Prober()) {
      cluster.apply(shop("v3", """
              - name: FAIL_ON_START
                value: the v3 config file is missing
          """));
      AgentService aborted = cluster.awaitStatus(AgentService.class, "shop", "the crashing v3 canary aborted",
          s -> s.getRollout() != null && s.getRollout().phase() == Phase.Aborted, Duration.ofSeconds(180));
      assertThat(aborted.getStatus().getRollout().message()).contains("restarts in a row")
          .contains("the v3 config file is missing");
      assertThat(Conditions.find(aborted.getStatus().getConditions(), Conditions.STALLED))
          .hasValueSatisfying(c -> assertThat(c.getReason()).isEqualTo("CanaryAborted"));
      await("the service.rollout_aborted alert").atMost(Duration.ofSeconds(60)).until(() -> tier.alerts.bodies.stream()
          .anyMatch(b -> b.contains("service.rollout_aborted") && b.contains("\"shop\"")));
      assertThat(aborted.getStatus().getRollout().message()).contains("kubectl logs -n " + client.getNamespace());
      await("the main Service selecting the stable track only").atMost(Duration.ofSeconds(60)).until(() -> "stable"
          .equals(client.services().withName("shop").get().getSpec().getSelector().get(MetadataKeys.TRACK)));
      // The crashed canary's pod stays, with the log of its last run (pods/log, the previous container). The node
      // restarts a crashing container every few seconds and keeps one dead container, so a read can race a restart
      // ("unable to retrieve container logs"): it is read again until it answers.
      Pod canary = canaryPods().stream().findFirst().orElseThrow(() -> new AssertionError("the aborted canary's pod is gone"));
      String previousLog = await("the aborted canary's previous log").atMost(Duration.ofSeconds(60))
          .pollInterval(Duration.ofSeconds(1)).ignoreExceptions()
          .until(() -> client.pods().withName(canary.getMetadata().getName()).inContainer("agent").terminated().getLog(),
              log -> log.contains("cannot start: the v3 config file is missing"));
      System.out.println("RolloutNodeIT: the aborted canary pod " + canary.getMetadata().getName() + " stays; its previous"
          + " run's log: " + previousLog.strip());
      Thread.sleep(3_000); // a few more requests with the canary's pod out of the Service
      System.out.println("RolloutNodeIT: during the v3 attempt " + prober.answers + " answers, failures: " + prober.failures);
      assertThat(prober.failures).isEmpty();
      assertThat(prober.answers.keySet()).containsExactly("v2");
      assertThat(prober.answers.get("v2").get()).isGreaterThan(50);
    }
    assertThat(client.v1().events().list().getItems().stream()
        .filter(e -> "AgentService".equals(e.getInvolvedObject().getKind()) && "Warning".equals(e.getType()))
        .map(e -> e.getReason() + ": " + e.getMessage()).toList())
        .as("no warning but the abort").allMatch(warning -> warning.startsWith("CanaryAborted: "));
  }

  @Test
  void aRollingUpdateOfAnAgentThatLoadsBeforeListeningLosesNoRequest() throws Exception {
    cluster.bundle("web-bundle", Map.of("main.py", VERSIONED_AGENT));
    cluster.apply(web("v1"));
    cluster.awaitStatus(AgentService.class, "web", "v1 Ready", s -> Conditions.isTrue(s.getConditions(), "Ready"),
        Cluster.AGENT_START);
    await("v1 answering through the Service").atMost(Cluster.AGENT_START).ignoreExceptions()
        .until(() -> get("web").body(), "v1"::equals);
    try (Prober prober = new Prober("web")) {
      cluster.apply(web("v2"));
      await("v2 alone answering").atMost(Duration.ofSeconds(120)).until(() -> client.pods()
          .withLabel("app.kubernetes.io/instance", "web").list().getItems().size() == 1
          && prober.answers.containsKey("v2") && "v2".equals(get("web").body()));
      System.out.println("RolloutNodeIT: during the rolling update " + prober.answers + " answers, failures: " + prober.failures);
      assertThat(prober.failures).as("no request fails while the new pod loads").isEmpty();
    }
  }

  private String web(String version) {
    return Cluster.agentService("web", "web-bundle", """
          env:
            - name: VERSION
              value: %s
            - name: LOAD_SECONDS
              value: "4"
          http:
            port: 3000
          rollout:
            strategy: rolling
        """.formatted(version));
  }

  private String shop(String version, String moreEnv) {
    return Cluster.agentService("shop", "shop-bundle", """
          env:
            - name: VERSION
              value: %s
        %s  maxRestartFailures: 2
          alertWebhookUrl: %s
          rollout:
            strategy: canary
            abortIfUnreadyFor: 5m
            steps:
              - weight: 50
                pause: {}
        """.formatted(version, moreEnv, tier.alerts.url()));
  }

  private List<Pod> canaryPods() {
    return cluster.pods("shop").stream()
        .filter(p -> "canary".equals(p.getMetadata().getLabels().get(MetadataKeys.TRACK))).toList();
  }

  record Answer(int status, String body) {
  }

  private Answer get() throws IOException {
    return get("shop");
  }

  private Answer getUnchecked() {
    try {
      return get();
    } catch (IOException e) {
      throw new IllegalStateException("GET through the Service failed: " + e, e);
    }
  }

  /**
   * One GET through the Service's ClusterIP on a connection of its own (Connection: close): kube-proxy picks a pod
   * per connection, and a reused keep-alive connection would always reach the same pod.
   */
  private Answer get(String service) throws IOException {
    String clusterIp = client.services().withName(service).get().getSpec().getClusterIP();
    try (Socket socket = new Socket()) {
      socket.connect(new InetSocketAddress(clusterIp, 80), 3_000);
      socket.setSoTimeout(5_000);
      OutputStream out = socket.getOutputStream();
      out.write(("GET / HTTP/1.1\r\nHost: " + service + "\r\nConnection: close\r\n\r\n").getBytes(StandardCharsets.US_ASCII));
      out.flush();
      InputStream in = socket.getInputStream();
      String response = new String(in.readAllBytes(), StandardCharsets.UTF_8);
      int headersEnd = response.indexOf("\r\n\r\n");
      if (!response.startsWith("HTTP/1.") || headersEnd < 0) {
        throw new IOException("not an HTTP response: " + response);
      }
      int status = Integer.parseInt(response.substring(9, 12));
      return new Answer(status, response.substring(headersEnd + 4));
    }
  }

  /** A client sending requests through the Service one after another until closed, counting answers and failures. */
  private final class Prober implements AutoCloseable {
    final Map<String, AtomicInteger> answers = new ConcurrentHashMap<>();
    final List<String> failures = new CopyOnWriteArrayList<>();
    private final AtomicBoolean running = new AtomicBoolean(true);
    private final String service;
    private final Thread thread = new Thread(this::loop, "rollout-prober");

    Prober() {
      this("shop");
    }

    Prober(String service) {
      this.service = service;
      thread.setDaemon(true);
      thread.start();
    }

    private void loop() {
      while (running.get()) {
        try {
          Answer answer = get(service);
          if (answer.status() == 200) {
            answers.computeIfAbsent(answer.body(), b -> new AtomicInteger()).incrementAndGet();
          } else {
            failures.add(Instant.now() + " HTTP " + answer.status() + ": " + answer.body());
          }
          Thread.sleep(50);
        } catch (IOException e) {
          failures.add(Instant.now() + " " + e);
        } catch (InterruptedException e) {
          return;
        }
      }
    }

    @Override
    public void close() throws InterruptedException {
      running.set(false);
      thread.join(10_000);
    }
  }
}
