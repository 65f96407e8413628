package dev.orch.operator.agentservice;

import java.util.Map;
import java.util.function.Function;

import dev.orch.operator.core.reconcile.Labels;
import dev.orch.operator.core.reconcile.PlannedDependent;
import dev.orch.operator.core.reconcile.PlannedObjects;
import io.fabric8.kubernetes.api.model.PersistentVolumeClaim;
import io.fabric8.kubernetes.api.model.Service;
import io.fabric8.kubernetes.api.model.apps.Deployment;
import io.fabric8.kubernetes.api.model.discovery.v1.EndpointSlice;
import io.fabric8.kubernetes.api.model.autoscaling.v2.HorizontalPodAutoscaler;
import io.fabric8.kubernetes.api.model.networking.v1.Ingress;
import io.fabric8.kubernetes.api.model.policy.v1.PodDisruptionBudget;
import io.javaoperatorsdk.operator.api.config.informer.Informer;
import io.javaoperatorsdk.operator.api.reconciler.Context;
import io.javaoperatorsdk.operator.processing.dependent.kubernetes.KubernetesDependent;

/**
 * The objects an AgentService owns, one dependent resource each; their desired state comes from {@link AgentServicePlan}.
 * Each informer caches only the objects the operator made for AgentServices.
 */
public final class AgentServiceDependents {
  private AgentServiceDependents() {
  }

  /**
   * The stable Deployment (named like the service) and, during a canary, {@code NAME-canary}; keyed by name, as
   * {@link dev.orch.operator.agentservice.rollout.CanaryRollout} decides them.
   */
  @KubernetesDependent(informer = @Informer(labelSelector = Labels.MADE_FOR_AGENTSERVICE))
  public static final class DeploymentDependent extends PlannedObjects<Deployment, AgentService> {
    private static final Function<Deployment, String> NAME = d -> d.getMetadata().getName();

    public DeploymentDependent() {
      super(Deployment.class, NAME);
    }

    /** The service's Deployments that exist now, by name. */
    static Map<String, Deployment> byName(Context<AgentService> context) {
      return existing(context, Deployment.class, NAME);
    }
  }

  @KubernetesDependent(informer = @Informer(labelSelector = Labels.MADE_FOR_AGENTSERVICE))
  public static final class ServiceDependent extends PlannedDependent<Service, AgentService> {
    public ServiceDependent() {
      super(Service.class);
    }
  }

  /** A sleeping service's EndpointSlice, which sends its Service's traffic to the activator. */
  @KubernetesDependent(informer = @Informer(labelSelector = Labels.MADE_FOR_AGENTSERVICE))
  public static final class ActivatorEndpointsDependent extends PlannedDependent<EndpointSlice, AgentService> {
    public ActivatorEndpointsDependent() {
      super(EndpointSlice.class);
    }
  }

  @KubernetesDependent(informer = @Informer(labelSelector = Labels.MADE_FOR_AGENTSERVICE))
  public static final class IngressDependent extends PlannedDependent<Ingress, AgentService> {
    public IngressDependent() {
      super(Ingress.class);
    }
  }

  @KubernetesDependent(informer = @Informer(labelSelector = Labels.MADE_FOR_AGENTSERVICE))
  public static final class AutoscalerDependent extends PlannedDependent<HorizontalPodAutoscaler, AgentService> {
    public AutoscalerDependent() {
      super(HorizontalPodAutoscaler.class);
    }
  }

  /** The dependency cache's claim ({@link dev.orch.operator.agent.DependencyCache}). */
  @KubernetesDependent(informer = @Informer(labelSelector = Labels.MADE_FOR_AGENTSERVICE))
  public static final class DependencyCacheDependent extends PlannedDependent<PersistentVolumeClaim, AgentService> {
    public DependencyCacheDependent() {
      super(PersistentVolumeClaim.class);
    }
  }

  @KubernetesDependent(informer = @Informer(labelSelector = Labels.MADE_FOR_AGENTSERVICE))
  public static final class DisruptionBudgetDependent extends PlannedDependent<PodDisruptionBudget, AgentService> {
    public DisruptionBudgetDependent() {
      super(PodDisruptionBudget.class);
    }
  }
}
