package dev.orch.operator.sleep;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Optional;

import io.fabric8.kubernetes.api.model.Pod;

/**
 * Asks each ready pod's gateway for its counters on its metrics port: requests in flight (open WebSockets
 * included), when a request last started or ended, and when the gateway started. A pod that does not answer
 * makes the result incomplete, so idleness is never concluded from part of the pods.
 */
public class GatewayProbe {
  public static final int DEFAULT_METRICS_PORT = 9090;
  private static final Duration TIMEOUT = Duration.ofSeconds(2);
  private final HttpClient http = HttpClient.newBuilder().connectTimeout(TIMEOUT).version(HttpClient.Version.HTTP_1_1).build();
  private final int metricsPort;

  public GatewayProbe(int metricsPort) {
    this.metricsPort = metricsPort;
  }

  /** The pods' combined activity; {@link GatewayActivity#NONE} when no pod is ready. */
  public GatewayActivity ask(List<Pod> pods) {
    GatewayActivity combined = GatewayActivity.NONE;
    for (Pod pod : pods) {
      if (!ready(pod)) {
        continue;
      }
      combined = combined.and(ask(pod.getStatus().getPodIP()));
    }
    return combined;
  }

  GatewayActivity ask(String address) {
    if (address == null || address.isBlank()) {
      return GatewayActivity.UNKNOWN;
    }
    String host = address.contains(":") ? "[" + address + "]" : address;
    try {
      HttpResponse<String> response = http.send(HttpRequest.newBuilder(URI.create("http://" + host + ":" + metricsPort + "/metrics"))
          .timeout(TIMEOUT).GET().build(), HttpResponse.BodyHandlers.ofString());
      return response.statusCode() == 200 ? parse(response.body()) : GatewayActivity.UNKNOWN;
    } catch (java.io.IOException e) {
      return GatewayActivity.UNKNOWN;
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      return GatewayActivity.UNKNOWN;
    }
  }

  /** Reads the three gauges from the Prometheus text; a gateway without them is not understood, so unknown. */
  static GatewayActivity parse(String metrics) {
    Optional<Double> inFlight = gauge(metrics, "orch_gateway_inflight_requests");
    Optional<Double> lastRequest = gauge(metrics, "orch_gateway_last_request_timestamp_seconds");
    Optional<Double> started = gauge(metrics, "orch_gateway_start_timestamp_seconds");
    if (inFlight.isEmpty() || lastRequest.isEmpty() || started.isEmpty()) {
      return GatewayActivity.UNKNOWN;
    }
    double latest = Math.max(lastRequest.get(), started.get());
    return new GatewayActivity(Optional.of(Instant.ofEpochMilli((long) (latest * 1000))), inFlight.get() > 0, true);
  }

  private static Optional<Double> gauge(String metrics, String name) {
    return metrics.lines().filter(line -> line.startsWith(name + " ")).findFirst()
        .map(line -> Double.parseDouble(line.substring(name.length() + 1).trim()));
  }

  static boolean ready(Pod pod) {
    return pod.getMetadata().getDeletionTimestamp() == null && pod.getStatus() != null
        && pod.getStatus().getConditions() != null
        && pod.getStatus().getConditions().stream().anyMatch(c -> "Ready".equals(c.getType()) && "True".equals(c.getStatus()));
  }
}
