package dev.orch.kubectl;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.Base64;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;

import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.io.TempDir;

import com.sun.net.httpserver.HttpServer;

import dev.orch.localcluster.ClusterConnection;
import dev.orch.localcluster.WithKubernetes;
import io.fabric8.kubernetes.api.model.GenericKubernetesResource;
import io.fabric8.kubernetes.api.model.SecretBuilder;
import io.fabric8.kubernetes.client.KubernetesClient;

/** swarm deploy/status and schedule deploy/trigger/runs/webhook-url against a real API server. */
@WithKubernetes
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class SwarmAndScheduleVerbsTest {
  private final KubernetesClient client;
  private final Cli cli;

  @TempDir
  static Path agentDirectory;

  SwarmAndScheduleVerbsTest(KubernetesClient client, ClusterConnection cluster) {
    this.client = client;
    this.cli = new Cli(cluster.kubeconfig(), client.getNamespace());
  }

  @BeforeAll
  static void agentCode() throws IOException {
    Files.writeString(agentDirectory.resolve("main.py"), "print('run')\n");
  }

  @Test
  void swarmStatusPrintsOneRowPerReplica() {
    Cli.Result deployed = cli.run("swarm", "deploy", agentDirectory.toString(), "--name", "shards", "--replicas", "3",
        "--max-failed-replicas", "1");
    assertThat(deployed.exitCode()).as(deployed.toString()).isZero();
    assertThat(deployed.out()).contains("swarm/shards deployed", "kubectl orch swarm status shards");
    assertThat(Fields.number(Kind.SWARM.in(client).withName("shards").get(), "spec", "replicas")).isEqualTo(3L);
    assertThat(client.configMaps().withName("shards-bundle").get().getMetadata().getOwnerReferences())
        .singleElement().satisfies(owner -> assertThat(owner.getKind()).isEqualTo("Swarm"));

    OperatorStatus.write(client, Kind.SWARM, "shards", Map.of("replicas", 3, "deployed", 3, "ready", 2, "failedCount", 1,
        "members", List.of(
            Map.of("replicaIndex", 0, "pod", "shards-0-abc", "state", "running", "restarts", 0),
            Map.of("replicaIndex", 1, "pod", "shards-1-def", "state", "running", "restarts", 1),
            Map.of("replicaIndex", 2, "pod", "shards-2-ghi", "state", "crash-loop", "restarts", 5,
                "consecutiveRestartFailures", 5, "lastError", "exit code 3\nmore")),
        "failed", List.of(Map.of("replicaIndex", 2, "error", "CrashLoop", "message", "restart it: kubectl orch restart"
            + " swarm/shards --replica 2")),
        "conditions", OperatorStatus.conditions(true, "ReplicasFailedWithinTolerance", "replica 2 failed", false)));

    Cli.Result status = cli.run("swarm", "status", "shards");

    assertThat(status.exitCode()).isZero();
    assertThat(status.out()).isEqualTo("""
        shards: 3 replicas, 3 deployed, 2 ready, 1 failed; Ready True: ReplicasFailedWithinTolerance
        INDEX   POD            STATE        RESTARTS   FAILING   LAST ERROR
        0       shards-0-abc   running      0          0         <none>
        1       shards-1-def   running      1          0         <none>
        2       shards-2-ghi   CRASH-LOOP   5          5         exit code 3
        replica 2: CrashLoop: restart it: kubectl orch restart swarm/shards --replica 2
        """);
    Cli.Result restartOne = cli.run("restart", "swarm/shards", "--replica", "2");
    assertThat(restartOne.exitCode()).isZero();
    assertThat(Kind.SWARM.in(client).withName("shards").get().getMetadata().getAnnotations())
        .containsKey("orch.dev/restartedAt.2");
  }

  @Test
  void cronScheduleTriggerAndRuns() {
    Cli.Result deployed = cli.run("schedule", "deploy", agentDirectory.toString(), "--name", "nightly", "--cron",
        "0 3 * * *", "--tz", "Europe/Berlin");
    assertThat(deployed.exitCode()).as(deployed.toString()).isZero();
    GenericKubernetesResource schedule = Kind.SCHEDULE.in(client).withName("nightly").get();
    assertThat(Fields.string(schedule, "spec", "type")).isEqualTo("cron");
    assertThat(Fields.string(schedule, "spec", "schedule")).isEqualTo("0 3 * * *");

    Cli.Result noRuns = cli.run("schedule", "runs", "nightly");
    assertThat(noRuns.out()).isEqualTo("no runs yet; start one with kubectl orch schedule trigger nightly\n");

    Cli.Result triggered = cli.run("schedule", "trigger", "nightly");
    assertThat(triggered.exitCode()).isZero();
    assertThat(Kind.SCHEDULE.in(client).withName("nightly").get().getMetadata().getAnnotations())
        .containsKey("orch.dev/trigger");
    Cli.Result withInput = cli.run("schedule", "trigger", "nightly", "--input", "{}");
    assertThat(withInput.exitCode()).isEqualTo(1);
    assertThat(withInput.err()).contains("schedule/nightly is a cron schedule; trigger it without --input");

    String fired = Instant.now().minusSeconds(300).toString();
    OperatorStatus.write(client, Kind.SCHEDULE, "nightly", Map.of("nextFireAt", "2026-12-01T02:00:00Z", "runs", List.of(
        Map.of("id", "nightly-manual-1", "trigger", "manual", "status", "failure", "exitCode", 2, "durationMs", 1500,
            "firedAt", fired, "output", "starting\nboom"),
        Map.of("id", "nightly-29000000", "trigger", "cron", "status", "success", "exitCode", 0, "durationMs", 61000,
            "firedAt", fired)),
        "conditions", OperatorStatus.conditions(true, "Scheduled", "runs on \"0 3 * * *\"", false)));

    Cli.Result runs = cli.run("schedule", "runs", "nightly");
    Cli.Result wide = cli.run("schedule", "runs", "nightly", "-o", "wide");
    Cli.Result info = cli.run("info", "schedule/nightly");

    assertThat(runs.out()).isEqualTo("""
        RUN                TRIGGER   STATUS    EXIT   DURATION   AGE
        nightly-manual-1   manual    failure   2      1.5s       5m
        nightly-29000000   cron      success   0      61.0s      5m
        (next run 2026-12-01T02:00:00Z)
        """);
    assertThat(wide.out()).contains("OUTPUT", "boom");
    assertThat(info.out()).contains("Type:         cron \"0 3 * * *\" (Europe/Berlin)", "Recent runs:",
        "nightly-manual-1   manual    failure");
  }

  @Test
  void webhookUrlCarriesTheTokenWithAWarningAndTriggerWithInputPostsToIt() throws IOException {
    Cli.Result deployed = cli.run("schedule", "deploy", agentDirectory.toString(), "--name", "hook", "--webhook");
    assertThat(deployed.exitCode()).as(deployed.toString()).isZero();
    Cli.Result beforeToken = cli.run("schedule", "webhook-url", "hook");
    assertThat(beforeToken.exitCode()).isEqualTo(1);
    assertThat(beforeToken.err()).contains("has no webhook token yet");

    client.secrets().resource(new SecretBuilder().withNewMetadata().withName("hook-webhook").endMetadata()
        .withData(Map.of("token", Base64.getEncoder().encodeToString("tok123".getBytes(StandardCharsets.UTF_8))))
        .build()).create();
    String path = "/webhooks/" + client.getNamespace() + "/hook";
    OperatorStatus.write(client, Kind.SCHEDULE, "hook", Map.of("webhook", Map.of("path", path,
        "tokenSecretRef", Map.of("name", "hook-webhook", "key", "token"), "tokenSha256", "0".repeat(64)),
        "conditions", OperatorStatus.conditions(true, "Scheduled", "runs when its webhook is called", false)));

    Cli.Result noBase = cli.run("schedule", "webhook-url", "hook");
    assertThat(noBase.exitCode()).isEqualTo(1);
    assertThat(noBase.err()).contains("status.webhook.url is unset", "--base-url http://127.0.0.1:8080");

    List<String> received = new CopyOnWriteArrayList<>();
    HttpServer receiver = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 0);
    receiver.createContext("/", exchange -> {
      received.add(exchange.getRequestURI().getPath() + " " + new String(exchange.getRequestBody().readAllBytes(),
          StandardCharsets.UTF_8));
      byte[] answer = "{\"run\": \"hook-webhook-1\", \"status\": \"running\"}".getBytes(StandardCharsets.UTF_8);
      exchange.sendResponseHeaders(202, answer.length);
      exchange.getResponseBody().write(answer);
      exchange.close();
    });
    receiver.start();
    try {
      String base = "http://127.0.0.1:" + receiver.getAddress().getPort();
      Cli.Result url = cli.run("schedule", "webhook-url", "hook", "--base-url", base);
      Cli.Result notJson = cli.run("schedule", "trigger", "hook", "--input", "{nope", "--base-url", base);
      Cli.Result triggered = cli.run("schedule", "trigger", "hook", "--input", "{\"ref\": \"v1\"}", "--base-url", base);

      assertThat(url.exitCode()).isZero();
      assertThat(url.out()).isEqualTo(base + path + "/tok123\n");
      assertThat(url.err()).contains("warning: this URL holds schedule/hook's secret token");
      assertThat(notJson.exitCode()).isEqualTo(1);
      assertThat(notJson.err()).contains("--input is not JSON");
      assertThat(triggered.exitCode()).as(triggered.toString()).isZero();
      assertThat(triggered.out()).contains("hook-webhook-1");
      assertThat(received).containsExactly(path + "/tok123 {\"ref\": \"v1\"}");
    } finally {
      receiver.stop(0);
    }
  }
}
