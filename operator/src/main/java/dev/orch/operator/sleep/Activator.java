package dev.orch.operator.sleep;

import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

import org.jboss.logging.Logger;

import dev.orch.operator.agent.AgentPod;
import dev.orch.operator.agentservice.AgentService;
import dev.orch.operator.core.MetadataKeys;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.dsl.base.PatchContext;
import io.fabric8.kubernetes.client.dsl.base.PatchType;
import io.vertx.core.Context;
import io.vertx.core.Future;
import io.vertx.core.MultiMap;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpClient;
import io.vertx.core.http.HttpClientOptions;
import io.vertx.core.http.HttpClientRequest;
import io.vertx.core.http.HttpClientResponse;
import io.vertx.core.http.HttpHeaders;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.http.HttpServer;
import io.vertx.core.http.HttpServerOptions;
import io.vertx.core.http.HttpServerRequest;
import io.vertx.core.http.RequestOptions;

/**
 * Where a sleeping service's requests arrive (its Service's EndpointSlice points here; every operator replica
 * runs one). It holds each request, with its body, in a bounded queue per service; asks for a wake by setting
 * the annotation {@link SleepRequests#WAKE_ON_REQUEST} on the AgentService (any replica may; the leader's
 * reconciler scales the Deployment up); and sends the request to a ready pod's gateway once there is one. A
 * request waits at most {@code maxWait}, then gets 503 with Retry-After.
 *
 * <p>Each request is answered exactly once: it is claimed either by the forward or by the timeout, never both.
 * It is sent again only when it cannot have reached the agent (the gateway refused the connection, or the
 * gateway said with {@code x-orch-not-sent} that the agent's port was closed, as while an agent starts).
 */
public final class Activator implements AutoCloseable {
  private static final Logger LOG = Logger.getLogger(Activator.class);
  private static final long RETRY_MILLIS = 100;
  private static final long QUIET_NANOS = TimeUnit.MINUTES.toNanos(2);
  private static final long WAKE_ASK_AGAIN_NANOS = TimeUnit.SECONDS.toNanos(10);
  private static final Set<String> HOP_BY_HOP = Set.of("connection", "keep-alive", "proxy-authenticate",
      "proxy-authorization", "te", "trailer", "transfer-encoding", "upgrade", "proxy-connection");
  private final Vertx vertx;
  private final KubernetesClient client;
  private final SleepSettings settings;
  private final SleepingServices services;
  private final HttpClient http;
  private final Map<SleepingServices.Target, ReadyPods> targets = new ConcurrentHashMap<>();
  private final HttpServer server;
  private final long sweeper;
  private final int gatewayPort;

  public Activator(Vertx vertx, KubernetesClient client, SleepSettings settings, List<String> namespaces) {
    this(vertx, client, settings, namespaces, AgentPod.GATEWAY_PORT);
  }

  /** With the pods' gateway on another port than the pods' own, for tests that play the gateway on loopback. */
  Activator(Vertx vertx, KubernetesClient client, SleepSettings settings, List<String> namespaces, int gatewayPort) {
    this.gatewayPort = gatewayPort;
    this.vertx = vertx;
    this.client = client;
    this.settings = settings;
    this.services = new SleepingServices(client, namespaces);
    this.http = vertx.createHttpClient(new HttpClientOptions().setConnectTimeout(2000).setKeepAlive(true)
        .setMaxPoolSize(64));
    this.server = vertx.createHttpServer(new HttpServerOptions().setHost("0.0.0.0").setPort(settings.activatorPort()))
        .requestHandler(this::handle);
    server.listen().toCompletionStage().toCompletableFuture().join();
    this.sweeper = vertx.setPeriodic(30_000, id -> closeQuiet());
  }

  /** The port it listens on (the configured one, or the one given when configured as 0). */
  public int port() {
    return server.actualPort();
  }

