package dev.orch.nodetests;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.extension.ExtendWith;

import dev.orch.localcluster.WithKubernetes;
import dev.orch.operator.agentservice.AgentService;
import dev.orch.operator.core.MetadataKeys;
import dev.orch.operator.core.status.AgentState;
import dev.orch.operator.core.status.Conditions;
import dev.orch.operator.sleep.SleepRequests;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientException;

/**
 * Sleep and wake on the real node: agents scale to zero, their Service routes to the activator in the packaged
 * operator (on the host, at the node's address), and requests wake them and get the agent's own answer.
 */
@WithKubernetes(controllerManager = true)
@ExtendWith(OperatorLogOnFailure.class)
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class SleepWakeNodeIT {
  /** Answers with the path it was asked for and logs each request once, so a request answered twice shows. */
  private static final String PYTHON_HTTP_AGENT = """
      import json, os, time
      from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

      class Handler(BaseHTTPRequestHandler):
          def do_GET(self):
              print("served " + self.path, flush=True)
              body = json.dumps({"path": self.path, "pid": os.getpid()}).encode()
              self.send_response(200)
              self.send_header("Content-Length", str(len(body)))
              self.end_headers()
              self.wfile.write(body)

          def log_message(self, *args):
              pass

      time.sleep(float(os.environ.get("START_DELAY", "0")))
      ThreadingHTTPServer(("0.0.0.0", int(os.environ["PORT"])), Handler).serve_forever()
      """;
  private static final HttpClient HTTP = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1)
      .connectTimeout(Duration.ofSeconds(5)).build();

  private final KubernetesClient client;
  private final Cluster cluster;
  private final NodeTier tier = NodeTier.get();

  SleepWakeNodeIT(KubernetesClient client) {
    this.client = client;
    this.cluster = new Cluster(client);
    client.namespaces().withName(client.getNamespace()).edit(ns -> {
      ns.getMetadata().getLabels().put("pod-security.kubernetes.io/enforce", "restricted");
      return ns;
    });
  }

  @Test
  void anIdleAgentSleepsAndTwentyConcurrentRequestsWakeItAndGetOneAnswerEachAlsoAfterAnOperatorRestart() throws Exception {
    cluster.bundle("napper-bundle", Map.of("main.py", PYTHON_HTTP_AGENT));
    cluster.apply(Cluster.agentService("napper", "napper-bundle", """
          sleep:
            afterIdle: 10s
        """));
    assertThat(cluster.awaitAnswer("napper", "/first").body()).contains("\"path\": \"/first\"");

    awaitSleeping("napper");
    await("scaled to zero once requests go to the activator").atMost(Duration.ofSeconds(30))
        .until(() -> client.apps().deployments().withName("napper").get().getSpec().getReplicas() == 0);
    awaitNoPods("napper");
    assertThat(client.services().withName("napper").get().getSpec().getSelector()).as("routed to the activator").isNullOrEmpty();

    String clusterIp = client.services().withName("napper").get().getSpec().getClusterIP();
    long start = System.nanoTime();
    List<CompletableFuture<HttpResponse<String>>> requests = new ArrayList<>();
    for (int i = 0; i < 20; i++) {
      requests.add(HTTP.sendAsync(HttpRequest.newBuilder(URI.create("http://" + clusterIp + "/req-" + i + "-end"))
          .timeout(Duration.ofSeconds(60)).build(), HttpResponse.BodyHandlers.ofString()));
    }
    for (int i = 0; i < 20; i++) {
      HttpResponse<String> response = requests.get(i).get();
      assertThat(response.statusCode()).as("request %d: %s", i, response.body()).isEqualTo(200);
      assertThat(response.body()).contains("\"path\": \"/req-" + i + "-end\"");
    }
    System.out.printf("wake: 20 requests answered %d ms after the first was sent%n", (System.nanoTime() - start) / 1_000_000);
    // Counted in the whole log: lines printed by the agent's threads at once may share a line.
    List<String> served = java.util.regex.Pattern.compile("served (/req-\\d+-end)")
        .matcher(cluster.agentLog(cluster.pods("napper").get(0))).results().map(m -> m.group(1)).toList();
    assertThat(served).as("each request reached the agent exactly once").hasSize(20).doesNotHaveDuplicates();
    cluster.awaitStatus(AgentService.class, "napper", "awake", s -> s.getState() == AgentState.RUNNING, Duration.ofSeconds(30));
    await("the Service's selector back").atMost(Duration.ofSeconds(30))
        .until(() -> client.services().withName("napper").get().getSpec().getSelector() != null);

    awaitSleeping("napper");
    tier.withoutOperator(() -> Thread.sleep(3000));
    await("still asleep after the operator's restart").during(Duration.ofSeconds(5)).atMost(Duration.ofSeconds(10))
        .until(() -> client.apps().deployments().withName("napper").get().getSpec().getReplicas() == 0);
    HttpResponse<String> afterRestart = HTTP.send(HttpRequest.newBuilder(URI.create("http://" + clusterIp + "/after-restart"))
        .timeout(Duration.ofSeconds(60)).build(), HttpResponse.BodyHandlers.ofString());
    assertThat(afterRestart.statusCode()).isEqualTo(200);
    assertThat(afterRestart.body()).contains("\"path\": \"/after-restart\"");
  }

  @Test
  void withTheDependencyCacheAWokenPodFindsItsVenvAndPrepareTakesTheFastPath() throws Exception {
    NodeTier.localVolume(client, "256Mi");
    cluster.bundle("cached-bundle", Map.of("main.py", PYTHON_HTTP_AGENT, "requirements.txt", "# no third-party packages\n"));
    cluster.apply(Cluster.agentService("cached", "cached-bundle", """
          sleep: {}
          dependencyCache:
            size: 256Mi
            storageClassName: %s
        """.formatted(NodeTier.LOCAL_STORAGE_CLASS)));
    try {
      assertThat(cluster.awaitAnswer("cached", "/first").body()).contains("\"path\": \"/first\"");
    } catch (org.awaitility.core.ConditionTimeoutException e) {
      throw new AssertionError(cluster.describe("cached"), e);
    }
    assertThat(cluster.pods("cached").get(0).getSpec().getInitContainers()).extracting(c -> c.getName())
        .as("prepare runs in the agent container, so the agent does not wait for an init container's exit to be noticed")
        .containsExactly("gateway");
    assertThat(cluster.prepareLog("cached")).as("the first pod installs").contains("creating the Python virtual environment")
        .doesNotContain("fast path");

    Cluster.annotate(client, "cached", MetadataKeys.SLEEP, "1");
    awaitSleeping("cached");
    awaitNoPods("cached");
    HttpResponse<String> woken = cluster.getThroughServiceWithin("cached", "/woken", Duration.ofSeconds(60));
    assertThat(woken.statusCode()).as(woken.body()).isEqualTo(200);
    assertThat(woken.body()).contains("\"path\": \"/woken\"");
    assertThat(cluster.prepareLog("cached")).as("the woken pod finds the workspace prepared")
        .contains("orch-prepare: fast path: the workspace is current").doesNotContain("Python virtual environment");
  }

  @Test
  void aRequestThatWaitsPastTheLimitGets503WithRetryAfter() throws Exception {
    cluster.bundle("slow-bundle", Map.of("main.py", PYTHON_HTTP_AGENT));
    cluster.apply(Cluster.agentService("slow", "slow-bundle", """
          env:
            - name: START_DELAY
              value: "45"
          sleep: {}
        """));
    cluster.awaitStatus(AgentService.class, "slow", "Ready", s -> Conditions.isTrue(s.getConditions(), "Ready"), Cluster.AGENT_START);
    Cluster.annotate(client, "slow", MetadataKeys.SLEEP, "1");
    awaitSleeping("slow");
    awaitNoPods("slow");

    long start = System.nanoTime();
    HttpResponse<String> late = cluster.getThroughServiceWithin("slow", "/late", Duration.ofSeconds(60));
    long waited = (System.nanoTime() - start) / 1_000_000;
    assertThat(late.statusCode()).as(late.body()).isEqualTo(503);
    assertThat(late.headers().firstValue("Retry-After")).contains("5");
    assertThat(waited).as("held for the limit").isGreaterThanOrEqualTo(NodeTier.SLEEP_MAX_WAIT.toMillis() - 500);
  }

  @Test
  void aWorkerWithoutAPortSleepsAndWakesOnlyByHand() {
    cluster.bundle("sleepy-worker-bundle", Map.of("worker.py", """
        import time
        while True:
            print("working", flush=True)
            time.sleep(5)
        """));
    String worker = Cluster.agentService("sleepy-worker", "sleepy-worker-bundle", """
          command: [python, worker.py]
          http:
            enabled: false
          sleep: %s
        """);
    assertThatThrownBy(() -> cluster.apply(worker.formatted("{afterIdle: 10s}")))
        .isInstanceOf(KubernetesClientException.class).hasMessageContaining("no request can reach it");
    cluster.apply(worker.formatted("{}"));
    cluster.awaitStatus(AgentService.class, "sleepy-worker", "Ready", s -> s.getState() == AgentState.RUNNING, Cluster.AGENT_START);
    await("never asleep by idleness").during(Duration.ofSeconds(12)).atMost(Duration.ofSeconds(20))
        .until(() -> client.resources(AgentService.class).withName("sleepy-worker").get().getStatus().getState() == AgentState.RUNNING);

    Cluster.annotate(client, "sleepy-worker", MetadataKeys.SLEEP, "1");
    awaitSleeping("sleepy-worker");
    awaitNoPods("sleepy-worker");
    Cluster.annotate(client, "sleepy-worker", MetadataKeys.WAKE, "2");
    cluster.awaitStatus(AgentService.class, "sleepy-worker", "awake by hand", s -> s.getState() == AgentState.RUNNING,
        Cluster.AGENT_START);
    await("working again").atMost(Duration.ofSeconds(30)).ignoreExceptions()
        .until(() -> cluster.agentLog(cluster.pods("sleepy-worker").get(0)).contains("working"));
  }

  /** No pod at all, not even one still terminating. */
  private void awaitNoPods(String name) {
    await(name + "'s pods gone").atMost(Duration.ofSeconds(90))
        .until(() -> client.pods().withLabel("app.kubernetes.io/instance", name).list().getItems().isEmpty());
  }

  private void awaitSleeping(String name) {
    AgentService asleep = cluster.awaitStatus(AgentService.class, name, "sleeping", s -> s.getState() == AgentState.SLEEPING,
        Duration.ofSeconds(90));
    assertThat(Conditions.isTrue(asleep.getStatus().getConditions(), "Ready")).as("asleep is Ready").isTrue();
  }
}
