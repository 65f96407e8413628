package dev.orch.nodetests;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.Map;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.TestInstance;

import dev.orch.localcluster.WithKubernetes;
import dev.orch.operator.agentservice.AgentService;
import dev.orch.operator.core.status.AgentState;
import dev.orch.operator.core.status.Conditions;
import dev.orch.operator.testing.Vault;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.client.KubernetesClient;

/**
 * Always-on agents on a real node, checked as a user would: Ready, answering through the Service and the gateway,
 * healthy, rolled on a change, secrets masked, and back after a delete. The namespace enforces the restricted pod
 * security standard, so every pod here also proves the operator's pods are admitted under it.
 */
@WithKubernetes(controllerManager = true)
@ExtendWith(OperatorLogOnFailure.class)
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class AgentServiceNodeIT {
  private static final String PYTHON_HTTP_AGENT = """
      import json, os
      from http.server import BaseHTTPRequestHandler, HTTPServer

      class Handler(BaseHTTPRequestHandler):
          def do_GET(self):
              body = json.dumps({"greeting": os.environ.get("GREETING"), "headers": dict(self.headers)}).encode()
              self.send_response(200)
              self.send_header("Content-Length", str(len(body)))
              self.end_headers()
              self.wfile.write(body)

      print("starting with token " + os.environ.get("API_TOKEN", "none"), flush=True)
      HTTPServer(("0.0.0.0", int(os.environ["PORT"])), Handler).serve_forever()
      """;
  private static final String SECRET_VALUE = "s3cr3t-value-never-shown";

  private final KubernetesClient client;
  private final Cluster cluster;
  private final NodeTier tier = NodeTier.get();

  AgentServiceNodeIT(KubernetesClient client) {
    this.client = client;
    this.cluster = new Cluster(client);
    client.namespaces().withName(client.getNamespace()).edit(ns -> {
      ns.getMetadata().getLabels().put("pod-security.kubernetes.io/enforce", "restricted");
      return ns;
    });
    Vault.put(client, Map.of("API_TOKEN", SECRET_VALUE));
  }

  @Test
  void aPythonHttpAgentAnswersThroughItsServiceAndGateway() {
    cluster.bundle("py-http-bundle", Map.of("main.py", PYTHON_HTTP_AGENT, "requirements.txt", "# no third-party packages\n"));
    cluster.apply(agentService("py-http", "py-http-bundle", "hello"));

    AgentService ready = cluster.awaitStatus(AgentService.class, "py-http", "Ready",
        s -> Conditions.isTrue(s.getConditions(), "Ready"), Cluster.AGENT_START);
    assertThat(ready.getStatus().getState()).isEqualTo(AgentState.RUNNING);
    assertThat(ready.getStatus().getReadyInstances()).isEqualTo(1);

    HttpResponse<String> answer = cluster.awaitAnswer("py-http", "/greet");
    assertThat(answer.body()).contains("\"greeting\": \"hello\"");
    assertThat(answer.body().toLowerCase()).contains("x-forwarded-for").contains("x-forwarded-proto").contains("x-forwarded-host");
    assertThat(cluster.awaitAnswer("py-http", "/health").body()).contains("running");
  }

  @Test
  void aNodeAgentAndAWorkerWithoutAPortAreReadyAndHealthy() {
    cluster.bundle("node-http-bundle", Map.of(
        "package.json", "{\"name\": \"node-http\", \"version\": \"1.0.0\", \"private\": true}",
        "index.js", """
            require("http").createServer((req, res) => res.end("node says hi")).listen(process.env.PORT);
            """));
    cluster.bundle("worker-bundle", Map.of("worker.py", """
        import time
        while True:
            print("working", flush=True)
            time.sleep(5)
        """));
    cluster.apply(agentService("node-http", "node-http-bundle", "x"));
    cluster.apply(agentService("worker", "worker-bundle", "x").replace("  http:\n    port: 3000\n", "  command: [python, worker.py]\n"));

    assertThat(cluster.awaitAnswer("node-http", "/").body()).isEqualTo("node says hi");
    cluster.awaitStatus(AgentService.class, "worker", "Ready", s -> Conditions.isTrue(s.getConditions(), "Ready"), Cluster.AGENT_START);
    assertThat(cluster.awaitAnswer("worker", "/health").statusCode()).isEqualTo(200);
    assertThat(cluster.agentLog(cluster.pods("worker").get(0))).contains("working");
  }

  @Test
  void anEnvChangeRollsAFreshPodAndTheSecretValueIsNeverShown() {
    cluster.bundle("rolling-bundle", Map.of("main.py", PYTHON_HTTP_AGENT));
    cluster.apply(agentService("rolling", "rolling-bundle", "first"));
    assertThat(cluster.awaitAnswer("rolling", "/").body()).contains("first");
    String firstPod = cluster.pods("rolling").get(0).getMetadata().getName();

    cluster.apply(agentService("rolling", "rolling-bundle", "second"));
    await("the new pod answering with the new value").atMost(Cluster.AGENT_START).ignoreExceptions()
        .until(() -> cluster.getThroughService("rolling", "/").body().contains("second"));
    await("the old pod gone").atMost(Cluster.AGENT_START)
        .until(() -> cluster.pods("rolling").stream().noneMatch(p -> p.getMetadata().getName().equals(firstPod)));

    Pod pod = cluster.pods("rolling").get(0);
    String log = cluster.agentLog(pod);
    assertThat(log).contains("starting with token [REDACTED]").doesNotContain(SECRET_VALUE);
    assertThat(client.v1().events().list().getItems()).noneMatch(e -> String.valueOf(e.getMessage()).contains(SECRET_VALUE));
    assertThat(client.apps().deployments().withName("rolling").get().toString()).doesNotContain(SECRET_VALUE);
  }

  @Test
  void aServiceDeletedAndCreatedAgainAtOnceComesBackReady() {
    cluster.bundle("phoenix-bundle", Map.of("main.py", PYTHON_HTTP_AGENT));
    cluster.apply(agentService("phoenix", "phoenix-bundle", "once"));
    cluster.awaitAnswer("phoenix", "/");

    client.resources(AgentService.class).withName("phoenix").delete();
    cluster.apply(agentService("phoenix", "phoenix-bundle", "again"));

    await("the re-created service answering with its new value").atMost(Cluster.AGENT_START).ignoreExceptions()
        .until(() -> cluster.getThroughService("phoenix", "/").body().contains("again"));
    cluster.awaitStatus(AgentService.class, "phoenix", "Ready again", s -> Conditions.isTrue(s.getConditions(), "Ready"),
        Duration.ofSeconds(60));
  }

  /** An image bundle with a command: the supervisor is copied in and runs it; the gateway judges its health. */
  @Test
  void aPrebuiltImageRunsItsCommandUnderTheSupervisorAndAnswers() {
    cluster.apply("""
        apiVersion: orch.dev/v1alpha1
        kind: AgentService
        metadata:
          name: prebuilt
        spec:
          agent: acme/prebuilt@1.0.0
          bundle:
            image: %s
          command: [python3, -c]
          args:
            - |
              import http.server, os
              class Handler(http.server.BaseHTTPRequestHandler):
                  def do_GET(self):
                      self.send_response(200)
                      self.end_headers()
                      self.wfile.write(b"from a prebuilt image")
              print("prebuilt agent up with token " + os.environ.get("API_TOKEN", "none"), flush=True)
              http.server.HTTPServer(("0.0.0.0", int(os.environ["PORT"])), Handler).serve_forever()
          secrets: [API_TOKEN]
        """.formatted(NodeTier.RUNNER_IMAGE));

    cluster.awaitStatus(AgentService.class, "prebuilt", "Ready", s -> Conditions.isTrue(s.getConditions(), "Ready"), Cluster.AGENT_START);
    assertThat(cluster.awaitAnswer("prebuilt", "/").body()).isEqualTo("from a prebuilt image");
    assertThat(cluster.agentLog(cluster.pods("prebuilt").get(0))).contains("prebuilt agent up with token [REDACTED]")
        .doesNotContain(SECRET_VALUE);
  }

  private static String agentService(String name, String bundle, String greeting) {
    return Cluster.agentService(name, bundle, """
          env:
            - name: GREETING
              value: %s
          secrets: [API_TOKEN]
          http:
            port: 3000
        """.formatted(greeting));
  }
}
