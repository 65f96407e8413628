package dev.orch.operator.core.reconcile;

import java.util.List;

import io.fabric8.kubernetes.api.model.HasMetadata;
import io.javaoperatorsdk.operator.api.reconciler.Context;
import io.javaoperatorsdk.operator.api.reconciler.dependent.DependentResource;
import io.javaoperatorsdk.operator.processing.dependent.kubernetes.CRUDKubernetesDependentResource;
import io.javaoperatorsdk.operator.processing.event.ResourceID;
import io.javaoperatorsdk.operator.processing.dependent.workflow.Condition;

/**
 * A dependent resource whose desired state is its entry in the {@link Plan}, named like its owner: applied
 * with server-side apply,
 * owned by the primary (so deleting the primary garbage-collects it) and left alone when unchanged.
 */
public abstract class PlannedDependent<R extends HasMetadata, P extends HasMetadata> extends CRUDKubernetesDependentResource<R, P> {

  protected PlannedDependent(Class<R> type) {
    super(type);
  }

  @Override
  protected R desired(P primary, Context<P> context) {
    return Plan.of(context).flatMap(plan -> plan.get(resourceType()))
        .orElseThrow(() -> new IllegalStateException(resourceType().getSimpleName() + " reconciled without a plan entry"));
  }

  /**
   * Every owned object is named after its owner, so it can be found (and deleted) without computing a
   * desired state the plan no longer has.
   */
  @Override
  protected ResourceID targetSecondaryResourceID(P primary, Context<P> context) {
    return ResourceID.fromResource(primary);
  }

  /**
   * java-operator-sdk leaves garbage-collected dependents to Kubernetes, which deletes them only with their
   * owner; an ingress or autoscaler the plan no longer wants must go now, while the owner stays.
   */
  @Override
  public boolean isDeletable() {
    return true;
  }

  @Override
  protected void addReferenceHandlingMetadata(R target, P primary) {
    target.getMetadata().setOwnerReferences(List.of(OwnedMetadata.controlledBy(primary)));
  }

  /**
   * Reconcile precondition: the dependent exists only while the plan holds an object of its type; when the
   * plan drops it, the workflow deletes it.
   */
  public static final class InPlan<R extends HasMetadata, P extends HasMetadata> implements Condition<R, P> {
    @Override
    public boolean isMet(DependentResource<R, P> dependent, P primary, Context<P> context) {
      return Plan.of(context).flatMap(plan -> plan.get(dependent.resourceType())).isPresent();
    }
  }
}
