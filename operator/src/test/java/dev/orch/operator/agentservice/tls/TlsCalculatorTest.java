package dev.orch.operator.agentservice.tls;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.Optional;

import org.junit.jupiter.api.Test;

import dev.orch.operator.agentservice.AgentServiceStatus;
import dev.orch.operator.core.status.AgentState;
import dev.orch.operator.core.status.Conditions;
import dev.orch.operator.core.status.Conditions.Verdict;
import dev.orch.operator.core.status.EventRecorder;
import dev.orch.operator.core.status.EventRecorder.Notice;
import io.fabric8.certmanager.api.model.v1.Certificate;
import io.fabric8.certmanager.api.model.v1.CertificateBuilder;
import io.fabric8.certmanager.api.model.v1.CertificateCondition;
import io.fabric8.certmanager.api.model.v1.CertificateConditionBuilder;
import io.fabric8.certmanager.api.model.v1.CertificateRequest;
import io.fabric8.certmanager.api.model.v1.CertificateRequestBuilder;

/** The TLS status a service shows for what cert-manager reports, computed without a cluster. */
class TlsCalculatorTest {
  private static final Instant NOW = Instant.parse("2026-11-30T12:00:00Z");
  private static final Duration WINDOW = Duration.ofDays(7);
  private static final TlsRequest REQUEST = new TlsRequest("bot", "bot.example.com", "bot-tls", "letsencrypt", "ClusterIssuer");

  private static TlsCalculator.Result compute(boolean served, Certificate certificate, List<CertificateRequest> requests,
      TlsStatus previous) {
    return TlsCalculator.compute("team-a", new TlsCalculator.Observation(Optional.of(REQUEST), served,
        Optional.ofNullable(certificate), requests), previous, WINDOW, NOW);
  }

  private static CertificateCondition condition(String type, String status, String reason, String message) {
    return new CertificateConditionBuilder().withType(type).withStatus(status).withReason(reason).withMessage(message).build();
  }

  private static Certificate certificate(Integer revision, String notAfter, CertificateCondition... conditions) {
    return new CertificateBuilder().withNewMetadata().withName("bot").withNamespace("team-a").endMetadata()
        .withNewStatus().withConditions(conditions).withRevision(revision).withNotAfter(notAfter)
        .withRenewalTime(notAfter == null ? null : Instant.parse(notAfter).minus(Duration.ofDays(30)).toString())
        .endStatus().build();
  }

  private static CertificateRequest request(int revision, String reason, String message) {
    return new CertificateRequestBuilder().withNewMetadata().withName("bot-" + revision).withNamespace("team-a")
        .withAnnotations(Map.of("cert-manager.io/certificate-name", "bot", "cert-manager.io/certificate-revision",
            String.valueOf(revision)))
        .endMetadata()
        .withNewStatus().addNewCondition().withType("Ready").withStatus("False").withReason(reason).withMessage(message)
        .endCondition().endStatus().build();
  }

  private static final CertificateCondition ISSUING = condition("Issuing", "True", "DoesNotExist", "Issuing certificate as Secret does not exist");
  private static final CertificateCondition NOT_READY = condition("Ready", "False", "DoesNotExist", "Issuing certificate as Secret does not exist");
  private static final CertificateCondition READY = condition("Ready", "True", "Ready", "Certificate is up to date and has not expired");

  @Test
  void noTlsNoSection() {
    var result = TlsCalculator.compute("team-a", new TlsCalculator.Observation(Optional.empty(), false, Optional.empty(),
        List.of()), null, WINDOW, NOW);
    assertThat(result.status()).isNull();
    assertThat(result.problem()).isEmpty();
  }

  @Test
  void withoutCertManagerTheServiceIsStalledWithTheInstallHint() {
    var result = compute(false, null, List.of(), null);
    Verdict verdict = result.problem().orElseThrow();
    assertThat(verdict.stalled()).isTrue();
    assertThat(verdict.reason()).isEqualTo("CertManagerNotInstalled");
    assertThat(verdict.message()).contains("cert-manager is not installed", "cert-manager.io/v1",
        "https://cert-manager.io/docs/installation/", "remove spec.ingress.tls");
    assertThat(result.httpsReady()).isFalse();
    assertThat(result.status().getReason()).isEqualTo("CertManagerNotInstalled");
    assertThat(result.notices()).extracting(Notice::reason).containsExactly("CertManagerNotInstalled");
  }

