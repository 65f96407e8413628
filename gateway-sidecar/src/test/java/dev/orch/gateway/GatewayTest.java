package dev.orch.gateway;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.net.http.WebSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.TimeUnit;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import io.vertx.core.Vertx;
import io.vertx.core.http.HttpServer;
import io.vertx.core.json.JsonObject;

@org.junit.jupiter.api.Timeout(30)
/** The gateway in this JVM, in front of an in-JVM Vert.x server standing in for the agent. */
class GatewayTest {
  @TempDir
  Path statusDir;

  private final Vertx vertx = Vertx.vertx();
  private final HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();
  private int appPort;
  private Gateway gateway;
  private HttpServer app;

  @BeforeEach
  void start() throws Exception {
    appPort = freePort();
    gateway = new Gateway(vertx, new GatewaySettings(0, appPort, 0, statusDir.resolve("agent.json"),
        Duration.ofMillis(500), Duration.ofSeconds(10), Duration.ofMillis(200), Duration.ofSeconds(5)),
        new PrometheusMeterRegistry(PrometheusConfig.DEFAULT), Clock.systemUTC()).start()
        .toCompletionStage().toCompletableFuture().get(10, TimeUnit.SECONDS);
  }

  @AfterEach
  void stop() throws Exception {
    vertx.close().toCompletionStage().toCompletableFuture().get(10, TimeUnit.SECONDS);
  }

  @Test
  void healthFollowsTheRunnerStatusFile() throws Exception {
    assertHealth(503, "no status file");
    status("preparing", "installing dependencies (npm ci)", Instant.now());
    assertHealth(503, "installing dependencies (npm ci)");
    status("failed", "no entrypoint found", Instant.now());
    assertHealth(503, "could not start the agent: no entrypoint found");
    status("running", "running `python bot.py`", Instant.now().minusSeconds(30));
    assertHealth(503, "has not updated its status");
    status("exited", "crashed", Instant.now());
    assertHealth(503, "exited with code 1");
  }

  @Test
  void anAgentWithoutAPortIsHealthyButAnHttpAgentThatStopsListeningIsNot() throws Exception {
    status("running", "running `python worker.py`", Instant.now());
    assertThat(assertHealth(200, "\"listening\":false").body()).contains("\"status\":\"ok\"");
    startApp();
    assertHealth(200, "\"listening\":true");
    app.close().toCompletionStage().toCompletableFuture().get(5, TimeUnit.SECONDS);
    assertHealth(503, "accepted connections earlier in this run but refuses them now");
    // A new run (the agent restarted) starts again as "maybe a worker" until its port opens.
    statusWithRun("run-2");
    assertHealth(200, "\"listening\":false");
  }

  @Test
  void proxiesWithForwardedHeadersAndTheOriginalHost() throws Exception {
    startApp();
    HttpResponse<String> response = http.send(HttpRequest.newBuilder(gatewayUri("/echo?x=1"))
        .header("X-Forwarded-For", "203.0.113.7").build(), HttpResponse.BodyHandlers.ofString());
    assertThat(response.statusCode()).isEqualTo(200);
    JsonObject seen = new JsonObject(response.body());
    assertThat(seen.getString("uri")).isEqualTo("/echo?x=1");
    assertThat(seen.getString("host")).isEqualTo("127.0.0.1:" + gateway.port());
    assertThat(seen.getString("xff")).isEqualTo("203.0.113.7, 127.0.0.1");
    assertThat(seen.getString("proto")).isEqualTo("http");
    assertThat(seen.getString("xfh")).isEqualTo("127.0.0.1:" + gateway.port());
  }

  @Test
  void streamsLargeBodiesBothWays() throws Exception {
    startApp();
    byte[] body = new byte[8 * 1024 * 1024];
    new java.util.Random(1).nextBytes(body);
    HttpResponse<byte[]> response = http.send(HttpRequest.newBuilder(gatewayUri("/upload"))
        .POST(HttpRequest.BodyPublishers.ofInputStream(() -> new java.io.ByteArrayInputStream(body))).build(),
        HttpResponse.BodyHandlers.ofByteArray());
    assertThat(response.statusCode()).isEqualTo(200);
    assertThat(response.body().length).isEqualTo(body.length);
    assertThat(java.util.Arrays.equals(response.body(), body)).isTrue();
  }

