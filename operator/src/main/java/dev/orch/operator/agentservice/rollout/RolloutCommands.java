package dev.orch.operator.agentservice.rollout;

import java.util.Map;
import java.util.Objects;
import java.util.Optional;

import dev.orch.operator.core.reconcile.RestartRequest;
import io.fabric8.kubernetes.api.model.HasMetadata;

/**
 * The rollout commands, annotations on the AgentService so that none edits its spec (with GitOps a spec edit would
 * be reverted by the source). Each new value is acted on once: the status keeps the last value handled.
 */
public final class RolloutCommands {
  /** The promote value (or its prefix, {@code full-ANYTHING}, so a later full promote differs) for every step at once. */
  static final String FULL = "full";

  private RolloutCommands() {
  }

  /**
   * Whether a promote value asks for every remaining step. {@code full-ANYTHING} counts too because a value is acted
   * on once: after one full promote the status holds {@code full}, and the next canary needs a value that differs.
   */
  static boolean isFull(String promote) {
    return promote.equals(FULL) || promote.startsWith(FULL + "-");
  }

  /** The command's value when it was set since the status last handled it. */
  static Optional<String> fresh(HasMetadata service, String annotation, String handled) {
    Map<String, String> annotations = service.getMetadata().getAnnotations();
    String value = annotations == null ? null : annotations.get(annotation);
    return value == null || Objects.equals(value, handled) ? Optional.empty() : Optional.of(value);
  }

  /** The kubectl line that sends a command, for status messages and events. */
  public static String command(HasMetadata service, String annotation) {
    return RestartRequest.command(service, annotation);
  }
}