  @Test
  void issuingIsReconcilingAndNamesTheCertificateAndTheDescribeCommand() {
    var result = compute(true, certificate(null, null, NOT_READY, ISSUING), List.of(), null);
    Verdict verdict = result.problem().orElseThrow();
    assertThat(verdict.reconciling()).isTrue();
    assertThat(verdict.message()).contains("certificate bot is not ready yet", "kubectl describe certificate bot -n team-a",
        "https://bot.example.com once it is", "Issuing certificate as Secret does not exist");
    assertThat(result.status().getReady()).isFalse();
    assertThat(result.status().getReason()).as("issuing is no failure").isNull();
    assertThat(result.notices()).isEmpty();
  }

  @Test
  void missingIssuerReportedOnTheRequestIsStalled() {
    String message = "Referenced \"ClusterIssuer\" not found: clusterissuer.cert-manager.io \"letsencrypt\" not found";
    var result = compute(true, certificate(null, null, NOT_READY, ISSUING), List.of(request(1, "Pending", message)), null);
    Verdict verdict = result.problem().orElseThrow();
    assertThat(verdict.stalled()).isTrue();
    assertThat(verdict.reason()).isEqualTo("IssuerNotFound");
    assertThat(verdict.message()).contains(message, "kubectl describe certificate bot -n team-a");
    assertThat(result.notices()).extracting(Notice::reason).containsExactly("IssuerNotFound");
  }

  @Test
  void anIssuerNotReadyYetIsWaitedForInItsOwnWords() {
    var result = compute(true, certificate(null, null, NOT_READY, ISSUING),
        List.of(request(1, "Pending", "Referenced issuer does not have a Ready status condition")), null);
    assertThat(result.problem().orElseThrow().reconciling()).isTrue();
    assertThat(result.problem().get().message()).contains("(cert-manager: Referenced issuer does not have a Ready status condition)");
  }

  @Test
  void aRequestOfAnEarlierRevisionIsHistory() {
    var result = compute(true, certificate(2, "2027-02-28T12:00:00Z", READY),
        List.of(request(1, "Failed", "old failure")), null);
    assertThat(result.status().getReason()).isNull();
    assertThat(result.httpsReady()).isTrue();
  }

  @Test
  void failedIssuanceIsStalledWithCertManagersReason() {
    String message = "The certificate request has failed to complete and will be retried: Failed to wait for order resource"
        + " \"bot-1-123\" to become ready: order is in \"invalid\" state";
    var certificate = certificate(null, null, NOT_READY, condition("Issuing", "False", "Failed", message));
    certificate.getStatus().setLastFailureTime("2026-11-30T11:59:00Z");
    certificate.getStatus().setFailedIssuanceAttempts(1);
    var result = compute(true, certificate, List.of(), null);
    Verdict verdict = result.problem().orElseThrow();
    assertThat(verdict.stalled()).isTrue();
    assertThat(verdict.reason()).isEqualTo("Failed");
    assertThat(verdict.message()).contains("order is in \"invalid\" state");
    assertThat(result.status().getFailedIssuanceAttempts()).isEqualTo(1);
    assertThat(result.status().getLastFailureTime()).isEqualTo("2026-11-30T11:59:00Z");

    // cert-manager retries (Issuing=True again): the last failure stays in status while it tries.
    var retrying = certificate(null, null, NOT_READY, ISSUING);
    retrying.getStatus().setLastFailureTime("2026-11-30T11:59:00Z");
    var again = compute(true, retrying, List.of(), result.status());
    assertThat(again.problem().orElseThrow().reconciling()).isTrue();
    assertThat(again.status().getReason()).isEqualTo("Failed");
    assertThat(again.status().getMessage()).isEqualTo(message);
  }

  @Test
  void readyCertificateServesHttpsAndRechecksWhenTheExpiryWindowOpens() {
    var result = compute(true, certificate(1, "2027-02-28T12:00:00Z", READY), List.of(), null);
    assertThat(result.problem()).isEmpty();
    assertThat(result.httpsReady()).isTrue();
    assertThat(result.alertDue()).isFalse();
    assertThat(result.status().getNotAfter()).isEqualTo("2027-02-28T12:00:00Z");
    assertThat(result.status().getRenewalTime()).isEqualTo("2027-01-29T12:00:00Z");
    assertThat(result.recheckIn()).contains(Duration.between(NOW, Instant.parse("2027-02-21T12:00:00Z")));
    assertThat(result.notices()).extracting(Notice::reason).containsExactly("CertificateReady");
  }

