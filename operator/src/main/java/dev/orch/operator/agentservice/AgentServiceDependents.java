package dev.orch.operator.agentservice;

import dev.orch.operator.core.PlannedDependent;
import io.fabric8.kubernetes.api.model.Service;
import io.fabric8.kubernetes.api.model.apps.Deployment;
import io.fabric8.kubernetes.api.model.autoscaling.v2.HorizontalPodAutoscaler;
import io.fabric8.kubernetes.api.model.networking.v1.Ingress;
import io.fabric8.kubernetes.api.model.policy.v1.PodDisruptionBudget;

/** The objects an AgentService owns, one dependent resource each; their desired state comes from {@link AgentServicePlan}. */
public final class AgentServiceDependents {
  private AgentServiceDependents() {
  }

  public static final class DeploymentDependent extends PlannedDependent<Deployment, AgentService> {
    public DeploymentDependent() {
      super(Deployment.class);
    }
  }

  public static final class ServiceDependent extends PlannedDependent<Service, AgentService> {
    public ServiceDependent() {
      super(Service.class);
    }
  }

  public static final class IngressDependent extends PlannedDependent<Ingress, AgentService> {
    public IngressDependent() {
      super(Ingress.class);
    }
  }

  public static final class AutoscalerDependent extends PlannedDependent<HorizontalPodAutoscaler, AgentService> {
    public AutoscalerDependent() {
      super(HorizontalPodAutoscaler.class);
    }
  }

  public static final class DisruptionBudgetDependent extends PlannedDependent<PodDisruptionBudget, AgentService> {
    public DisruptionBudgetDependent() {
      super(PodDisruptionBudget.class);
    }
  }
}
