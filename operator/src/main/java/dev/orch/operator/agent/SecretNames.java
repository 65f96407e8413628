package dev.orch.operator.agent;

import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;

/** The vault keys an agent receives: its required secrets (its own and its bundle's) and the extra ones. */
public final class SecretNames {
  private SecretNames() {
  }

  public static List<String> of(AgentTemplate template, List<String> bundleRequired) {
    Set<String> names = new LinkedHashSet<>();
    if (template.getRequiredSecrets() != null) {
      names.addAll(template.getRequiredSecrets());
    }
    names.addAll(bundleRequired);
    if (template.getSecrets() != null) {
      names.addAll(template.getSecrets());
    }
    return new ArrayList<>(names);
  }
}