  @Test
  void expiringCertificateAlertsOncePerCertificateAndARenewedOneIsQuiet() {
    var expiring = certificate(1, "2026-12-03T12:00:00Z", READY);
    var first = compute(true, expiring, List.of(), null);
    assertThat(first.alertDue()).isTrue();
    assertThat(first.httpsReady()).as("still valid").isTrue();
    assertThat(first.status().getReason()).isEqualTo("Expiring");
    assertThat(first.status().getAlertedNotAfter()).isEqualTo("2026-12-03T12:00:00Z");
    assertThat(first.notices()).extracting(Notice::reason).containsExactly("CertificateExpiring", "CertificateReady");
    assertThat(first.notices().get(0).type()).isEqualTo(EventRecorder.Type.Warning);

    var second = compute(true, expiring, List.of(), first.status());
    assertThat(second.alertDue()).as("at most once per certificate").isFalse();
    assertThat(second.notices()).isEmpty();

    var renewed = compute(true, certificate(2, "2027-02-28T12:00:00Z", READY), List.of(), second.status());
    assertThat(renewed.alertDue()).isFalse();
    assertThat(renewed.status().getReason()).isNull();
    assertThat(renewed.status().getAlertedNotAfter()).as("kept, so the same certificate never alerts twice")
        .isEqualTo("2026-12-03T12:00:00Z");
  }

  @Test
  void failingRenewalOfAValidCertificateAlertsButKeepsTheServiceReady() {
    var renewalFailing = certificate(1, "2027-02-28T12:00:00Z", READY, condition("Issuing", "False", "Failed",
        "The certificate request has failed to complete and will be retried: rate limited"));
    var result = compute(true, renewalFailing, List.of(), null);
    assertThat(result.problem()).isEmpty();
    assertThat(result.httpsReady()).isTrue();
    assertThat(result.alertDue()).isTrue();
    assertThat(result.status().getReason()).isEqualTo("Failed");
    assertThat(result.notices()).filteredOn(n -> n.type() == EventRecorder.Type.Warning).extracting(Notice::message)
        .singleElement().asString().contains("is not being renewed", "rate limited");
  }

  @Test
  void foldTurnsAReadyServiceReconcilingUntilTheCertificateIsAndHidesTheUrl() {
    AgentServiceStatus status = new AgentServiceStatus();
    status.setUrl("https://bot.example.com");
    status.setState(AgentState.RUNNING);
    status.setReadyInstances(1);
    status.setConditions(Conditions.merge(null, Verdict.ready("Running", "1/1 instances ready"), 1, NOW.toString()));

    ServiceTls.fold(status, null, compute(true, certificate(null, null, NOT_READY, ISSUING), List.of(), null), 1, NOW.toString());
    assertThat(status.getUrl()).isNull();
    assertThat(Conditions.isTrue(status.getConditions(), Conditions.RECONCILING)).isTrue();
    assertThat(Conditions.isTrue(status.getConditions(), Conditions.READY)).isFalse();
    assertThat(status.getState()).isEqualTo(AgentState.RUNNING);

    AgentServiceStatus rolling = new AgentServiceStatus();
    rolling.setConditions(Conditions.merge(null, Verdict.progressing("RollingOut", "0/1 instances ready"), 1, NOW.toString()));
    ServiceTls.fold(rolling, null, compute(true, certificate(null, null, NOT_READY, ISSUING), List.of(), null), 1, NOW.toString());
    assertThat(Conditions.find(rolling.getConditions(), Conditions.RECONCILING).orElseThrow().getMessage())
        .as("both on their way: both said").startsWith("0/1 instances ready; certificate bot is not ready yet");

    AgentServiceStatus paused = new AgentServiceStatus();
    paused.setConditions(Conditions.merge(null, Verdict.idle("Paused", "paused"), 1, NOW.toString()));
    ServiceTls.fold(paused, null, compute(false, null, List.of(), null), 1, NOW.toString());
    assertThat(Conditions.find(paused.getConditions(), Conditions.READY).orElseThrow().getReason())
        .as("the workload's own state wins").isEqualTo("Paused");
  }
}
