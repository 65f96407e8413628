package dev.orch.operator.shipped;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.io.IOException;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.extension.RegisterExtension;

import com.fasterxml.jackson.databind.ObjectMapper;

import dev.orch.localcluster.ClusterConnection;
import dev.orch.localcluster.WithKubernetes;
import dev.orch.operator.agent.Bundle;
import dev.orch.operator.agentservice.AgentService;
import dev.orch.operator.agentservice.AgentServiceSpec;
import dev.orch.operator.core.status.Conditions;
import dev.orch.operator.schedule.Schedule;
import dev.orch.operator.schedule.ScheduleSpec;
import dev.orch.operator.testing.CertManagerCrds;
import dev.orch.operator.testing.OperatorLogOnFailure;
import dev.orch.operator.testing.PackagedOperator;
import dev.orch.operator.testing.Vault;
import dev.orch.operator.testing.WebhookTokens;
import io.fabric8.certmanager.api.model.v1.Certificate;
import io.fabric8.kubernetes.api.model.ObjectMetaBuilder;
import io.fabric8.kubernetes.client.KubernetesClient;

/**
 * The packaged operator (quarkus-run.jar, as the image runs it) against a real API server: it starts, reconciles,
 * serves metrics, its schedule-webhook endpoint answers over HTTP as documented, and it starts watching
 * cert-manager's Certificates once the cluster serves them.
 */
