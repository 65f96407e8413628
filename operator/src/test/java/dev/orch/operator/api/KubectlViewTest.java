package dev.orch.operator.api;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;

import dev.orch.localcluster.ClusterConnection;
import dev.orch.localcluster.KubeBinaries;
import dev.orch.localcluster.WithKubernetes;
import io.fabric8.kubernetes.client.KubernetesClient;

/** What `kubectl get` and `kubectl explain` show users, read with the real kubectl. */
@WithKubernetes
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class KubectlViewTest {
  private final KubernetesClient client;
  private final ClusterConnection cluster;

  KubectlViewTest(KubernetesClient client, ClusterConnection cluster) {
    this.client = client;
    this.cluster = cluster;
  }

  @BeforeAll
  void createOneOfEachKind() {
    for (String file : List.of("agentservice-minimal.yaml", "swarm.yaml", "schedule-cron.yaml")) {
      client.load(getClass().getResourceAsStream("/api/valid/" + file)).create();
    }
  }

  @Test
  void categoryOrchListsAllThreeKinds() {
    String output = kubectl("get", "orch");
    assertThat(output).contains("agentservice.orch.dev/discord-bot", "swarm.orch.dev/shards", "schedule.orch.dev/daily-report");
  }

  @Test
  void printerColumnsAndShortNames() {
    assertThat(headerOf(kubectl("get", "asvc"))).containsExactly("NAME", "AGENT", "STATE", "HEALTH", "ROLLOUT", "RESTARTS", "URL", "AGE");
    assertThat(headerOf(kubectl("get", "swm"))).containsExactly("NAME", "AGENT", "REPLICAS", "DEPLOYED", "READY", "FAILED", "AGE");
    assertThat(headerOf(kubectl("get", "sched")))
        .containsExactly("NAME", "TYPE", "SCHEDULE", "LAST", "RUN", "LAST", "STATUS", "NEXT", "RUN", "AGE");
    assertThat(kubectl("get", "asvc", "discord-bot")).contains("acme/discord-bot@1.2.0");
  }

  @Test
  void explainDescribesEachKindAndItsSpecAndStatus() {
    assertThat(kubectl("explain", "agentservice")).contains("An always-on agent").doesNotContain("<empty>");
    assertThat(kubectl("explain", "agentservice.spec")).contains("What runs (agent, bundle");
    assertThat(kubectl("explain", "agentservice.status")).contains("What the operator last observed");
    assertThat(kubectl("explain", "swarm")).contains("N identical, independent replicas");
    assertThat(kubectl("explain", "swarm.status")).contains("Ready and failed replica counts");
    assertThat(kubectl("explain", "schedule")).contains("An agent run as a Job on a cron schedule");
    assertThat(kubectl("explain", "schedule.spec")).contains("and when: type, cron");
  }

  @Test
  void explainShowsFieldDocumentation() {
    assertThat(kubectl("explain", "agentservice.spec.bundle")).contains("Where the agent's code comes from: exactly one of configMap");
    assertThat(kubectl("explain", "schedule.spec.historyLimit")).contains("Runs kept in status.runs");
  }

  private static List<String> headerOf(String table) {
    return List.of(table.lines().findFirst().orElseThrow().trim().split("\\s+"));
  }

  private String kubectl(String... args) {
    List<String> command = new ArrayList<>(List.of(KubeBinaries.locate().path("kubectl").toString(),
        "--kubeconfig", cluster.kubeconfig().toString(), "--namespace", client.getNamespace()));
    command.addAll(List.of(args));
    try {
      Process process = new ProcessBuilder(command).redirectErrorStream(true).start();
      String output = new String(process.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
      assertThat(process.waitFor(30, TimeUnit.SECONDS)).isTrue();
      assertThat(process.exitValue()).as("kubectl %s failed:%n%s", String.join(" ", args), output).isZero();
      return output;
    } catch (IOException e) {
      throw new IllegalStateException(e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException(e);
    }
  }
}
