package dev.orch.gateway.bench;

import io.vertx.core.Vertx;
import io.vertx.core.VertxOptions;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpServerOptions;

/**
 * The agent stand-in for hack/bench-gateway.sh: answers every request with a fixed 13-byte body. It is
 * Vert.x on purpose, so that the backend is not what limits the direct run (python3's http.server would
 * be); the script runs it with a large heap and C2 so that only the gateway is tuned for size.
 *
 * <p>Usage: BenchBackend PORT [EVENT_LOOPS]
 */
public final class BenchBackend {
  private BenchBackend() {
  }

  public static void main(String[] args) {
    int port = Integer.parseInt(args[0]);
    int loops = args.length > 1 ? Integer.parseInt(args[1]) : 1;
    Buffer body = Buffer.buffer("hello, agent\n");
    Vertx vertx = Vertx.vertx(new VertxOptions().setEventLoopPoolSize(loops));
    for (int i = 0; i < loops; i++) {
      vertx.createHttpServer(new HttpServerOptions().setPort(port).setHost("127.0.0.1"))
          .requestHandler(request -> request.response().putHeader("content-type", "text/plain").end(body))
          .listen().toCompletionStage().toCompletableFuture().join();
    }
    System.err.println("bench backend listening on 127.0.0.1:" + port + " with " + loops + " event loop(s)");
  }
}
