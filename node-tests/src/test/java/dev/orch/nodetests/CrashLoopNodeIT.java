package dev.orch.nodetests;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.time.Duration;
import java.time.Instant;
import java.util.Map;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

import dev.orch.localcluster.WithKubernetes;
import dev.orch.operator.agentservice.AgentService;
import dev.orch.operator.core.MetadataKeys;
import dev.orch.operator.core.status.AgentState;
import dev.orch.operator.core.status.Conditions;
import io.fabric8.kubernetes.client.KubernetesClient;

/**
 * A crashing agent on a real node: the kubelet restarts it with its own back-off, the operator counts the restarts,
 * warns at half of maxRestartFailures, pauses the service at the threshold, alerts an HTTPS receiver, and reports
 * the real exit code and stderr; the restart annotation resumes it.
 */
@WithKubernetes(controllerManager = true)
@ExtendWith(OperatorLogOnFailure.class)
class CrashLoopNodeIT {
  private static final int MAX_RESTART_FAILURES = 4;
  private final KubernetesClient client;
  private final Cluster cluster;
  private final NodeTier tier = NodeTier.get();

  CrashLoopNodeIT(KubernetesClient client) {
    this.client = client;
    this.cluster = new Cluster(client);
  }

  @Test
  void aCrashingAgentIsWarnedAboutPausedAlertedAndResumedByHand() {
    cluster.bundle("crasher-bundle", Map.of("main.py", """
        import sys
        print("cannot reach the database at db:5432", file=sys.stderr, flush=True)
        sys.exit(3)
        """));
    cluster.apply("""
        apiVersion: orch.dev/v1alpha1
        kind: AgentService
        metadata:
          name: crasher
        spec:
          agent: acme/crasher@1.0.0
          bundle:
            configMap:
              name: crasher-bundle
          maxRestartFailures: %d
          alertWebhookUrl: %s
        """.formatted(MAX_RESTART_FAILURES, tier.alerts.url()));

    Duration crashLoop = Duration.ofMinutes(4);
    await("the warning alert at half of maxRestartFailures").atMost(crashLoop).until(() -> tier.alerts.bodies.stream()
        .anyMatch(b -> b.contains("service.crash_loop_warning") && b.contains("\"crasher\"")));
    AgentService paused = cluster.awaitStatus(AgentService.class, "crasher", "paused by the crash loop",
        s -> s.getState() == AgentState.CRASH_LOOP, crashLoop);
    assertThat(paused.getStatus().getConsecutiveRestartFailures()).isGreaterThanOrEqualTo(MAX_RESTART_FAILURES);
    assertThat(paused.getStatus().getLastError()).contains("3").contains("cannot reach the database at db:5432");
    await("the Deployment scaled to 0").atMost(Duration.ofSeconds(30))
        .until(() -> client.apps().deployments().withName("crasher").get().getSpec().getReplicas() == 0);
    await("both alerts delivered").atMost(Duration.ofSeconds(60)).until(() -> tier.alerts.bodies.stream()
        .filter(b -> b.contains("\"crasher\"")).count() >= 2);
    assertThat(tier.alerts.bodies).anyMatch(b -> b.contains("service.crash_loop_warning") && b.contains("\"crasher\""))
        .anyMatch(b -> b.contains("\"service.crash_loop\"") && b.contains("\"crasher\""));

    client.resources(AgentService.class).withName("crasher").edit(r -> {
      r.getMetadata().setAnnotations(new java.util.HashMap<>(java.util.Objects.requireNonNullElse(r.getMetadata().getAnnotations(), Map.of())));
      r.getMetadata().getAnnotations().put(MetadataKeys.RESTARTED_AT, Instant.now().toString());
      return r;
    });
    cluster.awaitStatus(AgentService.class, "crasher", "resumed by the restart annotation",
        s -> s.getState() != AgentState.CRASH_LOOP && !Conditions.isTrue(s.getConditions(), "Stalled"), Duration.ofSeconds(60));
    await("the Deployment back at 1 replica").atMost(Duration.ofSeconds(30))
        .until(() -> client.apps().deployments().withName("crasher").get().getSpec().getReplicas() == 1);
  }
}
