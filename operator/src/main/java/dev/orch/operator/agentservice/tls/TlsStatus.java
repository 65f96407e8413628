package dev.orch.operator.agentservice.tls;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonPropertyDescription;
import dev.orch.operator.core.crashloop.CrashLoopRecord;
import io.fabric8.generator.annotation.Size;

/** The certificate of a TLS service as cert-manager reports it, and the expiry alert already sent for it. */
@JsonInclude(JsonInclude.Include.NON_NULL)
public class TlsStatus {
  @Size(max = 253)
  @JsonPropertyDescription("The cert-manager Certificate the operator made for the service's host.")
  private String certificate;

  @Size(max = 253)
  @JsonPropertyDescription("The host (the certificate's DNS name).")
  private String host;

  @Size(max = 253)
  @JsonPropertyDescription("The Secret cert-manager writes the certificate to; the Ingress serves it.")
  private String secretName;

  @JsonPropertyDescription("True when cert-manager reports the certificate Ready: issued, valid and in the Secret.")
  private Boolean ready;

  @Size(max = 64)
  @JsonPropertyDescription("When the certificate expires (RFC 3339).")
  private String notAfter;

  @Size(max = 64)
  @JsonPropertyDescription("When cert-manager will renew it (RFC 3339).")
  private String renewalTime;

  @Size(max = 128)
  @JsonPropertyDescription("Reason of the last failure: cert-manager's (Failed, Denied, IssuerNotFound, ...),"
      + " CertManagerNotInstalled, or Expiring.")
  private String reason;

  @Size(max = 2048)
  @JsonPropertyDescription("What cert-manager said about that failure.")
  private String message;

  @Size(max = 64)
  @JsonPropertyDescription("When cert-manager last failed to issue it (RFC 3339).")
  private String lastFailureTime;

  @JsonPropertyDescription("Issuances that failed in a row, as cert-manager counts them.")
  private Integer failedIssuanceAttempts;

  @Size(max = 64)
  @JsonPropertyDescription("The notAfter of the certificate a service.tls_expiring alert was sent for: one alert per"
      + " certificate, a renewed certificate can alert again.")
  private String alertedNotAfter;

  @JsonPropertyDescription("Outcome of the last service.tls_expiring delivery.")
  private CrashLoopRecord.AlertOutcome lastAlert;

  public String getCertificate() {
    return certificate;
  }

  public void setCertificate(String certificate) {
    this.certificate = certificate;
  }

  public String getHost() {
    return host;
  }

  public void setHost(String host) {
    this.host = host;
  }

  public String getSecretName() {
    return secretName;
  }

  public void setSecretName(String secretName) {
    this.secretName = secretName;
  }

  public Boolean getReady() {
    return ready;
  }

  public void setReady(Boolean ready) {
    this.ready = ready;
  }

  public String getNotAfter() {
    return notAfter;
  }

  public void setNotAfter(String notAfter) {
    this.notAfter = notAfter;
  }

  public String getRenewalTime() {
    return renewalTime;
  }

  public void setRenewalTime(String renewalTime) {
    this.renewalTime = renewalTime;
  }

  public String getReason() {
    return reason;
  }

  public void setReason(String reason) {
    this.reason = reason;
  }

  public String getMessage() {
    return message;
  }

  public void setMessage(String message) {
    this.message = message;
  }

  public String getLastFailureTime() {
    return lastFailureTime;
  }

  public void setLastFailureTime(String lastFailureTime) {
    this.lastFailureTime = lastFailureTime;
  }

  public Integer getFailedIssuanceAttempts() {
    return failedIssuanceAttempts;
  }

  public void setFailedIssuanceAttempts(Integer failedIssuanceAttempts) {
    this.failedIssuanceAttempts = failedIssuanceAttempts;
  }

  public String getAlertedNotAfter() {
    return alertedNotAfter;
  }

  public void setAlertedNotAfter(String alertedNotAfter) {
    this.alertedNotAfter = alertedNotAfter;
  }

  public CrashLoopRecord.AlertOutcome getLastAlert() {
    return lastAlert;
  }

  public void setLastAlert(CrashLoopRecord.AlertOutcome lastAlert) {
    this.lastAlert = lastAlert;
  }
}
