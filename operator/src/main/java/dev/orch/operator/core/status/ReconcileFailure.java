package dev.orch.operator.core.status;

import java.net.HttpURLConnection;
import java.time.Duration;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.ArrayDeque;
import java.util.Deque;
import java.util.HashSet;
import java.util.Locale;
import java.util.Optional;
import java.util.Set;
import java.util.function.Supplier;

import dev.orch.operator.core.status.Conditions.Verdict;
import dev.orch.operator.core.status.EventRecorder.Notice;
import io.fabric8.kubernetes.client.CustomResource;
import io.fabric8.kubernetes.client.KubernetesClientException;
import io.fabric8.kubernetes.client.utils.Serialization;
import io.javaoperatorsdk.operator.AggregatedOperatorException;
import io.javaoperatorsdk.operator.api.reconciler.Context;
import io.javaoperatorsdk.operator.api.reconciler.ErrorStatusUpdateControl;

/**
 * A reconcile that threw, shown where users look: when the API server refuses an object the operator applies
 * (an invalid field, a quota, an admission policy), the resource turns Stalled or Reconciling with the API
 * server's message and what to change, and gets a Warning event; the next successful reconcile computes the
 * status afresh, which clears it.
 *
 * <p>A refusal that repeating the same request cannot change (400, 403, 422) is not retried with backoff: the
 * resource is looked at again when it changes, and every {@link #RECHECK} in case the cluster did (a quota
 * freed, a policy relaxed). Anything else is transient: Reconciling, java-operator-sdk's retries, and once
 * those are used up the same periodic recheck instead of giving up for good.
 */
public final class ReconcileFailure {
  static final Duration RECHECK = Duration.ofMinutes(5);
  private static final int MAX_DETAIL = 1024;

  private ReconcileFailure() {
  }

  /** What the failure means for the user: the condition it sets and whether retrying soon can help. */
  public record Diagnosis(boolean permanent, String reason, String message) {
    Verdict verdict() {
      return permanent ? Verdict.stalled(reason, message) : Verdict.progressing(reason, message);
    }
  }

  /**
   * The {@code updateErrorStatus} of all three reconcilers: writes the failure into status (only when that changes
   * it, so a repeated failure writes and announces nothing new) and decides how to retry.
   */
  public static <S extends OrchStatus, P extends CustomResource<?, S>> ErrorStatusUpdateControl<P> report(P primary,
      Context<P> context, Exception error, EventRecorder events, Supplier<S> emptyStatus) {
    Diagnosis diagnosis = diagnose(primary.getKind(), primary.getMetadata().getNamespace(), error);
    S before = primary.getStatus();
    S after = before == null ? emptyStatus.get() : Serialization.clone(before);
    long generation = Conditions.generation(primary);
    Verdict verdict = diagnosis.verdict();
    after.setObservedGeneration(generation);
    after.setConditions(Conditions.merge(after.getConditions(), verdict, generation,
        Instant.now().truncatedTo(ChronoUnit.SECONDS).toString()));
    after.showFailure(verdict);
    if (!StatusWriter.unchanged(before, after)) {
      try {
        StatusWriter.write(primary, after, context);
      } catch (KubernetesClientException e) {
        if (e.getCode() != HttpURLConnection.HTTP_NOT_FOUND) {
          throw e;
        }
        // Deleted while it was being reconciled (which is often why the reconcile failed): nobody left to tell.
        return ErrorStatusUpdateControl.<P>noStatusUpdate().withNoRetry();
      }
      events.emit(primary, Notice.warning(diagnosis.reason(), diagnosis.message()));
    }
    boolean retriesLeft = !diagnosis.permanent()
        && context.getRetryInfo().map(retry -> !retry.isLastAttempt()).orElse(false);
    return retriesLeft ? ErrorStatusUpdateControl.noStatusUpdate()
        : ErrorStatusUpdateControl.<P>noStatusUpdate().withNoRetry().rescheduleAfter(RECHECK);
  }

