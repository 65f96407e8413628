package dev.orch.operator.core.reconcile;

import java.util.Map;
import java.util.function.Function;
import java.util.stream.Collectors;

import io.fabric8.kubernetes.api.model.HasMetadata;
import io.javaoperatorsdk.operator.api.reconciler.Context;
import io.javaoperatorsdk.operator.processing.dependent.BulkDependentResource;

/**
 * A dependent for several objects of one type: those the {@link Plan} holds, under the plan's keys; an object whose
 * key the plan no longer holds is deleted.
 */
public abstract class PlannedObjects<R extends HasMetadata, P extends HasMetadata> extends PlannedDependent<R, P>
    implements BulkDependentResource<R, P> {
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
}
