package dev.orch.operator.core;

import java.util.List;

import dev.orch.operator.agent.AgentTemplate;
import dev.orch.operator.agent.BundleManifest;
import dev.orch.operator.agent.SecretNames;
import io.fabric8.kubernetes.api.model.HasMetadata;
import io.fabric8.kubernetes.client.KubernetesClient;

/** The secret names an agent gets and whether the namespace's vault holds them all. */
public record AgentSecrets(List<String> names, SecretCheck check) {

  public static <P extends HasMetadata> AgentSecrets of(P primary, AgentTemplate template, KubernetesClient client,
      VaultSecretEventSource<P> vault) {
    String namespace = primary.getMetadata().getNamespace();
    List<String> names = namesOf(template, client, namespace);
    var secret = vault.vaultOf(primary);
    return new AgentSecrets(names, SecretCheck.of(namespace, vault.secretName(), names, VaultSecretEventSource.keyNames(secret),
        secret.isPresent()));
  }

  /** The spec's required and extra secrets plus those the bundle's orchagent.json declares. */
  public static List<String> namesOf(AgentTemplate template, KubernetesClient client, String namespace) {
    return SecretNames.of(template, BundleManifest.requiredSecrets(client, namespace, template.getBundle()));
  }
}
