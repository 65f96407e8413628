package dev.orch.gateway;

import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.concurrent.atomic.AtomicReference;

import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.json.JsonObject;
import io.vertx.core.net.NetClient;
import io.vertx.core.net.NetClientOptions;

/**
 * Decides what GET /health answers, from two sources:
 * <ol>
 * <li>The runner's status file ({@code $ORCH_STATUS_DIR/agent.json}, written by the runner's StatusFile):
 * {@code phase} must be "running" and {@code updatedAt} younger than the stale limit, since the runner
 * rewrites it every 2 s while the agent process lives. Any other phase gives 503 with the runner's message
 * (preparing, failed, exited with code N).</li>
 * <li>The agent's port. An agent that serves HTTP and one that never opens a port (a Discord bot, a
 * poller) look the same to the gateway until the port first accepts a connection. From then on, for the
 * same run (the status file's {@code runId}), a refused connection means the HTTP agent is up but not
 * serving, which is 503; before that, a closed port is normal and the agent is healthy.</li>
 * </ol>
 */
final class AgentHealth {
  record Verdict(boolean healthy, JsonObject body) {
  }

  private final Vertx vertx;
  private final GatewaySettings settings;
  private final Clock clock;
  private final NetClient probe;
  /** The run whose port has accepted a connection; the agent is an HTTP agent for that run. */
  private final AtomicReference<String> listeningRun = new AtomicReference<>();
  private volatile String currentRun;

  AgentHealth(Vertx vertx, GatewaySettings settings, Clock clock) {
    this.vertx = vertx;
    this.settings = settings;
    this.clock = clock;
    this.probe = vertx.createNetClient(new NetClientOptions().setConnectTimeout(1000));
  }

  /** The proxy reached the agent: it serves HTTP in the current run. */
  void sawListening() {
    String run = currentRun;
    if (run != null) {
      listeningRun.set(run);
    }
  }

  Future<Verdict> check() {
    String file = settings.statusFile().toString();
    return vertx.fileSystem().readFile(file).transform(read -> {
      if (read.failed()) {
        return Future.succeededFuture(unhealthy("starting", "waiting for the runner: no status file at " + file
            + " yet"));
      }
      JsonObject status;
      try {
        status = read.result().toJsonObject();
      } catch (RuntimeException e) {
        return Future.succeededFuture(unhealthy("unknown", "the runner's status file " + file + " is not valid JSON"));
      }
      return judge(status);
    });
  }

  private Future<Verdict> judge(JsonObject status) {
    String phase = status.getString("phase", "unknown");
    String message = status.getString("message", "");
    switch (phase) {
      case "running" -> {
        // handled below
      }
      case "exited" -> {
        return Future.succeededFuture(unhealthy(phase, "the agent exited with code " + status.getValue("exitCode")
            + ": " + message));
      }
      case "failed" -> {
        return Future.succeededFuture(unhealthy(phase, "the runner could not start the agent: " + message));
      }
      default -> {
        return Future.succeededFuture(unhealthy(phase, message));
      }
    }
    Duration age = Duration.between(parse(status.getString("updatedAt")), Instant.now(clock));
    if (age.compareTo(settings.staleAfter()) > 0) {
      return Future.succeededFuture(unhealthy("stale", "the runner has not updated its status for "
          + age.toSeconds() + " s; the agent container stopped or is frozen"));
    }
    String run = status.getString("runId", "");
    currentRun = run;
    int port = settings.appPort();
    return probe.connect(port, "127.0.0.1").transform(connect -> {
      JsonObject body = new JsonObject().put("status", "ok").put("phase", phase).put("runId", run)
          .put("pid", status.getValue("pid")).put("port", port);
      if (connect.succeeded()) {
        connect.result().close();
        listeningRun.set(run);
        return Future.succeededFuture(new Verdict(true, body.put("listening", true)));
      }
      if (run.equals(listeningRun.get())) {
        return Future.succeededFuture(unhealthy("not-serving", "the agent's port " + port
            + " accepted connections earlier in this run but refuses them now"));
      }
      return Future.succeededFuture(new Verdict(true, body.put("listening", false)));
    });
  }

  private static Instant parse(String timestamp) {
    try {
      return Instant.parse(timestamp);
    } catch (RuntimeException e) {
      return Instant.EPOCH;
    }
  }

  static Verdict unhealthy(String phase, String reason) {
    return new Verdict(false, new JsonObject().put("status", "unavailable").put("phase", phase).put("reason", reason));
  }
}
