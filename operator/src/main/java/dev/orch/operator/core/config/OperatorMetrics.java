package dev.orch.operator.core.config;

import jakarta.enterprise.inject.Produces;
import jakarta.inject.Singleton;

import io.javaoperatorsdk.operator.api.monitoring.Metrics;
import io.javaoperatorsdk.operator.monitoring.micrometer.MicrometerMetrics;
import io.micrometer.core.instrument.MeterRegistry;

/**
 * java-operator-sdk's metrics per controller, not per resource. quarkus-operator-sdk's default also keeps a set of
 * meters for every AgentService, Swarm and Schedule (tagged with its name and namespace): memory and series that
 * grow with the number of resources, for figures the resources' own status and events already give.
 */
@Singleton
public class OperatorMetrics {
  @Produces
  @Singleton
  Metrics metrics(MeterRegistry registry) {
    return MicrometerMetrics.withoutPerResourceMetrics(registry);
  }
}
