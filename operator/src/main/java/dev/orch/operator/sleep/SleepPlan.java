package dev.orch.operator.sleep;

import java.time.Instant;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import dev.orch.operator.core.MetadataKeys;
import dev.orch.operator.core.reconcile.Labels;
import dev.orch.operator.core.reconcile.Plan;
import io.fabric8.kubernetes.api.model.Service;
import io.fabric8.kubernetes.api.model.ServiceBuilder;
import io.fabric8.kubernetes.api.model.apps.Deployment;
import io.fabric8.kubernetes.api.model.apps.DeploymentBuilder;
import io.fabric8.kubernetes.api.model.autoscaling.v2.HorizontalPodAutoscaler;
import io.fabric8.kubernetes.api.model.discovery.v1.EndpointSlice;
import io.fabric8.kubernetes.api.model.discovery.v1.EndpointSliceBuilder;
import io.fabric8.kubernetes.api.model.networking.v1.Ingress;
import io.fabric8.kubernetes.api.model.policy.v1.PodDisruptionBudget;

/**
 * What sleep changes in an awake plan, as a pure function. Asleep: no pods (and so no autoscaler and no
 * disruption budget), once the Service has routed to the activator for {@link SleepStatus#SWITCH_GRACE}. Asleep and waking: the Service loses its selector and gets an EndpointSlice of the
 * operator's own addresses on the activator port, so requests reach the activator, which holds them and wakes
 * the service; the selector comes back once a pod is ready, so no request meets a Service without endpoints.
 */
public final class SleepPlan {
  public static final String SERVICE_NAME_LABEL = "kubernetes.io/service-name";
  public static final String MANAGED_BY_LABEL = "endpointslice.kubernetes.io/managed-by";
  static final String MANAGED_BY = "activator.orch.dev";

  private SleepPlan() {
  }

  /** The activator's addresses (the operator replicas' pod IPs, or one configured address) and its port. */
  public record Activator(List<String> addresses, int port) {
  }

  public static Plan apply(Plan plan, SleepStatus sleep, Activator activator, Instant now) {
    if (sleep == null) {
      return plan;
    }
    if (sleep.scaledToZero(now)) {
      plan.get(Deployment.class).ifPresent(d -> plan.with(new DeploymentBuilder(d).editSpec().withReplicas(0).endSpec().build()));
      plan.without(HorizontalPodAutoscaler.class).without(PodDisruptionBudget.class);
    }
    if (sleep.routedToActivator()) {
      plan.get(Service.class).ifPresent(service -> {
        List<String> hosts = plan.get(Ingress.class).stream()
            .flatMap(i -> i.getSpec().getRules().stream().map(r -> r.getHost())).toList();
        plan.with(toActivator(service, hosts)).with(endpointSlice(service, activator));
      });
    }
    return plan;
  }

  private static Service toActivator(Service awake, List<String> hosts) {
    ServiceBuilder asleep = new ServiceBuilder(awake).editSpec().withSelector(null).endSpec();
    if (!hosts.isEmpty()) {
      asleep.editMetadata().addToAnnotations(MetadataKeys.ACTIVATOR_HOSTS, String.join(",", hosts)).endMetadata();
    }
    return asleep.build();
  }

  /** Named like the Service (and its owner), labelled so that kube-proxy sends the Service's traffic to it. */
  private static EndpointSlice endpointSlice(Service service, Activator activator) {
    Map<String, String> labels = new LinkedHashMap<>(service.getMetadata().getLabels());
    labels.put(SERVICE_NAME_LABEL, service.getMetadata().getName());
    labels.put(MANAGED_BY_LABEL, MANAGED_BY);
    labels.put(Labels.COMPONENT, "activator-endpoints");
    String portName = service.getSpec().getPorts().get(0).getName();
    return new EndpointSliceBuilder()
        .withNewMetadata().withName(service.getMetadata().getName()).withNamespace(service.getMetadata().getNamespace())
        .withLabels(labels).endMetadata()
        .withAddressType(activator.addresses().stream().anyMatch(a -> a.contains(":")) ? "IPv6" : "IPv4")
        .withEndpoints(activator.addresses().stream().map(address -> new io.fabric8.kubernetes.api.model.discovery.v1.EndpointBuilder()
            .withAddresses(address).withNewConditions().withReady(true).endConditions().build()).toList())
        .addNewPort().withName(portName).withPort(activator.port()).withProtocol("TCP").endPort()
        .build();
  }
}
