package dev.orch.operator.sleep;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;

import com.sun.net.httpserver.HttpServer;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;

import dev.orch.localcluster.WithKubernetes;
import dev.orch.operator.agent.Bundle;
import dev.orch.operator.agentservice.AgentService;
import dev.orch.operator.agentservice.AgentServiceReconciler;
import dev.orch.operator.agentservice.AgentServiceSpec;
import dev.orch.operator.core.MetadataKeys;
import dev.orch.operator.core.status.AgentState;
import dev.orch.operator.core.reconcile.Labels;
import dev.orch.operator.core.config.OperatorSettings;
import dev.orch.operator.testing.Bundles;
import dev.orch.operator.testing.CustomResources;
import dev.orch.operator.testing.Kubelet;
import dev.orch.operator.testing.RunningOperator;
import io.fabric8.kubernetes.api.model.ObjectMetaBuilder;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.PodConditionBuilder;
import io.fabric8.kubernetes.api.model.PodStatusBuilder;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.vertx.core.Vertx;

/**
 * The activator against a real API server and controller manager, with the operator's reconciler running: the
 * test plays the kubelet (pods turn ready at 127.0.0.1) and a loopback HTTP server plays the pods' gateway,
 * which at first says the agent is not listening yet, as a gateway does while its agent starts.
 */
