package dev.orch.operator.core.secrets;

import java.util.List;

import dev.orch.operator.agent.AgentTemplate;
import dev.orch.operator.agent.SecretNames;
import dev.orch.operator.core.bundle.BundleCheck;
import io.fabric8.kubernetes.api.model.HasMetadata;

/** The secret names an agent gets and whether the namespace's vault holds them all. */
public record AgentSecrets(List<String> names, SecretCheck check) {

  /** The spec's required and extra secrets plus those the bundle's orchagent.json declares. */
  public static <P extends HasMetadata> AgentSecrets of(P primary, AgentTemplate template, BundleCheck bundle,
      VaultSecretEventSource<P> vault) {
    String namespace = primary.getMetadata().getNamespace();
    List<String> names = SecretNames.of(template, bundle.requiredSecrets());
    var secret = vault.vaultOf(primary);
    return new AgentSecrets(names, SecretCheck.of(namespace, vault.secretName(), names, VaultSecretEventSource.keyNames(secret),
        secret.isPresent()));
  }
}
