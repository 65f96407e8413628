package dev.orch.operator.agentservice;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.function.Consumer;
import java.util.function.Predicate;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.TestMethodOrder;
import org.junit.jupiter.api.io.TempDir;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.orch.localcluster.WithKubernetes;
import dev.orch.operator.agent.Bundle;
import dev.orch.operator.core.status.Conditions;
import dev.orch.operator.core.reconcile.Labels;
import dev.orch.operator.core.config.OperatorSettings;
import dev.orch.operator.testing.Bundles;
import dev.orch.operator.testing.CertManagerCrds;
import dev.orch.operator.testing.CustomResources;
import dev.orch.operator.testing.HttpsReceiver;
import dev.orch.operator.testing.Kubelet;
import dev.orch.operator.testing.RunningOperator;
import io.fabric8.certmanager.api.model.v1.Certificate;
import io.fabric8.certmanager.api.model.v1.CertificateCondition;
import io.fabric8.certmanager.api.model.v1.CertificateConditionBuilder;
import io.fabric8.certmanager.api.model.v1.CertificateRequest;
import io.fabric8.certmanager.api.model.v1.CertificateRequestBuilder;
import io.fabric8.certmanager.api.model.v1.CertificateStatus;
import io.fabric8.certmanager.api.model.v1.CertificateStatusBuilder;
import io.fabric8.kubernetes.api.model.Condition;
import io.fabric8.kubernetes.api.model.ObjectMetaBuilder;
import io.fabric8.kubernetes.api.model.events.v1.Event;
import io.fabric8.kubernetes.api.model.networking.v1.Ingress;
import io.fabric8.kubernetes.client.KubernetesClient;

/**
 * TLS through cert-manager's Certificate on a real API server with cert-manager's CRDs: the test plays cert-manager
 * by writing the Certificate's status (and a CertificateRequest's), as the crash-loop tests play the kubelet.
 * The first test runs before the CRDs exist, to see a cluster without cert-manager.
 */
