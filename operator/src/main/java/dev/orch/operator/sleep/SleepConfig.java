package dev.orch.operator.sleep;

import java.time.Duration;
import java.util.List;
import java.util.Optional;

import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.inject.Produces;
import jakarta.inject.Singleton;

import io.smallrye.config.ConfigMapping;
import io.smallrye.config.WithDefault;

/** ORCH_SLEEP_*: the activator and the idle check; a mapping of its own so OrchConfig stays as it is. */
@ConfigMapping(prefix = "orch.sleep")
public interface SleepConfig {
  /** Where every operator replica's activator listens, and the port of sleeping Services' EndpointSlices; -1: off. */
  @WithDefault("8012")
  int activatorPort();

  /**
   * Addresses sleeping Services send their traffic to, for an operator that runs outside the cluster (the
   * address of this host that the cluster's pods reach). In a cluster leave it unset and set activator-service.
   */
  Optional<List<String>> activatorAddresses();

  /** NAMESPACE/NAME of the Service that selects the operator's pods: their ready addresses are the activator's. */
  Optional<String> activatorService();

  /** The agents' gateway metrics port, where the idle check reads their counters. */
  @WithDefault("9090")
  int gatewayMetricsPort();

  /** Longest a held request waits for its service to wake before it is answered 503 with Retry-After. */
  @WithDefault("60s")
  Duration maxWait();

  /** Requests held at once per sleeping service; more are answered 503 with Retry-After at once. */
  @WithDefault("200")
  int maxHeldRequests();

  /** Largest request body the activator holds (it keeps it, so it can send it again while the agent starts). */
  @WithDefault("1048576")
  int maxBodyBytes();

  @ApplicationScoped
  class Producer {
    @Produces
    @Singleton
    SleepSettings settings(SleepConfig config) {
      return new SleepSettings(config.activatorPort(), config.activatorAddresses().orElse(List.of()),
          config.activatorService(), config.gatewayMetricsPort(), config.maxWait(), config.maxHeldRequests(),
          config.maxBodyBytes());
    }
  }
}
