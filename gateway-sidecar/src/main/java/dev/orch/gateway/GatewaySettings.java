package dev.orch.gateway;

import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;

/**
 * The gateway's configuration, read from the pod's environment the operator writes (ORCHAGENT_HTTP_PORT,
 * ORCH_STATUS_DIR). The ORCH_GATEWAY_* variables are tuning knobs with defaults that suit the pod;
 * ORCH_GATEWAY_LISTEN_PORT exists only so the gateway can run outside a pod (hack/bench-gateway.sh), where
 * 8080 may be taken.
 *
 * @param statusFile the runner's status file (see {@link AgentHealth})
 * @param upstreamTimeout how long the agent may stay silent on a request before the gateway answers 504
 * @param staleAfter a "running" status file older than this means the runner is gone
 * @param drainDelay after SIGTERM, how long to keep serving while endpoints are removed
 * @param drainTimeout after the delay, how long to wait for in-flight requests
 */
public record GatewaySettings(int listenPort, int appPort, int metricsPort, Path statusFile, Duration upstreamTimeout,
    Duration staleAfter, Duration drainDelay, Duration drainTimeout) {
  public static final int LISTEN_PORT = 8080;
  static final int DEFAULT_APP_PORT = 3000;
  static final int DEFAULT_METRICS_PORT = 9090;

  public static GatewaySettings fromEnvironment(Map<String, String> env) {
    int listenPort = Integer.parseInt(env.getOrDefault("ORCH_GATEWAY_LISTEN_PORT", Integer.toString(LISTEN_PORT)));
    return new GatewaySettings(listenPort, appPort(env.get("ORCHAGENT_HTTP_PORT"), listenPort),
        Integer.parseInt(env.getOrDefault("ORCH_GATEWAY_METRICS_PORT", Integer.toString(DEFAULT_METRICS_PORT))),
        Path.of(env.getOrDefault("ORCH_STATUS_DIR", "/orch/status")).resolve("agent.json"),
        seconds(env, "ORCH_GATEWAY_UPSTREAM_TIMEOUT_SECONDS", 60),
        seconds(env, "ORCH_GATEWAY_STALE_SECONDS", 10),
        seconds(env, "ORCH_GATEWAY_DRAIN_DELAY_SECONDS", 3),
        seconds(env, "ORCH_GATEWAY_DRAIN_TIMEOUT_SECONDS", 20));
  }

  private static int appPort(String raw, int listenPort) {
    if (raw == null || raw.isBlank()) {
      return DEFAULT_APP_PORT;
    }
    int port;
    try {
      port = Integer.parseInt(raw.strip());
    } catch (NumberFormatException e) {
      throw new IllegalArgumentException("ORCHAGENT_HTTP_PORT=" + raw + " is not a port number; set spec.http.port"
          + " to the port the agent listens on (1-65535, default 3000)");
    }
    if (port < 1 || port > 65535 || port == listenPort) {
      throw new IllegalArgumentException("ORCHAGENT_HTTP_PORT=" + port + " cannot be used: the agent's port must be"
          + " 1-65535 and not " + listenPort + ", which the gateway owns; set spec.http.port to e.g. 3000");
    }
    return port;
  }

  private static Duration seconds(Map<String, String> env, String name, long fallback) {
    String raw = env.get(name);
    try {
      return Duration.ofMillis((long) (Double.parseDouble(raw == null ? Long.toString(fallback) : raw) * 1000));
    } catch (NumberFormatException e) {
      throw new IllegalArgumentException(name + "=" + raw + " is not a number of seconds");
    }
  }
}