@WithKubernetes(controllerManager = true)
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class OperatorJarIT {
  private static final int REQUESTS_PER_MINUTE = 8;
  private static final int MAX_BODY_BYTES = 1024;
  private final KubernetesClient client;
  private final ClusterConnection cluster;
  private static final ObjectMapper JSON = new ObjectMapper();
  private PackagedOperator operator;

  @RegisterExtension
  final OperatorLogOnFailure showLogOnFailure = new OperatorLogOnFailure(
      () -> operator == null ? List.of() : List.of(operator));

  OperatorJarIT(KubernetesClient client, ClusterConnection cluster) {
    this.client = client;
    this.cluster = cluster;
  }

  @BeforeAll
  void startOperator() {
    operator = PackagedOperator.launch(cluster, Path.of("target", "operator-jar-it.log")).env(Map.of(
        "QUARKUS_OPERATOR_SDK_NAMESPACES", client.getNamespace(),
        "ORCH_WEBHOOKS_BASE_URL", "https://hooks.example.com/",
        "ORCH_WEBHOOKS_REQUESTS_PER_MINUTE", Integer.toString(REQUESTS_PER_MINUTE),
        "ORCH_WEBHOOKS_MAX_BODY_BYTES", Integer.toString(MAX_BODY_BYTES),
        "QUARKUS_LOG_CONSOLE_JSON_ENABLED", "true")).start();
  }

  @AfterAll
  void stopOperator() {
    operator.stop();
  }

  @Test
  void theWebhookEndpointStartsRunsAndRefusesEverythingElseClearly() throws Exception {
    Vault.put(client, Map.of("REPORT_TOKEN", "x"));
    ScheduleSpec spec = new ScheduleSpec();
    spec.setAgent("acme/importer");
    spec.setType(ScheduleSpec.Type.WEBHOOK);
    spec.setBundle(new Bundle(null, "https://bundles.example.com/importer.tar.gz", null, null, null));
    spec.setRequiredSecrets(List.of("REPORT_TOKEN"));
    Schedule schedule = new Schedule();
    schedule.setMetadata(new ObjectMetaBuilder().withName("importer").withNamespace(client.getNamespace()).build());
    schedule.setSpec(spec);
    client.resource(schedule).create();
    Schedule ready = await().atMost(Duration.ofSeconds(60)).until(() -> client.resources(Schedule.class).withName("importer").get(),
        s -> s.getStatus() != null && s.getStatus().getWebhook() != null && Conditions.isTrue(s.getStatus().getConditions(), Conditions.READY));
    String path = ready.getStatus().getWebhook().path();
    assertThat(ready.getStatus().getWebhook().url()).isEqualTo("https://hooks.example.com" + path);
    String token = WebhookTokens.of(client, "importer");

    HttpResponse<String> started = operator.post(path + "/" + token, "{\"file\": \"s3://drop/2026-11-23.csv\"}");
    assertThat(started.statusCode()).isEqualTo(202);
    String run = started.body().replaceAll(".*\"run\":\"([^\"]+)\".*", "$1");
    assertThat(run).startsWith("importer-webhook-");
    assertThat(client.batch().v1().jobs().withName(run).get()).as("the run named in the reply exists").isNotNull();

    HttpResponse<String> wrongToken = operator.post(path + "/" + token.substring(1) + "A", "");
    HttpResponse<String> unknownSchedule = operator.post("/webhooks/" + client.getNamespace() + "/no-such-schedule/" + token, "");
    assertThat(wrongToken.statusCode()).isEqualTo(404);
    assertThat(unknownSchedule.statusCode()).isEqualTo(404);
    assertThat(wrongToken.body()).isEqualTo(unknownSchedule.body());
    assertThat(wrongToken.headers().map().keySet()).isEqualTo(unknownSchedule.headers().map().keySet());

    HttpResponse<String> tooLarge = operator.post(path + "/" + token, "{\"pad\": \"" + "x".repeat(MAX_BODY_BYTES) + "\"}");
    assertThat(tooLarge.statusCode()).isEqualTo(413);
    assertThat(tooLarge.body()).contains("larger than " + MAX_BODY_BYTES + " bytes");
    HttpResponse<String> notJson = operator.post(path + "/" + token, "file=a.csv");
    assertThat(notJson.statusCode()).isEqualTo(400);
    assertThat(notJson.body()).contains("must be JSON");

    HttpResponse<String> limited = null;
    for (int call = 0; call <= REQUESTS_PER_MINUTE && limited == null; call++) {
      HttpResponse<String> response = operator.post(path + "/not-the-token", "");
      limited = response.statusCode() == 429 ? response : null;
    }
    assertThat(limited).as("a flood is cut off within %d calls a minute", REQUESTS_PER_MINUTE).isNotNull();
    assertThat(Long.parseLong(limited.headers().firstValue("Retry-After").orElseThrow())).isBetween(1L, 60L);
    assertThat(operator.post(path + "/" + token, "").statusCode()).as("the right token is limited too while the flood lasts").isEqualTo(429);

    assertThat(operator.get("/q/metrics").body()).contains("operator_sdk_controllers_execution_reconcile_seconds_count{controller=\"schedule\"");

    String name = client.getNamespace() + "/importer";
    List<String> messages = Files.readAllLines(operator.log()).stream().filter(line -> line.startsWith("{"))
        .map(OperatorJarIT::message).toList();
    assertThat(messages).as("one JSON line per decision, none per unchanged reconcile")
        .containsOnlyOnce("Schedule " + name + ": Scheduled (was new): runs when its webhook is called")
        .contains("Schedule " + name + ": webhook token created in Secret importer-webhook",
            "Schedule " + name + ": webhook run " + run + " started");
  }

  @Test
  void makesATlsServicesCertificateOnceCertManagerIsServed() {
    boolean installedHere = !CertManagerCrds.served(client);
    if (installedHere) {
      CertManagerCrds.install(client);
    }
    try {
      AgentServiceSpec spec = new AgentServiceSpec();
      spec.setAgent("acme/secure");
      spec.setBundle(new Bundle(null, "https://bundles.example.com/secure.tar.gz", null, null, null));
      spec.setIngress(new AgentServiceSpec.Ingress("secure.example.com", "/", null,
          new AgentServiceSpec.Tls("letsencrypt", AgentServiceSpec.IssuerKind.ClusterIssuer, null)));
      AgentService service = new AgentService();
      service.setMetadata(new ObjectMetaBuilder().withName("secure").withNamespace(client.getNamespace()).build());
      service.setSpec(spec);
      client.resource(service).create();
      Certificate certificate = await().atMost(Duration.ofSeconds(60))
          .until(() -> client.resources(Certificate.class).withName("secure").get(), c -> c != null);
      assertThat(certificate.getSpec().getDnsNames()).containsExactly("secure.example.com");
      AgentService waiting = await().atMost(Duration.ofSeconds(60)).until(() -> client.resources(AgentService.class)
          .withName("secure").get(), s -> s.getStatus() != null && s.getStatus().getTls() != null);
      assertThat(waiting.getStatus().getTls().getCertificate()).isEqualTo("secure");
      assertThat(waiting.getStatus().getUrl()).as("no https before the certificate is issued").isNull();
    } finally {
      client.resources(AgentService.class).withName("secure").delete();
      if (installedHere) {
        CertManagerCrds.uninstall(client);
      }
    }
  }

  @Test
  void answersTheChartsLivenessProbe() throws Exception {
    HttpResponse<String> live = operator.get("/q/health/live");
    assertThat(live.statusCode()).isEqualTo(200);
    assertThat(live.body()).contains("\"status\": \"UP\"");
  }

  private static String message(String jsonLine) {
    try {
      return JSON.readTree(jsonLine).path("message").asText();
    } catch (IOException e) {
      throw new AssertionError("not a JSON log line: " + jsonLine, e);
    }
  }
}
