package dev.orch.gateway;

import java.util.Map;

/** The gateway's configuration, read from the pod's environment the operator writes. */
public record GatewaySettings(int listenPort, int appPort) {
  public static final int LISTEN_PORT = 8080;
  static final int DEFAULT_APP_PORT = 3000;

  public static GatewaySettings fromEnvironment(Map<String, String> env) {
    String raw = env.get("ORCHAGENT_HTTP_PORT");
    if (raw == null || raw.isBlank()) {
      return new GatewaySettings(LISTEN_PORT, DEFAULT_APP_PORT);
    }
    int port;
    try {
      port = Integer.parseInt(raw.strip());
    } catch (NumberFormatException e) {
      throw new IllegalArgumentException("ORCHAGENT_HTTP_PORT=" + raw + " is not a port number; set spec.http.port"
          + " to the port the agent listens on (1-65535, default 3000)");
    }
    if (port < 1 || port > 65535 || port == LISTEN_PORT) {
      throw new IllegalArgumentException("ORCHAGENT_HTTP_PORT=" + port + " cannot be used: the agent's port must be"
          + " 1-65535 and not " + LISTEN_PORT + ", which the gateway owns; set spec.http.port to e.g. 3000");
    }
    return new GatewaySettings(LISTEN_PORT, port);
  }
}
