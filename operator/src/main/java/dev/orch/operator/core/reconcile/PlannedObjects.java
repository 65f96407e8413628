package dev.orch.operator.core.reconcile;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Future;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Function;
import java.util.stream.Collectors;

import io.fabric8.kubernetes.api.model.HasMetadata;
import io.javaoperatorsdk.operator.api.reconciler.Context;
import io.javaoperatorsdk.operator.api.reconciler.dependent.ReconcileResult;
import io.javaoperatorsdk.operator.processing.dependent.BulkDependentResource;

/**
 * A dependent for several objects of one type: those the {@link Plan} holds, under the plan's keys; an object whose
 * key the plan no longer holds is deleted.
 *
 * <p>java-operator-sdk reconciles a bulk dependent's objects one after the other, one API round trip each, so a
 * 100-replica Swarm took seconds to apply. {@link #reconcile} applies them instead on a small pool shared by every
 * bulk dependent: the same match, server-side apply and owner reference per object, a few in flight at a time.
 */
public abstract class PlannedObjects<R extends HasMetadata, P extends HasMetadata> extends PlannedDependent<R, P>
    implements BulkDependentResource<R, P> {
  /**
   * Objects applied at once, across all primaries being reconciled. Beyond about this many concurrent applies the
   * API server, not the round trip, is the limit (see README "Operating at scale").
   */
  static final int PARALLEL_APPLIES = 8;

  private static final ExecutorService APPLIERS = appliers();

  private final Function<R, String> key;

  /** @param key an existing object's key in the plan, null for an object the plan never holds */
  protected PlannedObjects(Class<R> type, Function<R, String> key) {
    super(type);
    this.key = key;
  }

  @Override
  public Map<String, R> desiredResources(P primary, Context<P> context) {
    return Plan.of(context).map(plan -> plan.getAll(resourceType())).orElse(Map.of());
  }

  @Override
  public Map<String, R> getSecondaryResources(P primary, Context<P> context) {
    return existing(context, resourceType(), key);
  }

  /** The objects of the type that exist now, by key. */
  protected static <R extends HasMetadata> Map<String, R> existing(Context<?> context, Class<R> type,
      Function<R, String> key) {
    return context.getSecondaryResources(type).stream().filter(object -> key.apply(object) != null)
        .collect(Collectors.toMap(key, object -> object, (a, b) -> a));
  }

  /**
   * Deletes the objects the plan dropped, then creates or updates each object that differs from the plan, in
   * parallel; waits for all of them. A failure is thrown as it would be one by one (the first, with the others
   * suppressed on it), so status and events explain it the same way.
   */
  @Override
  public ReconcileResult<R> reconcile(P primary, Context<P> context) {
    Map<String, R> observed = getSecondaryResources(primary, context);
    Map<String, R> desired = desiredResources(primary, context);
    observed.forEach((index, object) -> {
      if (!desired.containsKey(index)) {
        deleteTargetResource(primary, object, index, context);
      }
    });
    List<Callable<ReconcileResult<R>>> applies = new ArrayList<>();
    desired.forEach((index, object) -> applies.add(() -> apply(primary, observed.get(index), object, context)));
    List<ReconcileResult<R>> results = new ArrayList<>(applies.size());
    RuntimeException failure = null;
    try {
      for (Future<ReconcileResult<R>> applied : APPLIERS.invokeAll(applies)) {
        try {
          results.add(applied.get());
        } catch (ExecutionException e) {
          RuntimeException cause = e.getCause() instanceof RuntimeException r ? r : new IllegalStateException(e.getCause());
          if (failure == null) {
            failure = cause;
          } else {
            failure.addSuppressed(cause);
          }
        }
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException("interrupted while applying the objects of " + primary.getKind() + " "
          + primary.getMetadata().getName(), e);
    }
    if (failure != null) {
      throw failure;
    }
    return ReconcileResult.aggregatedResult(results);
  }

  private ReconcileResult<R> apply(P primary, R observed, R desired, Context<P> context) {
    if (observed == null) {
      return ReconcileResult.resourceCreated(handleCreate(desired, primary, context));
    }
    if (match(observed, desired, primary, context).matched()) {
      return ReconcileResult.noOperation(observed);
    }
    return ReconcileResult.resourceUpdated(handleUpdate(observed, desired, primary, context));
  }

  /** Daemon threads that end after a minute idle, so an operator without bulk dependents at work keeps none. */
  private static ExecutorService appliers() {
    AtomicInteger count = new AtomicInteger();
    ThreadPoolExecutor pool = new ThreadPoolExecutor(PARALLEL_APPLIES, PARALLEL_APPLIES, 1, TimeUnit.MINUTES,
        new LinkedBlockingQueue<>(), runnable -> {
          Thread thread = new Thread(runnable, "orch-bulk-apply-" + count.incrementAndGet());
          thread.setDaemon(true);
          return thread;
        });
    pool.allowCoreThreadTimeOut(true);
    return pool;
  }
}
