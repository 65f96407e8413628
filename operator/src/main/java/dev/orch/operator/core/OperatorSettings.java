package dev.orch.operator.core;

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
 */
public record OperatorSettings(
    String runnerImage,
    String gatewayImage,
    Optional<String> baseDomain,
    String vaultSecretName,
    Optional<String> defaultClusterIssuer,
    boolean nativeSidecars,
    Duration stableAfter,
    Optional<Path> alertCaBundle) {

  public static OperatorSettings defaults() {
    return new OperatorSettings(OrchConfig.DEFAULT_RUNNER_IMAGE, OrchConfig.DEFAULT_GATEWAY_IMAGE, Optional.empty(),
        OrchConfig.DEFAULT_VAULT_SECRET, Optional.empty(), true, Duration.ofMinutes(10), Optional.empty());
  }

  public OperatorSettings withBaseDomain(String domain) {
    return new OperatorSettings(runnerImage, gatewayImage, Optional.of(domain), vaultSecretName, defaultClusterIssuer,
        nativeSidecars, stableAfter, alertCaBundle);
  }

  public OperatorSettings withCrashLoop(Duration stable, Optional<Path> caBundle) {
    return new OperatorSettings(runnerImage, gatewayImage, baseDomain, vaultSecretName, defaultClusterIssuer,
        nativeSidecars, stable, caBundle);
  }
}
