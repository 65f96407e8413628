package dev.orch.operator.core.config;

import java.nio.file.Path;
import java.time.Duration;
import java.util.Optional;

import io.smallrye.config.ConfigMapping;
import io.smallrye.config.WithDefault;
import io.smallrye.config.WithName;

/**
 * Operator settings from application.properties or the environment (ORCH_RUNNER_IMAGE, ORCH_BASE_DOMAIN, ...).
 * Watched namespaces are java-operator-sdk's own setting: QUARKUS_OPERATOR_SDK_NAMESPACES.
 */
@ConfigMapping(prefix = "orch")
public interface OrchConfig {
  String DEFAULT_RUNNER_IMAGE = "localhost/orch-runner:0.1.0";
  String DEFAULT_GATEWAY_IMAGE = "localhost/orch-gateway:0.1.0";
  String DEFAULT_VAULT_SECRET = "orch-secrets";

  /** Image of the runner (the prepare init container and the agent container). */
  @WithDefault(DEFAULT_RUNNER_IMAGE)
  String runnerImage();

  /** Image of the gateway sidecar. */
  @WithDefault(DEFAULT_GATEWAY_IMAGE)
  String gatewayImage();

  /** When set, services without their own ingress are published as https://NAME-NAMESPACE.BASE_DOMAIN. */
  Optional<String> baseDomain();

  /** Name of the Secret in each namespace that holds the agents' secret values. */
  @WithDefault(DEFAULT_VAULT_SECRET)
  String vaultSecretName();

  /** cert-manager ClusterIssuer for base-domain ingresses; without it they are served over plain HTTP. */
  Optional<String> defaultClusterIssuer();

  /** How long an agent must run without restarting for its consecutive-failure count to reset. */
  @WithName("crash-loop.stable-after")
  @WithDefault("10m")
  Duration stableAfter();

  /** A PEM file of extra CAs trusted when delivering alert webhooks. */
  @WithName("alerts.ca-bundle")
  Optional<Path> alertCaBundle();

  /** auto (detect from the API server's version), true or false. */
  @WithDefault("auto")
  String nativeSidecars();

  /** A certificate this close to its notAfter and not renewed raises a warning and a service.tls_expiring alert. */
  @WithName("tls.expiry-warning")
  @WithDefault("168h")
  Duration tlsExpiryWarning();

  /** The schedule-webhook endpoint (POST /webhooks/NAMESPACE/SCHEDULE/TOKEN). */
  Webhooks webhooks();

  interface Webhooks {
    /** Public address of the endpoint, e.g. https://hooks.example.com; shown in each webhook schedule's status. */
    Optional<String> baseUrl();

    /** Calls per minute accepted for one schedule (valid or not); more get 429 with Retry-After. */
    @WithDefault("30")
    int requestsPerMinute();

    /** Largest JSON body accepted as a run's input. */
    @WithDefault("65536")
    int maxBodyBytes();
  }
}
