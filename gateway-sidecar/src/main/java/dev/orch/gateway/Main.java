package dev.orch.gateway;

import java.time.Clock;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.concurrent.CountDownLatch;

import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import io.vertx.core.Vertx;
import io.vertx.core.VertxOptions;
import sun.misc.Signal;

/** Starts the gateway and drains it on SIGTERM/SIGINT. */
public final class Main {
  private Main() {
  }

  public static void main(String[] args) throws InterruptedException {
    GatewaySettings settings;
    try {
      settings = GatewaySettings.fromEnvironment(System.getenv());
    } catch (IllegalArgumentException e) {
      log(e.getMessage());
      System.exit(2);
      return;
    }
    // One event loop: the client connection to the agent then lives on the thread of the request it serves,
    // so a proxied request never hops threads (measured: as fast as two loops on two cores, lower p50, fewer
    // threads). Netty's epoll transport (bundled for x86_64 and aarch64) costs less CPU per request than NIO;
    // Vert.x falls back to NIO by itself where it cannot load.
    Vertx vertx = Vertx.vertx(new VertxOptions().setPreferNativeTransport(true).setEventLoopPoolSize(1)
        .setWorkerPoolSize(1).setInternalBlockingPoolSize(1));
    Gateway gateway;
    try {
      gateway = new Gateway(vertx, settings, new PrometheusMeterRegistry(PrometheusConfig.DEFAULT), Clock.systemUTC())
          .start().toCompletionStage().toCompletableFuture().join();
    } catch (RuntimeException e) {
      log("cannot start: " + e.getMessage() + " (is another process using port " + settings.listenPort() + "?)");
      System.exit(1);
      return;
    }
    log("listening on :" + gateway.port() + ", proxying to 127.0.0.1:" + settings.appPort() + ", metrics on :"
        + gateway.metricsPort() + "/metrics, agent status from " + settings.statusFile() + ", "
        + (vertx.isNativeTransportEnabled() ? "epoll" : "NIO (" + vertx.unavailableNativeTransportCause() + ")")
        + " transport");
    CountDownLatch stopped = new CountDownLatch(1);
    for (String name : new String[] {"TERM", "INT"}) {
      Signal.handle(new Signal(name), signal -> {
        log("SIG" + name + ": draining (health 503, finishing in-flight requests)");
        gateway.drain().onComplete(done -> stopped.countDown());
      });
    }
    stopped.await();
    log("drained, exiting");
    vertx.close().toCompletionStage().toCompletableFuture().join();
    System.exit(0);
  }

  static void log(String message) {
    System.err.println(Instant.now().truncatedTo(ChronoUnit.MILLIS) + " [gateway] " + message);
  }
}
