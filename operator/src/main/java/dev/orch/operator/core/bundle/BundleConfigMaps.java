package dev.orch.operator.core.bundle;

import java.util.List;
import java.util.Set;
import java.util.stream.Collectors;

import dev.orch.operator.agent.AgentTemplate;
import dev.orch.operator.core.MetadataKeys;
import io.fabric8.kubernetes.api.model.ConfigMap;
import io.fabric8.kubernetes.client.CustomResource;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.informers.cache.Cache;
import io.javaoperatorsdk.operator.api.config.informer.InformerEventSourceConfiguration;
import io.javaoperatorsdk.operator.api.reconciler.Context;
import io.javaoperatorsdk.operator.api.reconciler.EventSourceContext;
import io.javaoperatorsdk.operator.processing.event.ResourceID;
import io.javaoperatorsdk.operator.processing.event.source.PrimaryToSecondaryMapper;
import io.javaoperatorsdk.operator.processing.event.source.informer.InformerEventSource;

/**
 * The bundle ConfigMaps of one kind's resources, shared by AgentService, Swarm and Schedule: watched instead of
 * read on every reconcile, so a bundle that appears or changes reconciles the resources that name it.
 *
 * <p>Only ConfigMaps labelled {@code orch.dev/bundle=true} are watched and cached (the examples'
 * configMapGenerators set it), not every ConfigMap of the cluster. A bundle the cache lacks costs one GET, to
 * tell a missing ConfigMap from one without the label.
 */
public final class BundleConfigMaps {
  private static final String BY_CONFIGMAP = "bundle-configmap";

  private BundleConfigMaps() {
  }

  /**
   * Watches the labelled ConfigMaps of the controller's namespaces; an event on one reconciles every resource whose
   * bundle names it, found through an index of the primaries by bundle.
   */
  public static <P extends CustomResource<? extends AgentTemplate, ?>> InformerEventSource<ConfigMap, P> eventSource(
      EventSourceContext<P> context) {
    var primaries = context.getPrimaryCache();
    primaries.addIndexer(BY_CONFIGMAP, primary -> BundleCheck.configMapName(primary.getSpec())
        .map(name -> List.of(Cache.namespaceKeyFunc(primary.getMetadata().getNamespace(), name))).orElse(List.of()));
    PrimaryToSecondaryMapper<P> bundleOf = primary -> BundleCheck.configMapName(primary.getSpec())
        .map(name -> Set.of(new ResourceID(name, primary.getMetadata().getNamespace()))).orElse(Set.of());
    return new InformerEventSource<>(InformerEventSourceConfiguration.from(ConfigMap.class, context.getPrimaryResourceClass())
        .withName("bundles")
        .withLabelSelector(MetadataKeys.BUNDLE + "=true")
        .withSecondaryToPrimaryMapper(bundle -> primaries.byIndex(BY_CONFIGMAP,
                Cache.namespaceKeyFunc(bundle.getMetadata().getNamespace(), bundle.getMetadata().getName())).stream()
            .map(ResourceID::fromResource).collect(Collectors.toSet()))
        .withPrimaryToSecondaryMapper(bundleOf)
        .withNamespacesInheritedFromController()
        .build(), context);
  }

  /** The resource's bundle as this reconcile sees it, from the cache; see {@link BundleCheck}. */
  public static <P extends CustomResource<? extends AgentTemplate, ?>> BundleCheck check(P primary, Context<P> context) {
    if (BundleCheck.configMapName(primary.getSpec()).isEmpty()) {
      return BundleCheck.notAConfigMap();
    }
    return context.getSecondaryResource(ConfigMap.class).map(BundleCheck::found)
        .orElseGet(() -> fetch(context.getClient(), primary.getMetadata().getNamespace(), primary.getSpec()));
  }

  /**
   * The bundle read with one GET: to explain a bundle the cache lacks (missing, or not labelled), and for the
   * schedule webhook endpoint, which answers on every operator replica, also on a standby whose informers do not
   * run, and is rate-limited.
   */
  public static BundleCheck fetch(KubernetesClient client, String namespace, AgentTemplate agent) {
    var name = BundleCheck.configMapName(agent);
    if (name.isEmpty()) {
      return BundleCheck.notAConfigMap();
    }
    ConfigMap live = client.configMaps().inNamespace(namespace).withName(name.get()).get();
    if (live == null) {
      return BundleCheck.notFound(namespace, name.get());
    }
    // Labelled but not in the cache yet (just created): the watch event that follows reconciles again.
    return isLabelled(live) ? BundleCheck.found(live) : BundleCheck.notLabelled(namespace, name.get());
  }

  private static boolean isLabelled(ConfigMap configMap) {
    var labels = configMap.getMetadata().getLabels();
    return labels != null && "true".equals(labels.get(MetadataKeys.BUNDLE));
  }
}