  /** A pure reading of the exception: the API server's refusal when there is one, else a transient failure. */
  static Diagnosis diagnose(String kind, String namespace, Throwable error) {
    Optional<KubernetesClientException> answer = apiServerAnswer(error);
    if (answer.isEmpty()) {
      return new Diagnosis(false, "ReconcileFailed", "reconciling failed: " + describe(error)
          + "; retrying (the operator's log has the details)");
    }
    KubernetesClientException refusal = answer.get();
    String refused = "the API server refused " + object(refusal) + ": " + apiMessage(refusal) + ". ";
    String detail = apiMessage(refusal).toLowerCase(Locale.ROOT);
    String recheck = "the operator tries again when the " + kind + " changes and every " + RECHECK.toMinutes() + " minutes";
    return switch (refusal.getCode()) {
      case HttpURLConnection.HTTP_BAD_REQUEST, 422 -> new Diagnosis(true, "ApplyRefused", refused + "Change the "
          + kind + " so the objects made from it are valid (the message names the field); the operator tries again"
          + " when the " + kind + " changes");
      // An API being uninstalled (cert-manager's, say) refuses creates while its definition terminates; that passes.
      case HttpURLConnection.HTTP_FORBIDDEN -> detail.contains("definition is terminating")
          ? new Diagnosis(false, "ApplyFailed", refused + "Its API is being removed from the cluster; retrying")
          : detail.contains("quota")
          ? new Diagnosis(true, "QuotaExceeded", refused + "Free or raise the namespace's ResourceQuota (kubectl -n "
              + namespace + " describe resourcequota) or ask for fewer resources; " + recheck)
          : detail.contains("cannot ")
              ? new Diagnosis(true, "OperatorForbidden", refused + "The operator's ServiceAccount lacks this"
                  + " permission: install the chart's RBAC (helm upgrade) or grant it; " + recheck)
              : new Diagnosis(true, "AdmissionRefused", refused + "An admission policy of the cluster refused it:"
                  + " change the " + kind + " to satisfy it or ask the cluster's administrators; " + recheck);
      default -> new Diagnosis(false, "ApplyFailed", "applying " + object(refusal) + " failed: " + apiMessage(refusal)
          + "; retrying");
    };
  }

  /**
   * The first answer from the API server in the cause chain; the workflow wraps each dependent's failure in an
   * {@link AggregatedOperatorException} that keeps them in a map rather than as causes.
   */
  private static Optional<KubernetesClientException> apiServerAnswer(Throwable error) {
    Deque<Throwable> pending = new ArrayDeque<>();
    Set<Throwable> seen = new HashSet<>();
    pending.add(error);
    while (!pending.isEmpty()) {
      Throwable next = pending.poll();
      if (!seen.add(next)) {
        continue;
      }
      if (next instanceof KubernetesClientException answer && answer.getCode() > 0) {
        return Optional.of(answer);
      }
      if (next instanceof AggregatedOperatorException aggregated) {
        pending.addAll(aggregated.getAggregatedExceptions().values());
      }
      if (next.getCause() != null) {
        pending.add(next.getCause());
      }
    }
    return Optional.empty();
  }

  private static String object(KubernetesClientException refusal) {
    if (refusal.getResourcePlural() == null) {
      return "a request";
    }
    String group = refusal.getGroup() == null || refusal.getGroup().isEmpty() ? "" : "." + refusal.getGroup();
    return refusal.getResourcePlural() + group + (refusal.getName() == null ? "" : "/" + refusal.getName());
  }

  private static String apiMessage(KubernetesClientException refusal) {
    String message = refusal.getStatus() != null && refusal.getStatus().getMessage() != null
        ? refusal.getStatus().getMessage() : String.valueOf(refusal.getMessage());
    // Our sentence follows it, with its own full stop.
    return shortened(message.strip().replaceFirst("\\.$", ""));
  }

  private static String describe(Throwable error) {
    return shortened(error.getClass().getSimpleName() + (error.getMessage() == null ? "" : ": " + error.getMessage()));
  }

  private static String shortened(String text) {
    return text.length() <= MAX_DETAIL ? text : text.substring(0, MAX_DETAIL - 3) + "...";
  }
}
