package dev.orch.operator.helm;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.List;
import java.util.Map;

import org.junit.jupiter.api.Test;

import dev.orch.operator.testing.ArgoHealth;
import dev.orch.operator.testing.ArgoHealth.Health;

/**
 * argocd/health.lua on the condition shapes the operator writes (see Conditions): a false Reconciling or
 * Stalled carries reason AsExpected, the Ready condition always carries the verdict. HelmInstallTest runs
 * the same script on objects the operator really wrote.
 */
class ArgoHealthTest {

  @Test
  void noStatusYetIsProgressing() {
    assertThat(ArgoHealth.of(resource(1, null))).isEqualTo(new Health("Progressing", "Waiting for orch-operator to report status"));
  }

  @Test
  void readyIsHealthy() {
    assertThat(ArgoHealth.of(resource(2, status(2, "True", "False", "False", "Running", "1/1 instances ready"))))
        .isEqualTo(new Health("Healthy", "Running: 1/1 instances ready"));
  }

  @Test
  void stalledIsDegradedWithTheFix() {
    String message = "missing in Secret orch-secrets: DISCORD_BOT_TOKEN; add it with kubectl ...";
    assertThat(ArgoHealth.of(resource(1, status(1, "False", "False", "True", "MissingSecrets", message))))
        .isEqualTo(new Health("Degraded", "MissingSecrets: " + message));
  }

  @Test
  void reconcilingIsProgressing() {
    assertThat(ArgoHealth.of(resource(1, status(1, "False", "True", "False", "RollingOut", "0/1 instances ready"))))
        .isEqualTo(new Health("Progressing", "RollingOut: 0/1 instances ready"));
  }

  @Test
  void pausedOrDisabledIsSuspended() {
    assertThat(ArgoHealth.of(resource(3, status(3, "False", "False", "False", "Paused", "paused by spec.paused"))))
        .isEqualTo(new Health("Suspended", "Paused: paused by spec.paused"));
  }

  @Test
  void aStatusOlderThanTheSpecIsProgressingWhateverItSays() {
    assertThat(ArgoHealth.of(resource(4, status(3, "True", "False", "False", "Running", "1/1 instances ready"))))
        .isEqualTo(new Health("Progressing", "Waiting for orch-operator to act on generation 4"));
  }

  private static Map<String, Object> resource(int generation, Map<String, Object> status) {
    Map<String, Object> resource = new java.util.HashMap<>(Map.of("apiVersion", "orch.dev/v1alpha1", "kind", "AgentService",
        "metadata", Map.of("name", "bot", "generation", generation)));
    if (status != null) {
      resource.put("status", status);
    }
    return resource;
  }

  private static Map<String, Object> status(int observed, String ready, String reconciling, String stalled, String reason,
      String message) {
    return Map.of("observedGeneration", observed, "conditions", List.of(
        condition("Ready", ready, reason, message, observed),
        condition("Reconciling", reconciling, "True".equals(reconciling) ? reason : "AsExpected", "True".equals(reconciling) ? message : "", observed),
        condition("Stalled", stalled, "True".equals(stalled) ? reason : "AsExpected", "True".equals(stalled) ? message : "", observed)));
  }

  private static Map<String, Object> condition(String type, String status, String reason, String message, int observed) {
    return Map.of("type", type, "status", status, "reason", reason, "message", message, "observedGeneration", observed,
        "lastTransitionTime", "2026-01-01T00:00:00Z");
  }
}
