package dev.orch.operator.core.reconcile;

import java.util.List;
import java.util.Set;

import io.fabric8.kubernetes.api.model.ContainerStatus;
import io.fabric8.kubernetes.api.model.ContainerStatusBuilder;
import io.fabric8.kubernetes.api.model.HasMetadata;
import io.fabric8.kubernetes.api.model.ObjectMeta;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.PodBuilder;
import io.javaoperatorsdk.operator.api.config.informer.InformerEventSourceConfiguration;
import io.javaoperatorsdk.operator.api.reconciler.EventSourceContext;
import io.javaoperatorsdk.operator.processing.event.ResourceID;
import io.javaoperatorsdk.operator.processing.event.source.informer.InformerEventSource;
import io.javaoperatorsdk.operator.processing.event.source.informer.TransformingItemStore;

/**
 * Watches only the objects of a type that the operator's workloads create for one kind (pods, a Schedule's
 * Jobs), found by our labels ({@code Labels.MADE_FOR_*}) and mapped to their owner by the instance label.
 */
public final class OwnedResources {
  private OwnedResources() {
  }

  public static <R extends HasMetadata, P extends HasMetadata> InformerEventSource<R, P> eventSource(
      EventSourceContext<P> context, Class<R> type, String name, String labelSelector) {
    return new InformerEventSource<>(configuration(context, type, name, labelSelector).build(), context);
  }

  /**
   * The pods of one kind's workloads, cached as far as crash-loop tracking and run history read them: name, UID,
   * labels, deletion time, the containers' restart counts and states, and the pod's address and readiness. A pod's spec and the rest of its status
   * would be most of the cache and are never read.
   *
   * <p>java-operator-sdk gives one item store to the informers of all watched namespaces, and an informer's
   * relist drops from the store whatever it did not list itself; so the trimming store is used only where one
   * informer serves the controller (all namespaces, the chart's default, or a single one).
   */
  public static <P extends HasMetadata> InformerEventSource<Pod, P> pods(EventSourceContext<P> context, String labelSelector) {
    var configuration = configuration(context, Pod.class, "pods", labelSelector);
    if (context.getControllerConfiguration().getInformerConfig().getNamespaces().size() == 1) {
      configuration.withItemStore(new TransformingItemStore<>(OwnedResources::trackedPart));
    }
    return new InformerEventSource<>(configuration.build(), context);
  }

  static Pod trackedPart(Pod pod) {
    ObjectMeta metadata = pod.getMetadata();
    var statuses = pod.getStatus() == null || pod.getStatus().getContainerStatuses() == null ? List.<ContainerStatus>of()
        : pod.getStatus().getContainerStatuses().stream().map(s -> new ContainerStatusBuilder().withName(s.getName())
            .withRestartCount(s.getRestartCount()).withState(s.getState()).withLastState(s.getLastState()).build()).toList();
    return new PodBuilder()
        .withNewMetadata().withName(metadata.getName()).withNamespace(metadata.getNamespace()).withUid(metadata.getUid())
        .withResourceVersion(metadata.getResourceVersion()).withLabels(metadata.getLabels())
        .withDeletionTimestamp(metadata.getDeletionTimestamp()).endMetadata()
        // The pod's address and readiness: sleep/wake asks ready pods' gateways whether their agent is idle.
        .withNewStatus().withContainerStatuses(statuses).withPodIP(pod.getStatus() == null ? null : pod.getStatus().getPodIP())
        .withConditions(pod.getStatus() == null || pod.getStatus().getConditions() == null ? List.of()
            : pod.getStatus().getConditions().stream().filter(c -> "Ready".equals(c.getType())).toList())
        .endStatus()
        .build();
  }

  private static <R extends HasMetadata, P extends HasMetadata> InformerEventSourceConfiguration.Builder<R> configuration(
      EventSourceContext<P> context, Class<R> type, String name, String labelSelector) {
    return InformerEventSourceConfiguration.from(type, context.getPrimaryResourceClass())
        .withName(name)
        .withLabelSelector(labelSelector)
        .withSecondaryToPrimaryMapper(owned -> Set.of(new ResourceID(owned.getMetadata().getLabels().get(Labels.INSTANCE),
            owned.getMetadata().getNamespace())))
        .withNamespacesInheritedFromController();
  }
}
