package dev.orch.operator.core;

import java.util.Locale;
import java.util.Set;

import io.fabric8.kubernetes.api.model.HasMetadata;
import io.javaoperatorsdk.operator.api.config.informer.InformerEventSourceConfiguration;
import io.javaoperatorsdk.operator.api.reconciler.EventSourceContext;
import io.javaoperatorsdk.operator.processing.event.ResourceID;
import io.javaoperatorsdk.operator.processing.event.source.informer.InformerEventSource;

/**
 * Watches only the objects of a type that the operator's workloads create for one kind (pods, a Schedule's
 * Jobs), found by our labels and mapped to their owner by the instance label.
 */
public final class OwnedResources {
  private OwnedResources() {
  }

  public static <R extends HasMetadata, P extends HasMetadata> InformerEventSource<R, P> eventSource(
      EventSourceContext<P> context, Class<R> type, String name) {
    String kind = context.getPrimaryResourceClass().getSimpleName().toLowerCase(Locale.ROOT);
    return new InformerEventSource<>(InformerEventSourceConfiguration.from(type, context.getPrimaryResourceClass())
        .withName(name)
        .withLabelSelector(Labels.OWNER_KIND + "=" + kind + "," + Labels.MANAGED_BY + "=" + Labels.OPERATOR)
        .withSecondaryToPrimaryMapper(owned -> Set.of(new ResourceID(owned.getMetadata().getLabels().get(Labels.INSTANCE),
            owned.getMetadata().getNamespace())))
        .withNamespacesInheritedFromController()
        .build(), context);
  }
}
