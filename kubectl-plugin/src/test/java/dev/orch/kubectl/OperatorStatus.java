package dev.orch.kubectl;

import java.time.Instant;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import io.fabric8.kubernetes.api.model.GenericKubernetesResource;
import io.fabric8.kubernetes.client.KubernetesClient;

/** Writes a resource's status as the operator would (no operator runs in these tests), through /status. */
final class OperatorStatus {
  private OperatorStatus() {
  }

  static void write(KubernetesClient client, Kind kind, String name, Map<String, Object> status) {
    GenericKubernetesResource live = kind.in(client).withName(name).get();
    Map<String, Object> withGeneration = new LinkedHashMap<>(status);
    withGeneration.putIfAbsent("observedGeneration", live.getMetadata().getGeneration());
    live.setAdditionalProperty("status", withGeneration);
    kind.in(client).resource(live).updateStatus();
  }

  static List<Map<String, Object>> conditions(boolean ready, String reason, String message, boolean stalled) {
    String now = Instant.now().toString();
    return List.of(
        Map.of("type", "Ready", "status", ready ? "True" : "False", "reason", reason, "message", message,
            "lastTransitionTime", now),
        Map.of("type", "Reconciling", "status", "False", "reason", reason, "message", message, "lastTransitionTime", now),
        Map.of("type", "Stalled", "status", stalled ? "True" : "False", "reason", reason, "message", message,
            "lastTransitionTime", now));
  }
}