  private void handle(HttpServerRequest request) {
    // HTTP/1.1's Host or HTTP/2's :authority (Vert.x upgrades h2c connections).
    String host = request.authority() == null ? null : request.authority().host();
    SleepingServices.Target target = services.find(host).orElse(null);
    if (target == null) {
      answer(request, 404, null, "none of the " + services.known() + " AgentService Services this activator knows answers"
          + " to host " + host + "; call it by its Service's ClusterIP or NAME.NAMESPACE.svc\n");
      return;
    }
    ReadyPods pods = targets.computeIfAbsent(target, t -> new ReadyPods(client, t, vertx, this::gatewayHealthy));
    pods.lastUsedNanos = System.nanoTime();
    if (request.headers().contains(HttpHeaders.UPGRADE)) {
      // A tunnel cannot be held and replayed: wake the service and let the client reconnect.
      if (pods.pick() == null) {
        askForWake(target, pods);
      }
      answer(request, 503, "2", "the service is waking up; reconnect in a moment\n");
      return;
    }
    if (pods.held.incrementAndGet() > settings.maxHeldRequests()) {
      pods.held.decrementAndGet();
      answer(request, 503, "5", "too many requests are waiting for this service to wake; retry later\n");
      return;
    }
    Held held = new Held(request, target, pods, vertx.getOrCreateContext());
    request.pause();
    held.readBody();
  }

  /** One request the activator holds: its body, its deadline, and who answers it. */
  private final class Held {
    private static final int WAITING = 0;
    private static final int FORWARDING = 1;
    private static final int ANSWERED = 2;
    private final HttpServerRequest request;
    private final SleepingServices.Target target;
    private final ReadyPods pods;
    private final Context context;
    private final AtomicInteger state = new AtomicInteger(WAITING);
    private final long deadline;
    private Buffer body = Buffer.buffer();
    private long timer = -1;

    Held(HttpServerRequest request, SleepingServices.Target target, ReadyPods pods, Context context) {
      this.request = request;
      this.target = target;
      this.pods = pods;
      this.context = context;
      this.deadline = System.nanoTime() + settings.maxWait().toNanos();
    }

    void readBody() {
      request.handler(chunk -> {
        if (body.length() + chunk.length() > settings.maxBodyBytes()) {
          request.handler(null);
          finish(413, null, "the request body is larger than the " + settings.maxBodyBytes() + " bytes the activator"
              + " holds while the service wakes (orch.sleep.max-body-bytes); send it again once the service is awake\n");
          return;
        }
        body.appendBuffer(chunk);
      });
      request.endHandler(end -> start());
      request.exceptionHandler(error -> release());
      request.resume();
    }

    private void start() {
      if (state.get() != WAITING) {
        return;
      }
      timer = vertx.setTimer(Math.max(1, TimeUnit.NANOSECONDS.toMillis(deadline - System.nanoTime())),
          id -> finish(503, "5", "the service did not wake within " + settings.maxWait().toSeconds()
              + " s (orch.sleep.max-wait); retry after the Retry-After seconds\n"));
      if (pods.pick() == null) {
        askForWake(target, pods);
      }
      pods.whenReady(() -> context.runOnContext(v -> forward()));
    }

    private void forward() {
      if (state.get() != WAITING) {
        return;
      }
      String address = pods.pick();
      if (address == null) {
        pods.whenReady(() -> context.runOnContext(v -> forward()));
        return;
      }
      if (!state.compareAndSet(WAITING, FORWARDING)) {
        return;
      }
      RequestOptions options = new RequestOptions().setHost(address).setPort(gatewayPort)
          .setMethod(request.method()).setURI(request.uri()).setHeaders(forwardedHeaders());
      http.request(options)
          .compose(outgoing -> outgoing.send(body))
          .onSuccess(response -> {
            if (response.statusCode() == 502 && response.getHeader("x-orch-not-sent") != null) {
              response.body();
              retryLater();
            } else {
              relay(response);
            }
          })
          .onFailure(error -> {
            if (isConnectFailure(error)) {
              retryLater();
            } else {
              answerOnce(502, null, "the agent's gateway did not answer: " + error.getMessage() + "\n");
            }
          });
    }

    /** The request cannot have reached the agent: try again until the deadline, which then answers 503. */
    private void retryLater() {
      state.set(WAITING);
      if (System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(RETRY_MILLIS) >= deadline) {
        finish(503, "5", "the service woke but its agent did not accept the request within "
            + settings.maxWait().toSeconds() + " s (orch.sleep.max-wait); retry after the Retry-After seconds\n");
        return;
      }
      vertx.setTimer(RETRY_MILLIS, id -> forward());
    }

    private void relay(HttpClientResponse response) {
      state.set(ANSWERED);
      cancelTimer();
      release();
      var out = request.response().setStatusCode(response.statusCode()).setStatusMessage(response.statusMessage());
      response.headers().forEach(h -> {
        if (!HOP_BY_HOP.contains(h.getKey().toLowerCase(java.util.Locale.ROOT))) {
          out.headers().add(h.getKey(), h.getValue());
        }
      });
      if (!out.headers().contains(HttpHeaders.CONTENT_LENGTH)) {
        out.setChunked(true);
      }
      response.pipeTo(out);
    }

