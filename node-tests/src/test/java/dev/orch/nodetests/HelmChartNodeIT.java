package dev.orch.nodetests;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.time.Duration;
import java.util.List;
import java.util.Map;

import org.junit.jupiter.api.Test;

import dev.orch.localcluster.ClusterConnection;
import dev.orch.localcluster.WithKubernetes;
import dev.orch.operator.agentservice.AgentService;
import dev.orch.operator.core.status.Conditions;
import dev.orch.operator.testing.Helm;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.readiness.Readiness;

/**
 * The Helm chart installed on the node runs the operator image as a pod, with in-cluster configuration and the
 * chart's own ServiceAccount, and that operator brings an agent to Ready.
 */
@WithKubernetes(controllerManager = true)
class HelmChartNodeIT {
  private static final String OPERATOR_IMAGE = "localhost/orch-operator:" + NodeTier.IMAGE_TAG;
  private final KubernetesClient client;
  private final ClusterConnection connection;
  private final Cluster cluster;
  private final NodeTier tier = NodeTier.get();

  HelmChartNodeIT(KubernetesClient client, ClusterConnection connection) {
    this.client = client;
    this.connection = connection;
    this.cluster = new Cluster(client);
  }

  @Test
  void theChartsOperatorPodBringsAnAgentToReady() throws Exception {
    NodeTier.buildImages("operator");
    connection.loadImages(List.of(OPERATOR_IMAGE));
    Helm helm = Helm.locate();
    String namespace = client.getNamespace();
    tier.withoutOperator(() -> {
      helm.ok(List.of("install", "orch", Helm.chart().toString(), "--namespace", namespace, "--skip-crds",
          "--kubeconfig", connection.kubeconfig().toString(), "--set", "image.tag=" + NodeTier.IMAGE_TAG, "--set", "image.pullPolicy=Never",
          "--set", "runner.image=" + NodeTier.RUNNER_IMAGE, "--set", "gateway.image=" + NodeTier.GATEWAY_IMAGE,
          "--set", "watchNamespaces={" + namespace + "}"));
      try {
        await("the chart's operator pod Ready").atMost(Duration.ofMinutes(3)).pollInterval(Duration.ofSeconds(1))
            .until(() -> client.pods().withLabel("app.kubernetes.io/name", "orch-operator").list().getItems().stream()
                .anyMatch(Readiness::isPodReady));
        Pod operatorPod = client.pods().withLabel("app.kubernetes.io/name", "orch-operator").list().getItems().get(0);
        assertThat(operatorPod.getSpec().getContainers().get(0).getImage()).isEqualTo(OPERATOR_IMAGE);
        assertThat(operatorPod.getSpec().getServiceAccountName()).isNotEqualTo("default");

        cluster.bundle("charted-bundle", Map.of("main.py", """
            import os
            from http.server import BaseHTTPRequestHandler, HTTPServer
            class Handler(BaseHTTPRequestHandler):
                def do_GET(self):
                    self.send_response(200)
                    self.end_headers()
                    self.wfile.write(b"run by the chart's operator")
            HTTPServer(("0.0.0.0", int(os.environ["PORT"])), Handler).serve_forever()
            """));
        cluster.apply("""
            apiVersion: orch.dev/v1alpha1
            kind: AgentService
            metadata:
              name: charted
            spec:
              agent: acme/charted@1.0.0
              bundle:
                configMap:
                  name: charted-bundle
            """);
        cluster.awaitStatus(AgentService.class, "charted", "Ready", s -> Conditions.isTrue(s.getConditions(), "Ready"), Cluster.AGENT_START);
        assertThat(cluster.awaitAnswer("charted", "/").body()).isEqualTo("run by the chart's operator");
      } catch (AssertionError | RuntimeException e) {
        System.err.println("---- chart operator log ----\n" + client.pods().withLabel("app.kubernetes.io/name", "orch-operator")
            .list().getItems().stream().map(p -> client.pods().withName(p.getMetadata().getName()).tailingLines(60).getLog())
            .findFirst().orElse("(no pod)"));
        throw e;
      } finally {
        client.resources(AgentService.class).withName("charted").delete();
        helm.ok(List.of("uninstall", "orch", "--namespace", namespace, "--kubeconfig", connection.kubeconfig().toString()));
      }
    });
  }
}
