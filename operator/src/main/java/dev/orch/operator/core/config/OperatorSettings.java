package dev.orch.operator.core.config;

import java.nio.file.Path;
import java.time.Duration;
import java.util.Optional;

/**
 * What the operator is configured with, as plain values so that desired-state functions and tests do not
 * need Quarkus. Produced from {@link OrchConfig} at startup.
 *
 * @param nativeSidecars run the gateway as a native sidecar (an init container with restartPolicy Always),
 *     which Kubernetes supports from 1.29; otherwise as an ordinary second container
 * @param stableAfter how long an agent must stay up for its failure streak to reset (the kubelet's backoff
 *     reset is 10 minutes)
 * @param alertCaBundle extra CAs (PEM) trusted for alert webhooks, for in-house receivers
 * @param webhooks the schedule-webhook endpoint's public address and limits
 * @param tls when a certificate counts as expiring, and how often a cluster without cert-manager is asked again
 */
public record OperatorSettings(
    String runnerImage,
    String gatewayImage,
    Optional<String> baseDomain,
    String vaultSecretName,
    Optional<String> defaultClusterIssuer,
    boolean nativeSidecars,
    Duration stableAfter,
    Optional<Path> alertCaBundle,
    Webhooks webhooks,
    Tls tls) {

  /**
   * @param baseUrl where callers reach the operator's webhook endpoint (e.g. https://hooks.example.com), used to
   *     show each webhook schedule's full URL in its status
   * @param requestsPerMinute per schedule, counted before the token is checked so guessing is slow too
   * @param maxBodyBytes largest JSON input a webhook call may carry
   */
  public record Webhooks(Optional<String> baseUrl, int requestsPerMinute, int maxBodyBytes) {
    public static final Webhooks DEFAULTS = new Webhooks(Optional.empty(), 30, 64 * 1024);
  }

  /**
   * @param expiryWarning a certificate this close to its notAfter and not renewed raises service.tls_expiring
   * @param certManagerRecheck how long "cert-manager is not installed" is trusted before discovery is asked again
   */
  public record Tls(Duration expiryWarning, Duration certManagerRecheck) {
    public static final Tls DEFAULTS = new Tls(Duration.ofDays(7), Duration.ofMinutes(1));
  }

  public static OperatorSettings defaults() {
    return new OperatorSettings(OrchConfig.DEFAULT_RUNNER_IMAGE, OrchConfig.DEFAULT_GATEWAY_IMAGE, Optional.empty(),
        OrchConfig.DEFAULT_VAULT_SECRET, Optional.empty(), true, Duration.ofMinutes(10), Optional.empty(), Webhooks.DEFAULTS,
        Tls.DEFAULTS);
  }

  public OperatorSettings withBaseDomain(String domain) {
    return new OperatorSettings(runnerImage, gatewayImage, Optional.of(domain), vaultSecretName, defaultClusterIssuer,
        nativeSidecars, stableAfter, alertCaBundle, webhooks, tls);
  }

  public OperatorSettings withCrashLoop(Duration stable, Optional<Path> caBundle) {
    return new OperatorSettings(runnerImage, gatewayImage, baseDomain, vaultSecretName, defaultClusterIssuer,
        nativeSidecars, stable, caBundle, webhooks, tls);
  }

  public OperatorSettings withWebhooks(Webhooks limits) {
    return new OperatorSettings(runnerImage, gatewayImage, baseDomain, vaultSecretName, defaultClusterIssuer,
        nativeSidecars, stableAfter, alertCaBundle, limits, tls);
  }

  public OperatorSettings withTls(Tls certificates) {
    return new OperatorSettings(runnerImage, gatewayImage, baseDomain, vaultSecretName, defaultClusterIssuer,
        nativeSidecars, stableAfter, alertCaBundle, webhooks, certificates);
  }
}
