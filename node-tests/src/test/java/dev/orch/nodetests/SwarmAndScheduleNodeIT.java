package dev.orch.nodetests;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.time.Instant;
import java.util.HashMap;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

import dev.orch.localcluster.WithKubernetes;
import dev.orch.operator.core.MetadataKeys;
import dev.orch.operator.core.status.Conditions;
import dev.orch.operator.schedule.Schedule;
import dev.orch.operator.schedule.ScheduleStatus;
import dev.orch.operator.swarm.Swarm;
import dev.orch.operator.testing.WebhookTokens;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.client.KubernetesClient;

/** Swarm replicas and scheduled runs as real processes on a real node. */
@WithKubernetes(controllerManager = true)
@ExtendWith(OperatorLogOnFailure.class)
class SwarmAndScheduleNodeIT {
  private static final Pattern REPLICA_LINE = Pattern.compile("replica (\\d+) of (\\d+)");
  private final KubernetesClient client;
  private final Cluster cluster;
  private final NodeTier tier = NodeTier.get();

  SwarmAndScheduleNodeIT(KubernetesClient client) {
    this.client = client;
    this.cluster = new Cluster(client);
  }

  @Test
  void eachSwarmReplicaIsARealProcessThatKnowsItsIndexAndCount() {
    cluster.bundle("shards-bundle", Map.of("main.py", """
        import os, time
        print(f"replica {os.environ['ORB_REPLICA_INDEX']} of {os.environ['ORB_REPLICA_COUNT']}", flush=True)
        while True:
            time.sleep(60)
        """));
    cluster.apply("""
        apiVersion: orch.dev/v1alpha1
        kind: Swarm
        metadata:
          name: shards
        spec:
          agent: acme/shards@1.0.0
          replicas: 5
          bundle:
            configMap:
              name: shards-bundle
        """);
    cluster.awaitStatus(Swarm.class, "shards", "5 ready", s -> Objects.equals(s.getReady(), 5), Duration.ofMinutes(4));

    Set<String> reported = new TreeSet<>();
    for (Pod pod : client.pods().list().getItems().stream().filter(p -> p.getMetadata().getName().startsWith("shards-")).toList()) {
      Matcher line = REPLICA_LINE.matcher(cluster.agentLog(pod));
      assertThat(line.find()).as("log of %s names its replica", pod.getMetadata().getName()).isTrue();
      assertThat(pod.getMetadata().getName()).startsWith("shards-" + line.group(1) + "-");
      reported.add(line.group(1) + "/" + line.group(2));
    }
    assertThat(reported).containsExactly("0/5", "1/5", "2/5", "3/5", "4/5");
  }

  @Test
  void manualAndWebhookRunsAreRealJobsRecordedWithExitCodeDurationAndOutput() throws Exception {
    cluster.bundle("job-bundle", Map.of("main.py", """
        import json, os, sys
        data = json.loads(os.environ.get("ORCH_RUN_INPUT") or "{}")
        print(f"run {os.environ['ORCH_RUN_TRIGGER']} with {data}", flush=True)
        sys.exit(int(data.get("exit", 0)))
        """));
    cluster.apply("""
        apiVersion: orch.dev/v1alpha1
        kind: Schedule
        metadata:
          name: jobs
        spec:
          type: webhook
          agent: acme/jobs@1.0.0
          bundle:
            configMap:
              name: job-bundle
        """);
    cluster.awaitStatus(Schedule.class, "jobs", "Ready", s -> Conditions.isTrue(s.getConditions(), "Ready"), Duration.ofSeconds(60));

    client.resources(Schedule.class).withName("jobs").edit(s -> {
      s.getMetadata().setAnnotations(new HashMap<>(Objects.requireNonNullElse(s.getMetadata().getAnnotations(), Map.of())));
      s.getMetadata().getAnnotations().put(MetadataKeys.TRIGGER, Instant.now().toString());
      return s;
    });
    ScheduleStatus.Run manual = awaitFinishedRun(ScheduleStatus.Trigger.MANUAL);
    assertThat(manual.status()).isEqualTo(ScheduleStatus.RunStatus.SUCCESS);
    assertThat(manual.exitCode()).isZero();
    assertThat(manual.durationMs()).isPositive();
    assertThat(manual.output()).contains("run manual with {}");

    String token = WebhookTokens.of(client, "jobs");
    HttpResponse<String> accepted = HttpClient.newHttpClient().send(HttpRequest.newBuilder(
            tier.operatorUrl.resolve("/webhooks/" + client.getNamespace() + "/jobs/" + token))
        .header("Content-Type", "application/json").POST(HttpRequest.BodyPublishers.ofString("{\"exit\": 7}")).build(),
        HttpResponse.BodyHandlers.ofString());
    assertThat(accepted.statusCode()).as(accepted.body()).isEqualTo(202);
    ScheduleStatus.Run failed = awaitFinishedRun(ScheduleStatus.Trigger.WEBHOOK);
    assertThat(failed.status()).isEqualTo(ScheduleStatus.RunStatus.FAILURE);
    assertThat(failed.exitCode()).isEqualTo(7);
    assertThat(failed.output()).contains("run webhook with {'exit': 7}");
  }

  private ScheduleStatus.Run awaitFinishedRun(ScheduleStatus.Trigger trigger) {
    return await("a finished " + trigger + " run").atMost(Cluster.AGENT_START).pollInterval(Duration.ofMillis(500))
        .until(() -> client.resources(Schedule.class).withName("jobs").get().getStatus().getRuns().stream()
            .filter(r -> r.trigger() == trigger && r.status() != ScheduleStatus.RunStatus.RUNNING).findFirst().orElse(null),
            Objects::nonNull);
  }
}
