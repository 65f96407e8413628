package dev.orch.operator.agent;

import java.util.ArrayList;
import java.util.List;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;

/**
 * What the operator can learn from a bundle without running it: the {@code required_secrets} of its
 * orchagent.json, for bundles it can read (a ConfigMap in the resource's namespace, see BundleConfigMaps).
 */
public final class BundleManifest {
  public static final String FILE = "orchagent.json";
  private static final ObjectMapper JSON = new ObjectMapper();

  private BundleManifest() {
  }

  /** The required_secrets an orchagent.json declares; none when it cannot be read. */
  public static List<String> requiredSecrets(String manifest) {
    try {
      JsonNode names = JSON.readTree(manifest).path("required_secrets");
      List<String> secrets = new ArrayList<>();
      names.forEach(n -> {
        if (n.isTextual() && n.asText().matches(AgentTemplate.VARIABLE_NAME)) {
          secrets.add(n.asText());
        }
      });
      return secrets;
    } catch (JsonProcessingException e) {
      // The runner reports an unreadable manifest with the details; here it just declares nothing.
      return List.of();
    }
  }
}
