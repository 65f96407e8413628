package dev.orch.kubectl;

import java.util.Map;
import java.util.Set;
import java.util.TreeSet;

import io.fabric8.kubernetes.api.model.Secret;
import picocli.CommandLine.Option;

/**
 * The namespace's vault: the Secret whose keys agents name in requiredSecrets and secrets (orch-secrets unless the
 * operator's orch.vault-secret-name says otherwise). The plugin reads its key names, never prints a value.
 */
public final class Vault {
  @Option(names = "--vault-secret", paramLabel = "NAME", defaultValue = "${env:ORCH_VAULT_SECRET_NAME:-orch-secrets}",
      description = "The namespace's vault Secret (default: $ORCH_VAULT_SECRET_NAME, else ${DEFAULT-VALUE}).")
  String secretName;

  Secret read(Verb verb) {
    return verb.client().secrets().inNamespace(verb.namespace()).withName(secretName).get();
  }

  Set<String> keys(Verb verb) {
    Secret secret = read(verb);
    Set<String> keys = new TreeSet<>();
    if (secret != null) {
      keys.addAll(secret.getData() == null ? Set.of() : secret.getData().keySet());
      keys.addAll(secret.getStringData() == null ? Set.of() : secret.getStringData().keySet());
    }
    return keys;
  }

  static Map<String, Object> dataPatch(String key, String base64) {
    return Map.of("data", Map.of(key, base64));
  }
}
