package dev.orch.operator.swarm;

import java.util.Map;
import java.util.function.Function;

import dev.orch.operator.core.MetadataKeys;
import dev.orch.operator.core.reconcile.Labels;
import dev.orch.operator.core.reconcile.PlannedObjects;
import io.fabric8.kubernetes.api.model.apps.Deployment;
import io.javaoperatorsdk.operator.api.config.informer.Informer;
import io.javaoperatorsdk.operator.api.reconciler.Context;
import io.javaoperatorsdk.operator.processing.dependent.kubernetes.KubernetesDependent;

/**
 * The replicas' Deployments, keyed by replica index; members the plan no longer has are deleted. The informer
 * caches only the Deployments the operator made for Swarms.
 */
@KubernetesDependent(informer = @Informer(labelSelector = Labels.MADE_FOR_SWARM))
public final class SwarmMembers extends PlannedObjects<Deployment, Swarm> {
  private static final Function<Deployment, String> INDEX = d -> d.getMetadata().getLabels() == null ? null
      : d.getMetadata().getLabels().get(MetadataKeys.REPLICA_INDEX);

  public SwarmMembers() {
    super(Deployment.class, INDEX);
  }

  /** The replicas' Deployments that exist now, keyed by replica index. */
  static Map<String, Deployment> byIndex(Context<Swarm> context) {
    return existing(context, Deployment.class, INDEX);
  }
}
