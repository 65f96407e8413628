package dev.orch.operator.sleep;

import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Objects;

import io.fabric8.kubernetes.api.model.discovery.v1.EndpointSlice;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientException;

/**
 * Where sleeping Services send their requests: the configured addresses (an operator outside the cluster), or
 * the ready addresses of the Service that selects the operator's own pods (every replica runs an activator),
 * read from its EndpointSlices at most every 10 seconds.
 */
public class ActivatorAddresses {
  private static final Duration FRESH_FOR = Duration.ofSeconds(10);
  private final KubernetesClient client;
  private final SleepSettings settings;
  private SleepPlan.Activator cached;
  private Instant readAt = Instant.EPOCH;

  public ActivatorAddresses(KubernetesClient client, SleepSettings settings) {
    this.client = client;
    this.settings = settings;
  }

  public synchronized SleepPlan.Activator current() {
    if (!settings.activatorAddresses().isEmpty() || settings.activatorService().isEmpty()) {
      return new SleepPlan.Activator(settings.activatorAddresses(), settings.activatorPort());
    }
    if (cached == null || Instant.now().isAfter(readAt.plus(FRESH_FOR))) {
      cached = new SleepPlan.Activator(readyAddresses(settings.activatorService().get()), settings.activatorPort());
      readAt = Instant.now();
    }
    return cached;
  }

  private List<String> readyAddresses(String namespacedName) {
    String[] parts = namespacedName.split("/", 2);
    if (parts.length != 2) {
      throw new IllegalArgumentException("orch.sleep.activator-service=" + namespacedName + " is not NAMESPACE/NAME,"
          + " e.g. orch-system/orch-operator");
    }
    try {
      return client.discovery().v1().endpointSlices().inNamespace(parts[0])
          .withLabel(SleepPlan.SERVICE_NAME_LABEL, parts[1]).list().getItems().stream()
          .map(EndpointSlice::getEndpoints).filter(Objects::nonNull).flatMap(List::stream)
          .filter(e -> e.getConditions() == null || !Boolean.FALSE.equals(e.getConditions().getReady()))
          .flatMap(e -> e.getAddresses().stream()).distinct().sorted().toList();
    } catch (KubernetesClientException e) {
      // Keep the last known addresses rather than route sleeping services nowhere.
      return cached == null ? List.of() : cached.addresses();
    }
  }
}
