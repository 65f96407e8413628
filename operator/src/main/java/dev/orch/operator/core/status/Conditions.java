package dev.orch.operator.core.status;

import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.Optional;

import io.fabric8.kubernetes.api.model.Condition;
import io.fabric8.kubernetes.api.model.ConditionBuilder;
import io.fabric8.kubernetes.api.model.HasMetadata;

/**
 * Ready / Reconciling / Stalled in the shape kstatus, Argo CD and `kubectl wait` read. A condition keeps its
 * lastTransitionTime while its status is unchanged, and keeps its whole entry while nothing about it changed,
 * so re-reconciling a settled resource writes nothing.
 */
public final class Conditions {
  public static final String READY = "Ready";
  public static final String RECONCILING = "Reconciling";
  public static final String STALLED = "Stalled";

  private Conditions() {
  }

  /** What a reconcile concluded; turned into the three conditions by {@link #merge}. */
  public record Verdict(boolean ready, boolean reconciling, boolean stalled, String reason, String message) {
    public static Verdict ready(String reason, String message) {
      return new Verdict(true, false, false, reason, message);
    }

    public static Verdict progressing(String reason, String message) {
      return new Verdict(false, true, false, reason, message);
    }

    public static Verdict stalled(String reason, String message) {
      return new Verdict(false, false, true, reason, message);
    }

    /** Not ready by choice (for example paused): neither progressing nor stuck. */
    public static Verdict idle(String reason, String message) {
      return new Verdict(false, false, false, reason, message);
    }
  }

  /** The generation a status describes; 0 for an object the API server has not stored yet. */
  public static long generation(HasMetadata resource) {
    Long generation = resource.getMetadata().getGeneration();
    return generation == null ? 0 : generation;
  }

  public static List<Condition> merge(List<Condition> previous, Verdict verdict, long generation, String now) {
    List<Condition> merged = new ArrayList<>();
    merged.add(condition(previous, READY, verdict.ready(), verdict, generation, now));
    merged.add(condition(previous, RECONCILING, verdict.reconciling(), verdict, generation, now));
    merged.add(condition(previous, STALLED, verdict.stalled(), verdict, generation, now));
    return merged;
  }

  private static Condition condition(List<Condition> previous, String type, boolean status, Verdict verdict,
      long generation, String now) {
    String statusText = status ? "True" : "False";
    // A false Reconciling/Stalled carries no reason of its own: kstatus reads only their presence when true.
    boolean describes = status || type.equals(READY);
    String reason = describes ? verdict.reason() : "AsExpected";
    String message = describes ? verdict.message() : "";
    Condition old = find(previous, type).orElse(null);
    String transition = old != null && statusText.equals(old.getStatus()) && old.getLastTransitionTime() != null
        ? old.getLastTransitionTime() : now;
    return new ConditionBuilder().withType(type).withStatus(statusText).withReason(reason).withMessage(message)
        .withObservedGeneration(generation).withLastTransitionTime(transition).build();
  }

  public static boolean isTrue(List<Condition> conditions, String type) {
    return find(conditions, type).filter(c -> Objects.equals("True", c.getStatus())).isPresent();
  }

  public static Optional<Condition> find(List<Condition> conditions, String type) {
    return conditions == null ? Optional.empty() : conditions.stream().filter(c -> type.equals(c.getType())).findFirst();
  }
}
