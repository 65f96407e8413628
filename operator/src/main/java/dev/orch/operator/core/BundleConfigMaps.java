package dev.orch.operator.core;

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.stream.Collectors;

import dev.orch.operator.agent.AgentTemplate;
import dev.orch.operator.agent.BundleManifest;
import io.fabric8.kubernetes.api.model.ConfigMap;
import io.fabric8.kubernetes.api.model.ConfigMapBuilder;
import io.fabric8.kubernetes.client.CustomResource;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.informers.cache.BasicItemStore;
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
 * <p>Only ConfigMaps labelled {@code orch.dev/bundle=true} are watched (the examples' configMapGenerators set
 * it), and of those the cache keeps the name, the labels, a digest of the files and orchagent.json, never the
 * code itself, so a thousand bundles cost little memory. A bundle the cache lacks costs one GET, to tell a
 * missing ConfigMap from one without the label.
 */
public final class BundleConfigMaps {
  public static final String LABEL = "orch.dev/bundle";
  private static final String BY_CONFIGMAP = "bundle-configmap";

  private BundleConfigMaps() {
  }

  public static <P extends CustomResource<? extends AgentTemplate, ?>> InformerEventSource<ConfigMap, P> eventSource(
      EventSourceContext<P> context) {
    var primaries = context.getPrimaryCache();
    primaries.addIndexer(BY_CONFIGMAP, primary -> BundleCheck.configMapName(primary.getSpec())
        .map(name -> List.of(Cache.namespaceKeyFunc(primary.getMetadata().getNamespace(), name))).orElse(List.of()));
    PrimaryToSecondaryMapper<P> bundleOf = primary -> BundleCheck.configMapName(primary.getSpec())
        .map(name -> Set.of(new ResourceID(name, primary.getMetadata().getNamespace()))).orElse(Set.of());
    return new InformerEventSource<>(InformerEventSourceConfiguration.from(ConfigMap.class, context.getPrimaryResourceClass())
        .withName("bundles")
        .withLabelSelector(LABEL + "=true")
        .withItemStore(new BasicItemStore<>(Cache::metaNamespaceKeyFunc) {
          @Override
          public ConfigMap put(String key, ConfigMap bundle) {
            return super.put(key, digested(bundle));
          }
        })
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
    return isLabelled(live) ? BundleCheck.found(digested(live)) : BundleCheck.notLabelled(namespace, name.get());
  }

  private static boolean isLabelled(ConfigMap configMap) {
    var labels = configMap.getMetadata().getLabels();
    return labels != null && "true".equals(labels.get(LABEL));
  }

  /** What reconciles read from a bundle: identity, labels, orchagent.json and the digest of every file. */
  static ConfigMap digested(ConfigMap bundle) {
    String manifest = bundle.getData() == null ? null : bundle.getData().get(BundleManifest.FILE);
    return new ConfigMapBuilder()
        .withNewMetadata()
        .withName(bundle.getMetadata().getName())
        .withNamespace(bundle.getMetadata().getNamespace())
        .withUid(bundle.getMetadata().getUid())
        .withResourceVersion(bundle.getMetadata().getResourceVersion())
        .withLabels(bundle.getMetadata().getLabels())
        .addToAnnotations(BundleCheck.DIGEST_ANNOTATION, digest(bundle))
        .endMetadata()
        .withData(manifest == null ? null : Map.of(BundleManifest.FILE, manifest))
        .build();
  }

  /** SHA-256 over every file's name and content, in name order: any edit of the code changes it. */
  static String digest(ConfigMap bundle) {
    try {
      MessageDigest sha256 = MessageDigest.getInstance("SHA-256");
      Map<String, String> text = bundle.getData() == null ? Map.of() : bundle.getData();
      Map<String, String> binary = bundle.getBinaryData() == null ? Map.of() : bundle.getBinaryData();
      for (var file : new TreeMap<>(text).entrySet()) {
        update(sha256, "data", file.getKey(), file.getValue());
      }
      for (var file : new TreeMap<>(binary).entrySet()) {
        update(sha256, "binaryData", file.getKey(), file.getValue());
      }
      return HexFormat.of().formatHex(sha256.digest());
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException("every Java runtime provides SHA-256", e);
    }
  }

  /** Length-prefixed parts, so that no two different bundles feed the digest the same bytes. */
  private static void update(MessageDigest sha256, String... parts) {
    for (String part : parts) {
      byte[] bytes = part.getBytes(StandardCharsets.UTF_8);
      sha256.update(ByteBuffer.allocate(Integer.BYTES).putInt(bytes.length).array());
      sha256.update(bytes);
    }
  }
}
