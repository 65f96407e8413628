package dev.orch.operator.agentservice.tls;

import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Objects;
import java.util.Optional;

import dev.orch.operator.core.status.Conditions.Verdict;
import dev.orch.operator.core.status.EventRecorder.Notice;
import io.fabric8.certmanager.api.model.v1.Certificate;
import io.fabric8.certmanager.api.model.v1.CertificateCondition;
import io.fabric8.certmanager.api.model.v1.CertificateRequest;
import io.fabric8.certmanager.api.model.v1.CertificateRequestCondition;

/**
 * What a service's TLS status should say, as a pure function of what cert-manager reports: the Certificate's
 * Ready and Issuing conditions and, while one is in flight, its CertificateRequest's (only there does cert-manager
 * say that the issuer does not exist). Nothing here reads the clock except through {@code now}.
 */
public final class TlsCalculator {
  public static final String NOT_INSTALLED = "CertManagerNotInstalled";
  public static final String EXPIRING = "Expiring";
  static final String CERTIFICATE_NAME_ANNOTATION = "cert-manager.io/certificate-name";
  static final String REVISION_ANNOTATION = "cert-manager.io/certificate-revision";

  private TlsCalculator() {
  }

  /**
   * @param requests the CertificateRequests cert-manager made for the service's certificate (they carry its labels)
   */
  public record Observation(Optional<TlsRequest> request, boolean certManagerServed, Optional<Certificate> certificate,
      List<CertificateRequest> requests) {
  }

  /**
   * @param status the status section, or null for a service without TLS
   * @param problem what keeps the service from being Ready: the certificate is not issued yet (Reconciling) or
   *     cannot be (Stalled)
   * @param httpsReady the certificate is valid, so the service's URL may say https
   * @param alertDue a service.tls_expiring alert is due; the status already records it as sent
   * @param recheckIn when time alone will change the answer (the expiry window opens)
   */
  public record Result(TlsStatus status, Optional<Verdict> problem, boolean httpsReady, List<Notice> notices,
      boolean alertDue, Optional<Duration> recheckIn) {
    static Result none() {
      return new Result(null, Optional.empty(), false, List.of(), false, Optional.empty());
    }
  }

  private record Failure(String reason, String message) {
    Failure {
      // Sized for the status field; cert-manager's messages quote whole ACME errors.
      message = message == null ? "" : message.length() <= 2000 ? message : message.substring(0, 1997) + "...";
    }
  }

