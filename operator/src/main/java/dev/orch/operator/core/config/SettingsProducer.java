package dev.orch.operator.core.config;

import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.inject.Produces;
import jakarta.inject.Singleton;

import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.VersionInfo;

@ApplicationScoped
public class SettingsProducer {
  /** Native sidecars are on by default from Kubernetes 1.29. */
  static final int NATIVE_SIDECAR_MINOR = 29;

  @Produces
  @Singleton
  OperatorSettings settings(OrchConfig config, KubernetesClient client) {
    boolean nativeSidecars = switch (config.nativeSidecars()) {
      case "true" -> true;
      case "false" -> false;
      case "auto" -> supportsNativeSidecars(client.getKubernetesVersion());
      default -> throw new IllegalArgumentException("orch.native-sidecars=" + config.nativeSidecars()
          + " is not valid; use auto, true or false");
    };
    return new OperatorSettings(config.runnerImage(), config.gatewayImage(), config.baseDomain(),
        config.vaultSecretName(), config.defaultClusterIssuer(), nativeSidecars, config.stableAfter(),
        config.alertCaBundle(), new OperatorSettings.Webhooks(config.webhooks().baseUrl().map(url -> url.replaceAll("/+$", "")),
            config.webhooks().requestsPerMinute(), config.webhooks().maxBodyBytes()),
        new OperatorSettings.Tls(config.tlsExpiryWarning(), OperatorSettings.Tls.DEFAULTS.certManagerRecheck()));
  }

  static boolean supportsNativeSidecars(VersionInfo version) {
    String minor = version.getMinor().replaceAll("\\D.*$", "");
    return Integer.parseInt(version.getMajor()) > 1 || Integer.parseInt(minor) >= NATIVE_SIDECAR_MINOR;
  }
}
