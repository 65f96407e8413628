package dev.orch.operator.swarm;

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
import java.util.stream.Collectors;

import dev.orch.operator.core.MetadataKeys;
import dev.orch.operator.core.reconcile.Labels;
import dev.orch.operator.core.reconcile.Plan;
import dev.orch.operator.core.reconcile.PlannedDependent;
import io.fabric8.kubernetes.api.model.apps.Deployment;
import io.javaoperatorsdk.operator.api.config.informer.Informer;
import io.javaoperatorsdk.operator.api.reconciler.Context;
import io.javaoperatorsdk.operator.api.reconciler.dependent.ReconcileResult;
import io.javaoperatorsdk.operator.processing.dependent.BulkDependentResource;
import io.javaoperatorsdk.operator.processing.dependent.kubernetes.KubernetesDependent;

/**
 * The replicas' Deployments, keyed by replica index; members the plan no longer has are deleted. The informer
 * caches only the Deployments the operator made for Swarms.
 *
 * <p>java-operator-sdk reconciles a bulk dependent's resources one after the other, one API round trip each, so a
 * 100-replica Swarm took seconds to apply. {@link #reconcile} applies them instead on a small pool shared by all
 * Swarms: the same match, server-side apply and owner reference per member, a few in flight at a time.
 */
@KubernetesDependent(informer = @Informer(labelSelector = Labels.MADE_FOR_SWARM))
public final class SwarmMembers extends PlannedDependent<Deployment, Swarm> implements BulkDependentResource<Deployment, Swarm> {
  /**
   * Members applied at once, across all Swarms being reconciled. Beyond about this many concurrent applies the
   * API server, not the round trip, is the limit (see README "Operating at scale").
   */
  static final int PARALLEL_APPLIES = 8;

  private static final ExecutorService APPLIERS = appliers();

  public SwarmMembers() {
    super(Deployment.class);
  }

  @Override
  public Map<String, Deployment> desiredResources(Swarm swarm, Context<Swarm> context) {
    return Plan.of(context).map(plan -> plan.getAll(Deployment.class)).orElse(Map.of());
  }

  @Override
  public Map<String, Deployment> getSecondaryResources(Swarm swarm, Context<Swarm> context) {
    return byIndex(context);
  }

  /**
   * Deletes the members the plan dropped, then creates or updates each member that differs from the plan, in
   * parallel; waits for all of them. A failure is thrown as it would be one by one (the first, with the others
   * suppressed on it), so status and events explain it the same way.
   */
  @Override
  public ReconcileResult<Deployment> reconcile(Swarm swarm, Context<Swarm> context) {
    Map<String, Deployment> observed = getSecondaryResources(swarm, context);
    Map<String, Deployment> desired = desiredResources(swarm, context);
    observed.forEach((index, member) -> {
      if (!desired.containsKey(index)) {
        deleteTargetResource(swarm, member, index, context);
      }
    });
    List<Callable<ReconcileResult<Deployment>>> applies = new ArrayList<>();
    desired.forEach((index, member) -> applies.add(() -> apply(swarm, observed.get(index), member, context)));
    List<ReconcileResult<Deployment>> results = new ArrayList<>(applies.size());
    RuntimeException failure = null;
    try {
      for (Future<ReconcileResult<Deployment>> applied : APPLIERS.invokeAll(applies)) {
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
      throw new IllegalStateException("interrupted while applying the members of Swarm " + swarm.getMetadata().getName(), e);
    }
    if (failure != null) {
      throw failure;
    }
    return ReconcileResult.aggregatedResult(results);
  }

  private ReconcileResult<Deployment> apply(Swarm swarm, Deployment observed, Deployment desired, Context<Swarm> context) {
    if (observed == null) {
      return ReconcileResult.resourceCreated(handleCreate(desired, swarm, context));
    }
    if (match(observed, desired, swarm, context).matched()) {
      return ReconcileResult.noOperation(observed);
    }
    return ReconcileResult.resourceUpdated(handleUpdate(observed, desired, swarm, context));
  }

  /** The replicas' Deployments that exist now, keyed by replica index. */
  static Map<String, Deployment> byIndex(Context<Swarm> context) {
    return context.getSecondaryResources(Deployment.class).stream()
        .filter(d -> d.getMetadata().getLabels() != null && d.getMetadata().getLabels().containsKey(MetadataKeys.REPLICA_INDEX))
        .collect(Collectors.toMap(d -> d.getMetadata().getLabels().get(MetadataKeys.REPLICA_INDEX), d -> d, (a, b) -> a));
  }

  /** Daemon threads that end after a minute idle, so an operator without Swarms keeps none. */
  private static ExecutorService appliers() {
    AtomicInteger count = new AtomicInteger();
    ThreadPoolExecutor pool = new ThreadPoolExecutor(PARALLEL_APPLIES, PARALLEL_APPLIES, 1, TimeUnit.MINUTES,
        new LinkedBlockingQueue<>(), runnable -> {
          Thread thread = new Thread(runnable, "orch-swarm-member-apply-" + count.incrementAndGet());
          thread.setDaemon(true);
          return thread;
        });
    pool.allowCoreThreadTimeOut(true);
    return pool;
  }
}