  public static Result compute(String namespace, Observation seen, TlsStatus previous, Duration expiryWindow, Instant now) {
    if (seen.request().isEmpty()) {
      return Result.none();
    }
    TlsRequest request = seen.request().get();
    TlsStatus before = previous == null ? new TlsStatus() : previous;
    TlsStatus status = new TlsStatus();
    status.setCertificate(request.certificateName());
    status.setHost(request.host());
    status.setSecretName(request.secretName());
    status.setReady(false);
    String describe = request.describeCommand(namespace);

    if (!seen.certManagerServed()) {
      String message = "cert-manager is not installed: this cluster does not serve the " + CertManagerApi.GROUP_VERSION
          + " API, so no certificate can be issued for " + request.host() + " and the Ingress is withheld. Install"
          + " cert-manager (https://cert-manager.io/docs/installation/) with issuer " + request.issuerKind() + " "
          + request.issuer() + ", or remove spec.ingress.tls to serve plain HTTP";
      status.setReason(NOT_INSTALLED);
      status.setMessage(message);
      return finish(before, status, Optional.of(Verdict.stalled(NOT_INSTALLED, message)), false,
          Optional.empty(), Optional.empty(), request);
    }
    if (seen.certificate().isEmpty()) {
      return finish(before, status, Optional.of(Verdict.progressing("CertificatePending", "creating certificate "
          + request.certificateName() + "; the URL becomes https://" + request.host() + " once cert-manager issues it")),
          false, Optional.empty(), Optional.empty(), request);
    }

    Certificate certificate = seen.certificate().get();
    var observed = certificate.getStatus();
    Optional<CertificateCondition> readyCondition = condition(certificate, "Ready");
    boolean ready = readyCondition.map(c -> "True".equals(c.getStatus())).orElse(false);
    status.setReady(ready);
    if (observed != null) {
      status.setNotAfter(observed.getNotAfter());
      status.setRenewalTime(observed.getRenewalTime());
      status.setLastFailureTime(observed.getLastFailureTime());
      status.setFailedIssuanceAttempts(observed.getFailedIssuanceAttempts());
    }
    Optional<CertificateRequest> pending = pendingRequest(certificate, seen.requests());
    Optional<Failure> failure = failure(certificate, pending);
    if (failure.isPresent()) {
      status.setReason(failure.get().reason());
      status.setMessage(failure.get().message());
    } else if (status.getLastFailureTime() != null && status.getLastFailureTime().equals(before.getLastFailureTime())) {
      status.setReason(before.getReason());
      status.setMessage(before.getMessage());
    }

    if (!ready) {
      Verdict verdict = failure
          .map(f -> Verdict.stalled(f.reason(), "certificate " + request.certificateName() + " cannot be issued: "
              + f.message() + "; see " + describe))
          .orElseGet(() -> Verdict.progressing("CertificateNotReady", "certificate " + request.certificateName()
              + " is not ready yet" + waitingFor(readyCondition, pending).map(m -> " (cert-manager: " + m + ")").orElse("")
              + "; the URL becomes https://" + request.host() + " once it is; see " + describe));
      return finish(before, status, Optional.of(verdict), false, Optional.empty(), Optional.empty(), request);
    }

    Optional<Instant> notAfter = Optional.ofNullable(status.getNotAfter()).map(Instant::parse);
    Optional<Instant> windowOpens = notAfter.map(t -> t.minus(expiryWindow));
    boolean expiring = windowOpens.filter(t -> !now.isBefore(t)).isPresent();
    Optional<String> alert = Optional.empty();
    if (expiring || failure.isPresent()) {
      if (failure.isEmpty()) {
        status.setReason(EXPIRING);
        status.setMessage("certificate " + request.certificateName() + " expires at " + status.getNotAfter()
            + " and cert-manager has not renewed it (renewal time " + status.getRenewalTime() + "); see " + describe);
      }
      if (status.getNotAfter() != null && !status.getNotAfter().equals(before.getAlertedNotAfter())) {
        status.setAlertedNotAfter(status.getNotAfter());
        alert = Optional.of(failure.isEmpty() ? status.getMessage() : "certificate " + request.certificateName()
            + " for " + request.host() + " (valid until " + status.getNotAfter() + ") is not being renewed: "
            + status.getMessage() + "; see " + describe);
      }
    }
    Optional<Duration> recheckIn = windowOpens.filter(now::isBefore).map(t -> Duration.between(now, t));
    return finish(before, status, Optional.empty(), true, alert, recheckIn, request);
  }

  private static Result finish(TlsStatus before, TlsStatus status, Optional<Verdict> problem, boolean httpsReady,
      Optional<String> alert, Optional<Duration> recheckIn, TlsRequest request) {
    if (status.getLastAlert() == null) {
      status.setLastAlert(before.getLastAlert());
    }
    if (status.getAlertedNotAfter() == null) {
      status.setAlertedNotAfter(before.getAlertedNotAfter());
    }
    List<Notice> notices = new ArrayList<>();
    if (alert.isPresent()) {
      notices.add(Notice.warning("CertificateExpiring", alert.get()));
    } else if (status.getReason() != null && !Objects.equals(status.getReason(), before.getReason())) {
      notices.add(Notice.warning(status.getReason(), status.getMessage()));
    }
    if (httpsReady && !Boolean.TRUE.equals(before.getReady())) {
      notices.add(Notice.normal("CertificateReady", "certificate " + request.certificateName() + " issued, valid until "
          + status.getNotAfter() + "; serving https://" + request.host()));
    }
    return new Result(status, problem, httpsReady, notices, alert.isPresent(), recheckIn);
  }