@WithKubernetes(controllerManager = true)
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class ActivatorTest {
  private static final Duration TIMEOUT = Duration.ofSeconds(30);
  private final KubernetesClient client;
  private Vertx vertx;
  private Activator activator;
  private Activator impatient;
  private RunningOperator<AgentService> operator;
  private HttpServer gateway;
  private final AtomicInteger notListeningAnswers = new AtomicInteger(3);
  private final Map<String, Integer> received = new ConcurrentHashMap<>();
  private final java.util.concurrent.atomic.AtomicBoolean gatewayHealthy = new java.util.concurrent.atomic.AtomicBoolean();

  ActivatorTest(KubernetesClient client) {
    this.client = client;
  }

  @BeforeAll
  void start() throws IOException {
    gateway = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 64);
    gateway.setExecutor(java.util.concurrent.Executors.newFixedThreadPool(8));
    gateway.createContext("/", exchange -> {
      String body = new String(exchange.getRequestBody().readAllBytes(), StandardCharsets.UTF_8);
      if (notListeningAnswers.getAndDecrement() > 0) {
        exchange.getResponseHeaders().add("x-orch-not-sent", "agent-not-listening");
        exchange.sendResponseHeaders(502, -1);
      } else {
        received.merge(body, 1, Integer::sum);
        byte[] answer = ("answer to " + body).getBytes(StandardCharsets.UTF_8);
        exchange.sendResponseHeaders(200, answer.length);
        exchange.getResponseBody().write(answer);
      }
      exchange.close();
    });
    gateway.createContext("/health", exchange -> {
      exchange.sendResponseHeaders(gatewayHealthy.get() ? 200 : 503, -1);
      exchange.close();
    });
    gateway.start();
    vertx = Vertx.vertx();
    List<String> namespaces = List.of(client.getNamespace());
    SleepSettings patient = SleepSettings.DEFAULTS.withActivator(List.of("127.0.0.1"), 0);
    activator = new Activator(vertx, client, patient, namespaces, gateway.getAddress().getPort());
    impatient = new Activator(vertx, client, new SleepSettings(0, List.of(), java.util.Optional.empty(), 9090,
        Duration.ofSeconds(1), 200, 1 << 20), namespaces, gateway.getAddress().getPort());
    // EndpointSlices may not hold loopback addresses; the test talks to the activators directly.
    SleepSettings routed = patient.withActivator(List.of("10.0.0.99"), activator.port());
    operator = RunningOperator.start(client, meters -> new AgentServiceReconciler(OperatorSettings.defaults(), meters, routed));
  }

  @AfterAll
  void stop() {
    operator.close();
    activator.close();
    impatient.close();
    vertx.close();
    gateway.stop(0);
  }

  @Test
  void requestsHeldWhileTheServiceWakesGetExactlyOneAnswerEachAndTheLateGet503WithRetryAfter() throws Exception {
    AgentService applied = sleepingService("held");
    String host = "held." + client.getNamespace() + ".svc";

    Answer late = post(impatient, host, "late").get();
    assertThat(late.statusCode()).isEqualTo(503);
    assertThat(late.headers().get("retry-after")).isEqualTo("5");
    assertThat(late.body()).contains("did not wake within 1 s");
    AgentService woken = CustomResources.awaitStatus(client, AgentService.class, "held",
        s -> s.getState() == AgentState.PROVISIONING, TIMEOUT);
    assertThat(woken.getMetadata().getAnnotations()).containsKey(MetadataKeys.WAKE_ON_REQUEST);
    assertThat(woken.getStatus().getSleep().reason()).isEqualTo("woken by a request");

    List<CompletableFuture<Answer>> held = new java.util.ArrayList<>();
    for (int i = 0; i < 20; i++) {
      held.add(post(activator, host, "request " + i));
    }
    Thread.sleep(1000);
    assertThat(held).as("held until a pod is ready").noneMatch(CompletableFuture::isDone);
    await().atMost(TIMEOUT).until(() -> Kubelet.markReady(client, Labels.selector(applied), "127.0.0.1") > 0);

    for (int i = 0; i < 20; i++) {
      Answer response = held.get(i).get(TIMEOUT.toSeconds(), java.util.concurrent.TimeUnit.SECONDS);
      assertThat(response.statusCode()).isEqualTo(200);
      assertThat(response.body()).isEqualTo("answer to request " + i);
    }
    assertThat(received).as("each request reached the agent once; the not-listening answers were sent again")
        .hasSize(20).allSatisfy((body, times) -> assertThat(times).isEqualTo(1));
    assertThat(notListeningAnswers.get()).isNegative();
    CustomResources.awaitStatus(client, AgentService.class, "held", s -> s.getState() == AgentState.RUNNING, TIMEOUT);

    Answer unknown = post(activator, "nobody." + client.getNamespace() + ".svc", "x").get();
    assertThat(unknown.statusCode()).isEqualTo(404);
  }

  @Test
  void aHeldRequestGoesAsSoonAsTheWokenPodsGatewayIsHealthyWithoutWaitingForTheKubeletsReady() throws Exception {
    AgentService applied = sleepingService("early");
    CompletableFuture<Answer> held = post(activator, "early." + client.getNamespace() + ".svc", "early request");
    Pod pod = await().atMost(TIMEOUT).until(() -> client.pods().withLabels(Labels.selector(applied)).list().getItems(),
        pods -> !pods.isEmpty()).get(0);
    pod.setStatus(new PodStatusBuilder().withPhase("Running").withPodIP("127.0.0.1")
        .withConditions(new PodConditionBuilder().withType("Ready").withStatus("False").build()).build());
    client.pods().resource(pod).updateStatus();
    Thread.sleep(1000);
    assertThat(held).as("held while the gateway's /health says 503").isNotDone();

    gatewayHealthy.set(true);
    Answer answer = held.get(TIMEOUT.toSeconds(), java.util.concurrent.TimeUnit.SECONDS);
    assertThat(answer.statusCode()).isEqualTo(200);
    assertThat(answer.body()).isEqualTo("answer to early request");
    assertThat(client.pods().withName(pod.getMetadata().getName()).get().getStatus().getConditions())
        .as("the kubelet has not called the pod Ready").noneMatch(c -> c.getType().equals("Ready") && c.getStatus().equals("True"));
    received.remove("early request");
  }

  private AgentService sleepingService(String name) {
    AgentServiceSpec spec = new AgentServiceSpec();
    spec.setAgent("acme/" + name + "@1.0.0");
    spec.setBundle(new Bundle(new Bundle.ConfigMapSource(name + "-bundle"), null, null, null, null));
    spec.setSleep(SleepSpec.manual());
    AgentService service = new AgentService();
    service.setMetadata(new ObjectMetaBuilder().withName(name).withNamespace(client.getNamespace())
        .withAnnotations(new HashMap<>()).build());
    service.setSpec(spec);
    Bundles.put(client, name + "-bundle", Bundles.HELLO);
    AgentService created = client.resource(service).create();
    await().atMost(TIMEOUT).until(() -> Kubelet.markReady(client, Labels.selector(created)) > 0);
    CustomResources.awaitStatus(client, AgentService.class, name, s -> s.getState() == AgentState.RUNNING, TIMEOUT);
    CustomResources.edit(client, AgentService.class, name, s -> s.getMetadata().getAnnotations().put(MetadataKeys.SLEEP, "1"), TIMEOUT);
    CustomResources.awaitStatus(client, AgentService.class, name, s -> s.getState() == AgentState.SLEEPING, TIMEOUT);
    await().atMost(TIMEOUT).until(() -> client.pods().withLabels(Labels.selector(created)).list().getItems().isEmpty());
    return created;
  }

  /** A raw HTTP/1.1 request, since java.net.http will not send another Host than the one it connects to. */
  private CompletableFuture<Answer> post(Activator to, String host, String body) {
    return CompletableFuture.supplyAsync(() -> {
      try (var socket = new java.net.Socket("127.0.0.1", to.port())) {
        byte[] bytes = body.getBytes(StandardCharsets.UTF_8);
        socket.getOutputStream().write(("POST /work HTTP/1.1\r\nHost: " + host + "\r\nContent-Length: " + bytes.length
            + "\r\nConnection: close\r\n\r\n").getBytes(StandardCharsets.US_ASCII));
        socket.getOutputStream().write(bytes);
        socket.getOutputStream().flush();
        return Answer.read(new String(socket.getInputStream().readAllBytes(), StandardCharsets.UTF_8));
      } catch (IOException e) {
        throw new java.io.UncheckedIOException(e);
      }
    });
  }

  record Answer(int statusCode, Map<String, String> headers, String body) {
    static Answer read(String raw) {
      int end = raw.indexOf("\r\n\r\n");
      String[] head = raw.substring(0, end).split("\r\n");
      Map<String, String> headers = new HashMap<>();
      for (int i = 1; i < head.length; i++) {
        int colon = head[i].indexOf(':');
        headers.put(head[i].substring(0, colon).trim().toLowerCase(java.util.Locale.ROOT), head[i].substring(colon + 1).trim());
      }
      String body = raw.substring(end + 4);
      if ("chunked".equals(headers.get("transfer-encoding"))) {
        StringBuilder joined = new StringBuilder();
        int at = 0;
        while (true) {
          int lineEnd = body.indexOf("\r\n", at);
          int size = Integer.parseInt(body.substring(at, lineEnd).trim(), 16);
          if (size == 0) {
            break;
          }
          joined.append(body, lineEnd + 2, lineEnd + 2 + size);
          at = lineEnd + 2 + size + 2;
        }
        body = joined.toString();
      }
      return new Answer(Integer.parseInt(head[0].split(" ")[1]), headers, body);
    }
  }
}
