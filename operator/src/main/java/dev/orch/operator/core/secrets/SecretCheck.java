package dev.orch.operator.core.secrets;

import java.util.Collection;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;
import java.util.stream.Collectors;

/**
 * Which secret keys an agent needs and which of them the namespace's vault Secret lacks, with the command
 * that fixes it. Only key names are handled here; values are injected by secretKeyRef and never read.
 */
public record SecretCheck(String namespace, String vaultName, List<String> missing, boolean vaultExists) {

  public static SecretCheck of(String namespace, String vaultName, Collection<String> wanted, Set<String> present,
      boolean vaultExists) {
    List<String> missing = new LinkedHashSet<>(wanted).stream().filter(k -> !present.contains(k)).toList();
    return new SecretCheck(namespace, vaultName, missing, vaultExists);
  }

  public boolean satisfied() {
    return missing.isEmpty();
  }

  /** Names every missing key and gives the kubectl command that adds them. */
  public String message() {
    String literals = missing.stream().map(k -> "--from-literal=" + k + "=<value>").collect(Collectors.joining(" "));
    String fix = vaultExists
        ? "kubectl -n " + namespace + " patch secret " + vaultName + " --type merge -p '{\"stringData\":{"
            + missing.stream().map(k -> "\"" + k + "\":\"<value>\"").collect(Collectors.joining(",")) + "}}'"
        : "kubectl -n " + namespace + " create secret generic " + vaultName + " " + literals;
    return "missing secret" + (missing.size() == 1 ? "" : "s") + " " + String.join(", ", missing) + " in Secret "
        + namespace + "/" + vaultName + (vaultExists ? "" : " (the Secret does not exist)") + "; add "
        + (missing.size() == 1 ? "it" : "them") + " with: " + fix;
  }
}
