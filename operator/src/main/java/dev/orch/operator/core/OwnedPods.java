package dev.orch.operator.core;

import java.util.Locale;
import java.util.Set;

import io.fabric8.kubernetes.api.model.HasMetadata;
import io.fabric8.kubernetes.api.model.Pod;
import io.javaoperatorsdk.operator.api.config.informer.InformerEventSourceConfiguration;
import io.javaoperatorsdk.operator.api.reconciler.EventSourceContext;
import io.javaoperatorsdk.operator.processing.event.ResourceID;
import io.javaoperatorsdk.operator.processing.event.source.informer.InformerEventSource;

/**
 * Watches only the pods the operator's workloads run for one kind, mapped to their owner by the instance
 * label; their container statuses feed the crash-loop counters.
 */
public final class OwnedPods {
  private OwnedPods() {
  }

  public static <P extends HasMetadata> InformerEventSource<Pod, P> eventSource(EventSourceContext<P> context) {
    String kind = context.getPrimaryResourceClass().getSimpleName().toLowerCase(Locale.ROOT);
    return new InformerEventSource<>(InformerEventSourceConfiguration.from(Pod.class, context.getPrimaryResourceClass())
        .withName("pods")
        .withLabelSelector(Labels.OWNER_KIND + "=" + kind + "," + Labels.MANAGED_BY + "=" + Labels.OPERATOR)
        .withSecondaryToPrimaryMapper(pod -> Set.of(new ResourceID(pod.getMetadata().getLabels().get(Labels.INSTANCE),
            pod.getMetadata().getNamespace())))
        .withNamespacesInheritedFromController()
        .build(), context);
  }
}
