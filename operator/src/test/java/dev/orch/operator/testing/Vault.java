package dev.orch.operator.testing;

import java.util.Map;

import dev.orch.operator.core.config.OrchConfig;
import io.fabric8.kubernetes.api.model.SecretBuilder;
import io.fabric8.kubernetes.client.KubernetesClient;

/** The namespace's vault Secret, under the operator's default name. */
public final class Vault {
  private Vault() {
  }

  /** Creates or replaces the vault of the client's namespace with these values (server-side apply). */
  public static void put(KubernetesClient client, Map<String, String> values) {
    client.resource(new SecretBuilder().withNewMetadata().withName(OrchConfig.DEFAULT_VAULT_SECRET).endMetadata()
        .withStringData(values).build()).serverSideApply();
  }
}
