package dev.orch.operator.sleep;

import java.time.Duration;
import java.util.List;
import java.util.Optional;

/** {@link SleepConfig} as plain values, so that reconcilers and tests need no Quarkus. */
public record SleepSettings(int activatorPort, List<String> activatorAddresses, Optional<String> activatorService,
    int gatewayMetricsPort, Duration maxWait, int maxHeldRequests, int maxBodyBytes) {

  public static final SleepSettings DEFAULTS = new SleepSettings(8012, List.of(), Optional.empty(),
      GatewayProbe.DEFAULT_METRICS_PORT, Duration.ofSeconds(60), 200, 1 << 20);

  public SleepSettings withActivator(List<String> addresses, int port) {
    return new SleepSettings(port, addresses, activatorService, gatewayMetricsPort, maxWait, maxHeldRequests, maxBodyBytes);
  }

  public SleepSettings withGatewayMetricsPort(int port) {
    return new SleepSettings(activatorPort, activatorAddresses, activatorService, port, maxWait, maxHeldRequests, maxBodyBytes);
  }
}
