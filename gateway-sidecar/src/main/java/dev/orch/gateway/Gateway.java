package dev.orch.gateway;

import java.time.Clock;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicInteger;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.Timer;
import io.micrometer.core.instrument.binder.jvm.JvmMemoryMetrics;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import io.vertx.core.Future;
import io.vertx.core.Handler;
import io.vertx.core.Promise;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpClient;
import io.vertx.core.http.HttpClientOptions;
import io.vertx.core.http.HttpHeaders;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.http.HttpServer;
import io.vertx.core.http.HttpServerOptions;
import io.vertx.core.http.HttpServerRequest;
import io.vertx.core.http.HttpServerResponse;
import io.vertx.core.http.PoolOptions;
import io.vertx.core.http.RequestOptions;
import io.vertx.core.net.SocketAddress;
import io.vertx.httpproxy.Body;
import io.vertx.httpproxy.HttpProxy;
import io.vertx.httpproxy.ProxyContext;
import io.vertx.httpproxy.ProxyInterceptor;
import io.vertx.httpproxy.ProxyOptions;
import io.vertx.httpproxy.ProxyResponse;

/**
 * The sidecar: GET /health answers from {@link AgentHealth}; every other request (WebSocket upgrades
 * included) goes through Vert.x's reverse proxy to 127.0.0.1:appPort, streamed both ways, with
 * X-Forwarded-For/-Proto/-Host added and the original Host kept. The agent unreachable is 502, the agent
 * silent for longer than the upstream timeout is 504, each with a one-line explanation. Prometheus
 * metrics are served on their own port so they never shadow an agent's own /metrics.
 */
public final class Gateway {
  private final Vertx vertx;
  private final GatewaySettings settings;
  private final PrometheusMeterRegistry registry;
  private final AgentHealth health;
  private final AtomicInteger inFlight = new AtomicInteger();
  private final Timer latency;
  private final Counter[] responses = new Counter[6];
  private final Counter unreachable;
  private final Counter timeouts;
  private volatile boolean draining;
  private HttpServer server;
  private HttpServer metricsServer;
  private HttpProxy proxy;

  public Gateway(Vertx vertx, GatewaySettings settings, PrometheusMeterRegistry registry, Clock clock) {
    this.vertx = vertx;
    this.settings = settings;
    this.registry = registry;
    this.health = new AgentHealth(vertx, settings, clock);
    new JvmMemoryMetrics().bindTo(registry);
    registry.gauge("orch_gateway_inflight_requests", inFlight);
    this.latency = Timer.builder("orch_gateway_request_duration").description("Time to answer a request")
        .register(registry);
    for (int i = 1; i <= 5; i++) {
      responses[i] = Counter.builder("orch_gateway_responses").tag("code", i + "xx").register(registry);
    }
    this.unreachable = Counter.builder("orch_gateway_upstream_errors").tag("kind", "unreachable").register(registry);
    this.timeouts = Counter.builder("orch_gateway_upstream_errors").tag("kind", "timeout").register(registry);
  }

  public Future<Gateway> start() {
    HttpClient client = vertx.createHttpClient(new HttpClientOptions().setKeepAlive(true).setPipelining(false)
        .setConnectTimeout(2000).setDecompressionSupported(false), new PoolOptions().setHttp1MaxSize(256));
    proxy = HttpProxy.reverseProxy(new ProxyOptions().setSupportWebSocket(true), client);
    SocketAddress app = SocketAddress.inetSocketAddress(settings.appPort(), "127.0.0.1");
    long timeout = settings.upstreamTimeout().toMillis();
    proxy.originRequestProvider((request, http) -> http.request(new RequestOptions().setServer(app))
        .map(origin -> origin.idleTimeout(timeout)));
    proxy.addInterceptor(new ProxyInterceptor() {
      @Override
      public Future<ProxyResponse> handleProxyRequest(ProxyContext context) {
        if (context.request().proxiedRequest().authority() != null) {
          context.request().setAuthority(context.request().proxiedRequest().authority());
        }
        return context.sendRequest().map(response -> {
          health.sawListening();
          return response;
        }).recover(failure -> Future.succeededFuture(explain(context, failure)));
      }
    });
    server = vertx.createHttpServer(new HttpServerOptions().setPort(settings.listenPort()).setHost("0.0.0.0")
        .setCompressionSupported(false).setIdleTimeout(0)
        // Ingress controllers and kubelet probes speak HTTP/1.1 to pods; h2c upgrades would only add a path.
        .setHttp2ClearTextEnabled(false));
    server.requestHandler(this::handle);
    return server.listen().compose(bound -> startMetrics()).map(this);
  }

  private Future<Void> startMetrics() {
    if (settings.metricsPort() < 0) {
      return Future.succeededFuture();
    }
    metricsServer = vertx.createHttpServer(new HttpServerOptions().setPort(settings.metricsPort()));
    metricsServer.requestHandler(request -> {
      if (request.path().equals("/metrics")) {
        request.response().putHeader(HttpHeaders.CONTENT_TYPE, "text/plain; version=0.0.4; charset=utf-8")
            .end(registry.scrape());
      } else {
        request.response().setStatusCode(404).end("metrics are at /metrics\n");
      }
    });
    // The agent shares the pod's network namespace and may already use this port; metrics are optional.
    return metricsServer.listen().<Void>mapEmpty().recover(failure -> {
      Main.log("metrics disabled: cannot listen on port " + settings.metricsPort() + " (" + failure.getMessage()
          + "); set ORCH_GATEWAY_METRICS_PORT to a free port");
      metricsServer = null;
      return Future.succeededFuture();
    });
  }

