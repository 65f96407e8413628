package dev.orch.operator.core;

import java.util.Optional;

/**
 * What the operator is configured with, as plain values so that desired-state functions and tests do not
 * need Quarkus. Produced from {@link OrchConfig} at startup.
 *
 * @param nativeSidecars run the gateway as a native sidecar (an init container with restartPolicy Always),
 *     which Kubernetes supports from 1.29; otherwise as an ordinary second container
 */
public record OperatorSettings(
    String runnerImage,
    String gatewayImage,
    Optional<String> baseDomain,
    String vaultSecretName,
    Optional<String> defaultClusterIssuer,
    boolean nativeSidecars) {

  public static OperatorSettings defaults() {
    return new OperatorSettings(OrchConfig.DEFAULT_RUNNER_IMAGE, OrchConfig.DEFAULT_GATEWAY_IMAGE, Optional.empty(),
        OrchConfig.DEFAULT_VAULT_SECRET, Optional.empty(), true);
  }

  public OperatorSettings withBaseDomain(String domain) {
    return new OperatorSettings(runnerImage, gatewayImage, Optional.of(domain), vaultSecretName, defaultClusterIssuer,
        nativeSidecars);
  }
}
