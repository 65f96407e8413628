package dev.orch.operator.core;

import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Optional;

import io.fabric8.kubernetes.api.model.HasMetadata;
import io.javaoperatorsdk.operator.api.reconciler.Context;

/**
 * The objects a resource should own, computed by a pure function before anything is applied. The reconciler
 * puts it in the workflow context; each dependent resource applies its own entry and an absent entry
 * deactivates (and so deletes) that dependent.
 */
public final class Plan {
  private static final String KEY = "orch.plan";
  private final Map<Class<?>, HasMetadata> objects = new LinkedHashMap<>();
  private final Map<Class<?>, Map<String, ? extends HasMetadata>> sets = new LinkedHashMap<>();

  public Plan with(HasMetadata object) {
    if (object != null) {
      objects.put(object.getClass(), object);
    }
    return this;
  }

  /** Drops the object of a type, as a later step that changes the plan (sleep) decides. */
  public Plan without(Class<? extends HasMetadata> type) {
    objects.remove(type);
    return this;
  }

  /** Several objects of one type, by key (a Swarm's replica Deployments, keyed by index). */
  public <R extends HasMetadata> Plan withAll(Class<R> type, Map<String, R> byKey) {
    sets.put(type, byKey);
    return this;
  }

  @SuppressWarnings("unchecked")
  public <R extends HasMetadata> Map<String, R> getAll(Class<R> type) {
    return (Map<String, R>) sets.getOrDefault(type, Map.of());
  }

  public <R extends HasMetadata> Optional<R> get(Class<R> type) {
    return Optional.ofNullable(type.cast(objects.get(type)));
  }

  /** Hands the plan to the dependents and runs the workflow, which applies it. */
  public void applyIn(Context<?> context) {
    context.managedWorkflowAndDependentResourceContext().put(KEY, this);
    context.managedWorkflowAndDependentResourceContext().reconcileManagedWorkflow().throwAggregateExceptionIfErrorsPresent();
  }

  public static Optional<Plan> of(Context<?> context) {
    return context.managedWorkflowAndDependentResourceContext().get(KEY, Plan.class);
  }
}