  /**
   * A failed issuance as cert-manager reports it: Issuing=False on the Certificate (an order failed, a request
   * was denied; cert-manager retries with backoff), or the in-flight request pending on an issuer that does not
   * exist, or failed before the Certificate caught up with it.
   */
  private static Optional<Failure> failure(Certificate certificate, Optional<CertificateRequest> pending) {
    Optional<CertificateCondition> issuing = condition(certificate, "Issuing").filter(c -> "False".equals(c.getStatus()));
    if (issuing.isPresent()) {
      return Optional.of(new Failure(orDefault(issuing.get().getReason(), "Failed"), issuing.get().getMessage()));
    }
    Optional<CertificateRequestCondition> requestReady = readyFalse(pending);
    if (requestReady.isEmpty()) {
      return Optional.empty();
    }
    String reason = requestReady.get().getReason();
    String message = orDefault(requestReady.get().getMessage(), "");
    if ("Failed".equals(reason) || "Denied".equals(reason)) {
      return Optional.of(new Failure(reason, message));
    }
    // cert-manager's reporter: "Referenced \"ClusterIssuer\" not found: clusterissuer.cert-manager.io \"x\" not found"
    if ("Pending".equals(reason) && message.startsWith("Referenced") && message.contains("not found")) {
      return Optional.of(new Failure("IssuerNotFound", message));
    }
    return Optional.empty();
  }

  /** What cert-manager says it waits for: the in-flight request's word (an issuer not ready yet) before the Certificate's. */
  private static Optional<String> waitingFor(Optional<CertificateCondition> certificateReady, Optional<CertificateRequest> pending) {
    return readyFalse(pending).map(CertificateRequestCondition::getMessage).filter(m -> !m.isBlank())
        .or(() -> certificateReady.map(CertificateCondition::getMessage));
  }

  private static Optional<CertificateRequestCondition> readyFalse(Optional<CertificateRequest> request) {
    return request.flatMap(r -> r.getStatus() == null || r.getStatus().getConditions() == null ? Optional.empty()
        : r.getStatus().getConditions().stream().filter(c -> "Ready".equals(c.getType()) && "False".equals(c.getStatus()))
            .findFirst());
  }

  /** The request for the next revision of this certificate, if cert-manager made one: older ones are history. */
  private static Optional<CertificateRequest> pendingRequest(Certificate certificate, List<CertificateRequest> requests) {
    int current = certificate.getStatus() == null || certificate.getStatus().getRevision() == null ? 0
        : certificate.getStatus().getRevision();
    return requests.stream()
        .filter(r -> r.getMetadata().getAnnotations() != null
            && certificate.getMetadata().getName().equals(r.getMetadata().getAnnotations().get(CERTIFICATE_NAME_ANNOTATION)))
        .filter(r -> revision(r) > current)
        .max(Comparator.comparingInt(TlsCalculator::revision));
  }

  private static int revision(CertificateRequest request) {
    try {
      return Integer.parseInt(request.getMetadata().getAnnotations().getOrDefault(REVISION_ANNOTATION, "0"));
    } catch (NumberFormatException e) {
      return 0;
    }
  }

  private static Optional<CertificateCondition> condition(Certificate certificate, String type) {
    if (certificate.getStatus() == null || certificate.getStatus().getConditions() == null) {
      return Optional.empty();
    }
    return certificate.getStatus().getConditions().stream().filter(c -> type.equals(c.getType())).findFirst();
  }

  private static String orDefault(String value, String fallback) {
    return value == null || value.isBlank() ? fallback : value;
  }
}