    private MultiMap forwardedHeaders() {
      MultiMap headers = MultiMap.caseInsensitiveMultiMap();
      request.headers().forEach(h -> {
        if (!HOP_BY_HOP.contains(h.getKey().toLowerCase(java.util.Locale.ROOT))) {
          headers.add(h.getKey(), h.getValue());
        }
      });
      headers.set(HttpHeaders.CONTENT_LENGTH, Integer.toString(body.length()));
      String client = request.remoteAddress() == null ? null : request.remoteAddress().hostAddress();
      if (client != null) {
        String earlier = headers.get("x-forwarded-for");
        headers.set("x-forwarded-for", earlier == null ? client : earlier + ", " + client);
      }
      return headers;
    }

    /** Answers unless the forward or the timeout already did. */
    private void finish(int status, String retryAfter, String message) {
      if (state.compareAndSet(WAITING, ANSWERED)) {
        cancelTimer();
        release();
        answer(request, status, retryAfter, message);
      }
    }

    private void answerOnce(int status, String retryAfter, String message) {
      if (state.compareAndSet(FORWARDING, ANSWERED)) {
        cancelTimer();
        release();
        answer(request, status, retryAfter, message);
      }
    }

    private void cancelTimer() {
      if (timer >= 0) {
        vertx.cancelTimer(timer);
      }
    }

    private boolean released;

    private void release() {
      if (!released) {
        released = true;
        pods.held.decrementAndGet();
      }
    }
  }

  private static boolean isConnectFailure(Throwable error) {
    for (Throwable cause = error; cause != null; cause = cause.getCause()) {
      if (cause instanceof java.net.ConnectException) {
        return true;
      }
    }
    return false;
  }

  /** Whether the gateway at this pod address answers /health with 200 (its agent is running and listening). */
  private Future<Boolean> gatewayHealthy(String address) {
    RequestOptions options = new RequestOptions().setHost(address).setPort(gatewayPort).setMethod(HttpMethod.GET)
        .setURI("/health").setTimeout(ReadyPods.HEALTH_POLL_MILLIS * 5);
    return http.request(options).compose(HttpClientRequest::send)
        .compose(response -> response.body().map(body -> response.statusCode() == 200))
        .otherwise(false);
  }

  /** Sets the wake annotation, at most every 10 s per service while none of its pods is ready. */
  private void askForWake(SleepingServices.Target target, ReadyPods pods) {
    long now = System.nanoTime();
    long asked = pods.wakeAskedNanos;
    if (asked != 0 && now - asked < WAKE_ASK_AGAIN_NANOS) {
      return;
    }
    pods.wakeAskedNanos = now;
    String patch = "{\"metadata\":{\"annotations\":{\"" + MetadataKeys.WAKE_ON_REQUEST + "\":\"" + Instant.now() + "\"}}}";
    vertx.executeBlocking(() -> client.resources(AgentService.class).inNamespace(target.namespace()).withName(target.name())
        .patch(PatchContext.of(PatchType.JSON_MERGE), patch), false)
        .onFailure(error -> {
          pods.wakeAskedNanos = 0;
          LOG.warnf("could not ask for a wake of %s/%s: %s", target.namespace(), target.name(), error.getMessage());
        });
  }

  private static void answer(HttpServerRequest request, int status, String retryAfter, String message) {
    var response = request.response().setStatusCode(status).putHeader(HttpHeaders.CONTENT_TYPE, "text/plain; charset=utf-8");
    if (retryAfter != null) {
      response.putHeader(HttpHeaders.RETRY_AFTER, retryAfter);
    }
    response.end(message);
  }

  private void closeQuiet() {
    long now = System.nanoTime();
    targets.entrySet().removeIf(entry -> {
      ReadyPods pods = entry.getValue();
      boolean quiet = pods.held.get() == 0 && now - pods.lastUsedNanos > QUIET_NANOS;
      if (quiet) {
        pods.close();
      }
      return quiet;
    });
  }

  @Override
  public void close() {
    vertx.cancelTimer(sweeper);
    server.close();
    http.close();
    targets.values().forEach(ReadyPods::close);
    services.close();
  }
}