  /** The port the gateway listens on (the configured one, or the one picked for port 0 in tests). */
  public int port() {
    return server.actualPort();
  }

  public int metricsPort() {
    return metricsServer == null ? -1 : metricsServer.actualPort();
  }

  private void handle(HttpServerRequest request) {
    inFlight.incrementAndGet();
    Completion completion = new Completion(request.response());
    request.response().endHandler(completion).closeHandler(completion);
    if (draining) {
      // Ask keep-alive clients to reconnect, which lands them on a pod that is not stopping.
      request.response().putHeader(HttpHeaders.CONNECTION, "close");
    }
    if (request.method() == HttpMethod.GET && request.path().equals("/health")) {
      answerHealth(request);
      return;
    }
    String client = request.remoteAddress() == null ? null : request.remoteAddress().hostAddress();
    String forwardedFor = request.getHeader("X-Forwarded-For");
    if (client != null) {
      request.headers().set("X-Forwarded-For", forwardedFor == null ? client : forwardedFor + ", " + client);
    }
    if (request.getHeader("X-Forwarded-Proto") == null) {
      request.headers().set("X-Forwarded-Proto", request.isSSL() ? "https" : "http");
    }
    String host = request.getHeader(HttpHeaders.HOST);
    if (request.getHeader("X-Forwarded-Host") == null && host != null) {
      request.headers().set("X-Forwarded-Host", host);
    }
    proxy.handle(request);
  }

  /**
   * Counts a request once, when its response ends or its connection closes, whichever comes first. Both
   * callbacks run on the request's event loop, so a plain flag is enough.
   */
  private final class Completion implements Handler<Void> {
    private final long start = System.nanoTime();
    private final HttpServerResponse response;
    private boolean counted;

    Completion(HttpServerResponse response) {
      this.response = response;
    }

    @Override
    public void handle(Void ignored) {
      if (counted) {
        return;
      }
      counted = true;
      inFlight.decrementAndGet();
      latency.record(System.nanoTime() - start, TimeUnit.NANOSECONDS);
      int klass = response.getStatusCode() / 100;
      if (klass >= 1 && klass <= 5) {
        responses[klass].increment();
      }
    }
  }

  private void answerHealth(HttpServerRequest request) {
    Future<AgentHealth.Verdict> verdict = draining
        ? Future.succeededFuture(AgentHealth.unhealthy("draining", "the pod is stopping"))
        : health.check();
    verdict.onComplete(result -> {
      AgentHealth.Verdict v = result.succeeded() ? result.result()
          : AgentHealth.unhealthy("unknown", "health check failed: " + result.cause());
      request.response().setStatusCode(v.healthy() ? 200 : 503)
          .putHeader(HttpHeaders.CONTENT_TYPE, "application/json").putHeader(HttpHeaders.CACHE_CONTROL, "no-store")
          .end(v.body().encode() + "\n");
    });
  }

  private ProxyResponse explain(ProxyContext context, Throwable failure) {
    boolean timedOut = failure instanceof TimeoutException;
    (timedOut ? timeouts : unreachable).increment();
    String message = timedOut
        ? "gateway timeout: the agent did not answer within " + settings.upstreamTimeout().toSeconds() + " s\n"
        : "bad gateway: nothing accepts connections on the agent's port " + settings.appPort()
            + " (the agent must listen on 0.0.0.0 or 127.0.0.1 port $PORT)\n";
    try {
      context.request().release();
    } catch (IllegalStateException alreadyRead) {
      // The request body was already sent upstream before the failure; there is nothing left to release.
    }
    return context.request().response().setStatusCode(timedOut ? 504 : 502)
        .putHeader(HttpHeaders.CONTENT_TYPE, "text/plain; charset=utf-8")
        .setBody(Body.body(Buffer.buffer(message)));
  }

  /**
   * Graceful stop: /health turns 503 at once so the endpoint is taken out of rotation, requests keep being
   * served for the drain delay (endpoint removal is not instant), then the gateway waits for in-flight
   * requests up to the drain timeout and closes.
   */
  public Future<Void> drain() {
    draining = true;
    Promise<Void> drained = Promise.promise();
    long deadline = System.nanoTime() + settings.drainDelay().plus(settings.drainTimeout()).toNanos();
    vertx.setTimer(Math.max(1, settings.drainDelay().toMillis()), t -> awaitIdle(deadline, drained));
    return drained.future().compose(v -> server.close())
        .compose(v -> metricsServer == null ? Future.succeededFuture() : metricsServer.close());
  }

  private void awaitIdle(long deadline, Promise<Void> drained) {
    if (inFlight.get() == 0 || System.nanoTime() > deadline) {
      drained.complete();
    } else {
      vertx.setTimer(50, t -> awaitIdle(deadline, drained));
    }
  }

  int inFlight() {
    return inFlight.get();
  }
}