  @Test
  void proxiesWebSockets() throws Exception {
    startApp();
    CompletableFuture<String> reply = new CompletableFuture<>();
    WebSocket socket = http.newWebSocketBuilder().buildAsync(URI.create("ws://127.0.0.1:" + gateway.port() + "/ws"),
        new WebSocket.Listener() {
          @Override
          public CompletionStage<?> onText(WebSocket webSocket, CharSequence data, boolean last) {
            reply.complete(data.toString());
            return null;
          }
        }).get(5, TimeUnit.SECONDS);
    socket.sendText("ping", true);
    assertThat(reply.get(5, TimeUnit.SECONDS)).isEqualTo("echo: ping");
    socket.sendClose(WebSocket.NORMAL_CLOSURE, "").get(5, TimeUnit.SECONDS);
  }

  @Test
  void badGatewayWhenTheAgentIsDownAndGatewayTimeoutWhenItIsSilent() throws Exception {
    HttpResponse<String> down = get("/anything");
    assertThat(down.statusCode()).isEqualTo(502);
    assertThat(down.body()).contains("nothing accepts connections on the agent's port " + appPort);
    startApp();
    HttpResponse<String> slow = get("/never");
    assertThat(slow.statusCode()).isEqualTo(504);
    assertThat(slow.body()).contains("did not answer");
    String metrics = http.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + gateway.metricsPort()
        + "/metrics")).build(), HttpResponse.BodyHandlers.ofString()).body();
    assertThat(metrics).contains("orch_gateway_upstream_errors_total{kind=\"timeout\"} 1.0")
        .contains("orch_gateway_upstream_errors_total{kind=\"unreachable\"} 1.0")
        .contains("orch_gateway_responses_total{code=\"5xx\"} 2.0");
  }

  @Test
  void drainTurnsHealthRedButFinishesInFlightRequests() throws Exception {
    startApp();
    status("running", "running", Instant.now());
    CompletableFuture<HttpResponse<String>> slow = http.sendAsync(HttpRequest.newBuilder(gatewayUri("/slow")).build(),
        HttpResponse.BodyHandlers.ofString());
    while (gateway.inFlight() == 0) {
      Thread.sleep(10);
    }
    var drained = gateway.drain();
    assertHealth(503, "draining");
    assertThat(slow.get(5, TimeUnit.SECONDS).body()).isEqualTo("finally");
    drained.toCompletionStage().toCompletableFuture().get(5, TimeUnit.SECONDS);
    assertThat(gateway.inFlight()).isZero();
  }

  private void startApp() throws Exception {
    app = vertx.createHttpServer().webSocketHandler(ws -> ws.textMessageHandler(text -> ws.writeTextMessage("echo: " + text)))
        .requestHandler(request -> {
          switch (request.path()) {
            case "/upload" -> request.body().onSuccess(buffer -> request.response().end(buffer));
            case "/never" -> { }
            case "/slow" -> vertx.setTimer(400, t -> request.response().end("finally"));
            default -> request.response().end(new JsonObject().put("uri", request.uri())
                .put("host", request.getHeader("Host")).put("xff", request.getHeader("X-Forwarded-For"))
                .put("proto", request.getHeader("X-Forwarded-Proto")).put("xfh", request.getHeader("X-Forwarded-Host"))
                .encode());
          }
        }).listen(appPort, "127.0.0.1").toCompletionStage().toCompletableFuture().get(5, TimeUnit.SECONDS);
  }

  private HttpResponse<String> assertHealth(int code, String bodyPart) throws Exception {
    HttpResponse<String> response = get("/health");
    assertThat(response.statusCode()).as(response.body()).isEqualTo(code);
    assertThat(response.body()).contains(bodyPart);
    assertThat(response.headers().firstValue("content-type")).contains("application/json");
    return response;
  }

  private HttpResponse<String> get(String path) throws IOException, InterruptedException {
    return http.send(HttpRequest.newBuilder(gatewayUri(path)).build(), HttpResponse.BodyHandlers.ofString());
  }

  private URI gatewayUri(String path) {
    return URI.create("http://127.0.0.1:" + gateway.port() + path);
  }

  private void status(String phase, String message, Instant updatedAt) throws IOException {
    Files.writeString(statusDir.resolve("agent.json"), new JsonObject().put("phase", phase).put("message", message)
        .put("runId", "run-1").put("pid", 42).put("exitCode", 1).put("updatedAt", updatedAt.toString()).encode());
  }

  private void statusWithRun(String runId) throws IOException {
    Files.writeString(statusDir.resolve("agent.json"), new JsonObject().put("phase", "running").put("message", "")
        .put("runId", runId).put("pid", 43).put("updatedAt", Instant.now().toString()).encode());
  }

  private static int freePort() throws IOException {
    try (java.net.ServerSocket socket = new java.net.ServerSocket(0)) {
      return socket.getLocalPort();
    }
  }
}
