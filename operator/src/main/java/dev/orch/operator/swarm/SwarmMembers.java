package dev.orch.operator.swarm;

import java.util.Map;
import java.util.stream.Collectors;

import dev.orch.operator.core.MetadataKeys;
import dev.orch.operator.core.reconcile.Labels;
import dev.orch.operator.core.reconcile.Plan;
import dev.orch.operator.core.reconcile.PlannedDependent;
import io.fabric8.kubernetes.api.model.apps.Deployment;
import io.javaoperatorsdk.operator.api.config.informer.Informer;
import io.javaoperatorsdk.operator.api.reconciler.Context;
import io.javaoperatorsdk.operator.processing.dependent.BulkDependentResource;
import io.javaoperatorsdk.operator.processing.dependent.kubernetes.KubernetesDependent;

/**
 * The replicas' Deployments, keyed by replica index; members the plan no longer has are deleted. The informer
 * caches only the Deployments the operator made for Swarms.
 */
@KubernetesDependent(informer = @Informer(labelSelector = Labels.MADE_FOR_SWARM))
public final class SwarmMembers extends PlannedDependent<Deployment, Swarm> implements BulkDependentResource<Deployment, Swarm> {

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

  /** The replicas' Deployments that exist now, keyed by replica index. */
  static Map<String, Deployment> byIndex(Context<Swarm> context) {
    return context.getSecondaryResources(Deployment.class).stream()
        .filter(d -> d.getMetadata().getLabels() != null && d.getMetadata().getLabels().containsKey(MetadataKeys.REPLICA_INDEX))
        .collect(Collectors.toMap(d -> d.getMetadata().getLabels().get(MetadataKeys.REPLICA_INDEX), d -> d, (a, b) -> a));
  }
}