@WithKubernetes(controllerManager = true)
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class AgentServiceTlsTest {
  private static final Duration TIMEOUT = Duration.ofSeconds(30);
  private static final ObjectMapper JSON = new ObjectMapper();
  private final KubernetesClient client;
  private HttpsReceiver receiver;
  private RunningOperator<AgentService> operator;
  private boolean installedHere;

  AgentServiceTlsTest(KubernetesClient client) {
    this.client = client;
  }

  @BeforeAll
  void start(@TempDir Path workDir) throws Exception {
    receiver = new HttpsReceiver(workDir);
    OperatorSettings settings = OperatorSettings.defaults().withCrashLoop(Duration.ofMinutes(10), Optional.of(receiver.caBundle()))
        .withTls(new OperatorSettings.Tls(Duration.ofDays(7), Duration.ofSeconds(1)));
    operator = RunningOperator.start(client, meters -> new AgentServiceReconciler(settings, meters));
  }

  @AfterAll
  void stop() {
    operator.close();
    receiver.close();
    if (installedHere) {
      CertManagerCrds.uninstall(client);
    }
  }

  @Test
  @Order(1)
  void withoutCertManagerATlsServiceIsStalledWithNoIngressUntilCertManagerIsInstalled() {
    Assumptions.assumeFalse(CertManagerCrds.served(client), "this cluster already serves cert-manager");
    apply(service("early", null));

    AgentService stalled = awaitStatus("early", s -> Conditions.isTrue(s.getConditions(), Conditions.STALLED));
    Condition condition = Conditions.find(stalled.getStatus().getConditions(), Conditions.STALLED).orElseThrow();
    assertThat(condition.getReason()).isEqualTo("CertManagerNotInstalled");
    assertThat(condition.getMessage()).contains("cert-manager is not installed", "https://cert-manager.io/docs/installation/");
    assertThat(stalled.getStatus().getUrl()).as("no URL while no certificate can come").isNull();
    assertThat(stalled.getStatus().getTls().getReason()).isEqualTo("CertManagerNotInstalled");
    assertThat(client.network().v1().ingresses().withName("early").get()).as("no Ingress claiming TLS").isNull();
    awaitEvents("early", "CertManagerNotInstalled");

    CertManagerCrds.install(client);
    installedHere = true;
    Certificate certificate = await().atMost(TIMEOUT).until(() -> client.resources(Certificate.class).withName("early").get(),
        c -> c != null);
    assertThat(certificate.getSpec().getDnsNames()).containsExactly("early.example.com");
    await().atMost(TIMEOUT).until(() -> client.network().v1().ingresses().withName("early").get() != null);
    AgentService waiting = awaitStatus("early", s -> Conditions.isTrue(s.getConditions(), Conditions.RECONCILING));
    assertThat(reconcilingMessage(waiting.getStatus())).contains("certificate early",
        "kubectl describe certificate early -n " + client.getNamespace());
  }

  @Test
  @Order(2)
  void theCertificateTakesTheServiceFromIssuingThroughFailuresToHttpsAndAlertsWhenRenewalFailsOrItExpires() throws Exception {
    if (!CertManagerCrds.served(client)) {
      CertManagerCrds.install(client);
      installedHere = true;
    }
    AgentService applied = apply(service("web", receiver.url()));

    Certificate certificate = await().atMost(TIMEOUT).until(() -> client.resources(Certificate.class).withName("web").get(),
        c -> c != null);
    assertThat(certificate.getMetadata().getOwnerReferences()).singleElement().satisfies(o -> {
      assertThat(o.getUid()).isEqualTo(applied.getMetadata().getUid());
      assertThat(o.getKind()).isEqualTo("AgentService");
      assertThat(o.getController()).isTrue();
    });
    assertThat(certificate.getMetadata().getLabels()).containsAllEntriesOf(Labels.selector(applied))
        .containsEntry(Labels.MANAGED_BY, Labels.OPERATOR);
    assertThat(certificate.getSpec().getSecretName()).isEqualTo("web-tls");
    assertThat(certificate.getSpec().getDnsNames()).containsExactly("web.example.com");
    assertThat(certificate.getSpec().getIssuerRef().getName()).isEqualTo("letsencrypt");
    assertThat(certificate.getSpec().getIssuerRef().getKind()).isEqualTo("ClusterIssuer");
    assertThat(certificate.getSpec().getIssuerRef().getGroup()).isEqualTo("cert-manager.io");
    Ingress ingress = await().atMost(TIMEOUT).until(() -> client.network().v1().ingresses().withName("web").get(), i -> i != null);
    assertThat(ingress.getMetadata().getAnnotations()).as("no ingress-shim annotation")
        .doesNotContainKeys("cert-manager.io/cluster-issuer", "cert-manager.io/issuer");
    assertThat(ingress.getSpec().getTls()).singleElement().satisfies(t -> assertThat(t.getSecretName()).isEqualTo("web-tls"));

    await().atMost(TIMEOUT).until(() -> Kubelet.markReady(client, Labels.selector(applied)) > 0);

    // Issuing: the workload is ready, the certificate is not.
    writeCertificateStatus("web", status(null, null, null,
        condition("Ready", "False", "DoesNotExist", "Issuing certificate as Secret does not exist"),
        condition("Issuing", "True", "DoesNotExist", "Issuing certificate as Secret does not exist")));
    AgentService issuing = awaitStatus("web", s -> reconcilingMessage(s).contains("Issuing certificate as Secret does not exist"));
    assertThat(issuing.getStatus().getReadyInstances()).isEqualTo(1);
    assertThat(issuing.getStatus().getUrl()).isNull();
    assertThat(reconcilingMessage(issuing.getStatus())).contains("https://web.example.com once it is",
        "kubectl describe certificate web -n " + client.getNamespace());

    // The issuer does not exist: only the CertificateRequest says so.
    CertificateRequest request = client.resource(new CertificateRequestBuilder()
        .withMetadata(new ObjectMetaBuilder().withName("web-1").withLabels(certificate.getMetadata().getLabels())
            .withAnnotations(Map.of("cert-manager.io/certificate-name", "web", "cert-manager.io/certificate-revision", "1")).build())
        .withNewSpec().withRequest("LS0tLS1CRUdJTiBDRVJUSUZJQ0FURSBSRVFVRVNULS0tLS0K")
        .withNewIssuerRef().withName("letsencrypt").withKind("ClusterIssuer").withGroup("cert-manager.io").endIssuerRef().endSpec()
        .build()).create();
    request.setStatus(new io.fabric8.certmanager.api.model.v1.CertificateRequestStatusBuilder().addNewCondition()
        .withType("Ready").withStatus("False").withReason("Pending")
        .withMessage("Referenced \"ClusterIssuer\" not found: clusterissuer.cert-manager.io \"letsencrypt\" not found")
        .withLastTransitionTime(now()).endCondition().build());
    client.resource(request).updateStatus();
    AgentService noIssuer = awaitStatus("web", s -> "IssuerNotFound".equals(stalledReason(s)));
    assertThat(Conditions.find(noIssuer.getStatus().getConditions(), Conditions.STALLED).orElseThrow().getMessage())
        .contains("clusterissuer.cert-manager.io \"letsencrypt\" not found");
    awaitEvents("web", "IssuerNotFound");

    // An order failed: cert-manager gives up for now, with its reason.
    client.resources(CertificateRequest.class).withName("web-1").delete();
    String failed = "The certificate request has failed to complete and will be retried: order is in \"invalid\" state";
    CertificateStatus failing = status(null, null, null,
        condition("Ready", "False", "DoesNotExist", "Issuing certificate as Secret does not exist"),
        condition("Issuing", "False", "Failed", failed));
    failing.setLastFailureTime(now());
    failing.setFailedIssuanceAttempts(1);
    writeCertificateStatus("web", failing);
    AgentService orderFailed = awaitStatus("web", s -> "Failed".equals(stalledReason(s)));
    assertThat(orderFailed.getStatus().getTls().getMessage()).isEqualTo(failed);
    assertThat(orderFailed.getStatus().getTls().getFailedIssuanceAttempts()).isEqualTo(1);

    // Issued: Ready, and only now an https URL.
    Instant notAfter = Instant.now().plus(90, ChronoUnit.DAYS).truncatedTo(ChronoUnit.SECONDS);
    writeCertificateStatus("web", status(1, notAfter, notAfter.minus(30, ChronoUnit.DAYS),
        condition("Ready", "True", "Ready", "Certificate is up to date and has not expired")));
    AgentService ready = awaitStatus("web", s -> Conditions.isTrue(s.getConditions(), Conditions.READY));
    assertThat(ready.getStatus().getUrl()).isEqualTo("https://web.example.com");
    assertThat(ready.getStatus().getTls().getReady()).isTrue();
    assertThat(ready.getStatus().getTls().getNotAfter()).isEqualTo(notAfter.toString());
    awaitEvents("web", "CertificateReady");
    int alertsBefore = receiver.bodies.size();

    // Renewal fails while the certificate is still valid: still Ready, but a warning and one alert.
    String rateLimited = "The certificate request has failed to complete and will be retried: too many certificates already issued";
    writeCertificateStatus("web", status(1, notAfter, notAfter.minus(30, ChronoUnit.DAYS),
        condition("Ready", "True", "Ready", "Certificate is up to date and has not expired"),
        condition("Issuing", "False", "Failed", rateLimited)));
    await().atMost(TIMEOUT).until(() -> receiver.bodies.size() == alertsBefore + 1);
    JsonNode alert = JSON.readTree(receiver.bodies.get(alertsBefore));
    assertThat(alert.get("event").asText()).isEqualTo("service.tls_expiring");
    assertThat(alert.get("service_id").asText()).isEqualTo(applied.getMetadata().getUid());
    assertThat(alert.get("workspace_id").asText()).isEqualTo(client.getNamespace());
    assertThat(alert.get("service_name").asText()).isEqualTo("web");
    assertThat(alert.get("certificate").asText()).isEqualTo("web");
    assertThat(alert.get("host").asText()).isEqualTo("web.example.com");
    assertThat(alert.get("not_after").asText()).isEqualTo(notAfter.toString());
    assertThat(alert.get("reason").asText()).isEqualTo("Failed");
    assertThat(alert.get("message").asText()).isEqualTo(rateLimited);
    awaitEvents("web", "CertificateExpiring");
    AgentService renewalFailing = awaitStatus("web", s -> s.getTls().getLastAlert() != null
        && !s.getTls().getLastAlert().underWay());
    assertThat(renewalFailing.getStatus().getTls().getLastAlert().delivered()).isTrue();
    assertThat(Conditions.isTrue(renewalFailing.getStatus().getConditions(), Conditions.READY)).isTrue();

    // The same certificate never alerts twice, even across an operator restart.
    operator.close();
    operator = RunningOperator.start(client, meters -> new AgentServiceReconciler(OperatorSettings.defaults()
        .withCrashLoop(Duration.ofMinutes(10), Optional.of(receiver.caBundle()))
        .withTls(new OperatorSettings.Tls(Duration.ofDays(7), Duration.ofSeconds(1))), meters));
    edit("web", s -> s.getMetadata().setAnnotations(Map.of("touched", "yes")));
    long reconciles = operator.reconciles();
    await().atMost(TIMEOUT).until(() -> operator.reconciles() > reconciles);
    assertThat(receiver.bodies).hasSize(alertsBefore + 1);

    // Renewed, then a later certificate nears its notAfter unrenewed: one more alert, for that certificate.
    Instant soon = Instant.now().plus(3, ChronoUnit.DAYS).truncatedTo(ChronoUnit.SECONDS);
    writeCertificateStatus("web", status(2, soon, soon.minus(1, ChronoUnit.DAYS),
        condition("Ready", "True", "Ready", "Certificate is up to date and has not expired")));
    await().atMost(TIMEOUT).until(() -> receiver.bodies.size() == alertsBefore + 2);
    JsonNode expiring = JSON.readTree(receiver.bodies.get(alertsBefore + 1));
    assertThat(expiring.get("reason").asText()).isEqualTo("Expiring");
    assertThat(expiring.get("not_after").asText()).isEqualTo(soon.toString());
    AgentService expiringService = awaitStatus("web", s -> soon.toString().equals(s.getTls().getAlertedNotAfter()));
    assertThat(expiringService.getStatus().getUrl()).as("still valid, still https").isEqualTo("https://web.example.com");

    // TLS turned off: the Certificate goes, the Ingress serves plain HTTP.
    edit("web", s -> s.getSpec().setIngress(new AgentServiceSpec.Ingress("web.example.com", "/", null, null)));
    await().atMost(TIMEOUT).until(() -> client.resources(Certificate.class).withName("web").get() == null);
    AgentService plain = awaitStatus("web", s -> "http://web.example.com".equals(s.getUrl()));
    assertThat(plain.getStatus().getTls()).isNull();
    assertThat(client.network().v1().ingresses().withName("web").get().getSpec().getTls()).isNullOrEmpty();
  }

  @Test
  @Order(3)
  void uninstallingCertManagerStallsTheServiceAgainAndWithdrawsItsIngress() {
    Assumptions.assumeTrue(installedHere, "only cert-manager CRDs this test installed are removed");
    apply(service("late", null));
    await().atMost(TIMEOUT).until(() -> client.resources(Certificate.class).withName("late").get() != null
        && client.network().v1().ingresses().withName("late").get() != null);

    CertManagerCrds.uninstall(client);
    installedHere = false;
    AgentService stalled = awaitStatus("late", s -> "CertManagerNotInstalled".equals(stalledReason(s)));
    assertThat(stalled.getStatus().getUrl()).isNull();
    await().atMost(TIMEOUT).until(() -> client.network().v1().ingresses().withName("late").get() == null);
  }

  private static CertificateCondition condition(String type, String status, String reason, String message) {
    return new CertificateConditionBuilder().withType(type).withStatus(status).withReason(reason).withMessage(message)
        .withLastTransitionTime(now()).build();
  }

  private static CertificateStatus status(Integer revision, Instant notAfter, Instant renewalTime, CertificateCondition... conditions) {
    return new CertificateStatusBuilder().withRevision(revision).withConditions(conditions)
        .withNotAfter(notAfter == null ? null : notAfter.toString())
        .withRenewalTime(renewalTime == null ? null : renewalTime.toString()).build();
  }

  private static String now() {
    return Instant.now().truncatedTo(ChronoUnit.SECONDS).toString();
  }

  /** Replaces the Certificate's status as cert-manager's controller does. */
  private void writeCertificateStatus(String name, CertificateStatus status) {
    await().atMost(TIMEOUT).ignoreExceptions().until(() -> {
      Certificate certificate = client.resources(Certificate.class).withName(name).get();
      certificate.setStatus(status);
      client.resource(certificate).updateStatus();
      return true;
    });
  }

  private static String reconcilingMessage(AgentServiceStatus status) {
    return Conditions.find(status.getConditions(), Conditions.RECONCILING).filter(c -> "True".equals(c.getStatus()))
        .map(Condition::getMessage).orElse("");
  }

  private static String stalledReason(AgentServiceStatus status) {
    return Conditions.find(status.getConditions(), Conditions.STALLED).filter(c -> "True".equals(c.getStatus()))
        .map(Condition::getReason).orElse(null);
  }

  private AgentService service(String name, String alertWebhookUrl) {
    AgentServiceSpec spec = new AgentServiceSpec();
    spec.setAgent("acme/" + name + "@1.0.0");
    spec.setBundle(new Bundle(new Bundle.ConfigMapSource(name + "-bundle"), null, null, null, null));
    spec.setIngress(new AgentServiceSpec.Ingress(name + ".example.com", "/", null,
        new AgentServiceSpec.Tls("letsencrypt", AgentServiceSpec.IssuerKind.ClusterIssuer, null)));
    spec.setAlertWebhookUrl(alertWebhookUrl);
    AgentService service = new AgentService();
    service.setMetadata(new ObjectMetaBuilder().withName(name).withNamespace(client.getNamespace()).build());
    service.setSpec(spec);
    return service;
  }

  private AgentService apply(AgentService service) {
    Bundles.put(client, service.getSpec().getBundle().configMap().name(), Bundles.HELLO);
    return client.resource(service).create();
  }

  private void edit(String name, Consumer<AgentService> change) {
    CustomResources.edit(client, AgentService.class, name, change, TIMEOUT);
  }

  private AgentService awaitStatus(String name, Predicate<AgentServiceStatus> test) {
    return CustomResources.awaitStatus(client, AgentService.class, name, test, TIMEOUT);
  }

  private void awaitEvents(String name, String... reasons) {
    await().atMost(TIMEOUT).untilAsserted(() -> assertThat(client.resources(Event.class).list().getItems().stream()
        .filter(e -> e.getRegarding() != null && name.equals(e.getRegarding().getName())).map(Event::getReason).toList())
        .contains(reasons));
  }
}
