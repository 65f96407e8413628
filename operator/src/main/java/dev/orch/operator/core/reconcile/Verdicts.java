package dev.orch.operator.core.reconcile;

import java.util.Optional;

import dev.orch.operator.core.bundle.BundleCheck;
import dev.orch.operator.core.secrets.SecretCheck;
import dev.orch.operator.core.status.Conditions.Verdict;

/** The verdicts every kind reaches the same way, with the same reason and message. */
public final class Verdicts {
  public static final Verdict PAUSED = Verdict.idle("Paused", "paused by spec.paused; set it to false to resume");

  private Verdicts() {
  }

  public static Verdict missingSecrets(SecretCheck secrets) {
    return Verdict.stalled("MissingSecrets", secrets.message());
  }

  /** What keeps the agent from being deployed at all: its bundle first, then the vault's missing keys. */
  public static Optional<Verdict> blocker(BundleCheck bundle, SecretCheck secrets) {
    if (bundle.problem().isPresent()) {
      return Optional.of(bundle.problem().get().verdict());
    }
    return secrets.satisfied() ? Optional.empty() : Optional.of(missingSecrets(secrets));
  }
}
