package dev.orch.operator.testing;

import java.util.Map;

import dev.orch.operator.core.MetadataKeys;
import io.fabric8.kubernetes.api.model.ConfigMap;
import io.fabric8.kubernetes.api.model.ConfigMapBuilder;
import io.fabric8.kubernetes.client.KubernetesClient;

/** Bundle ConfigMaps in the client's namespace, as `kubectl apply -k` of an example makes them. */
public final class Bundles {
  public static final Map<String, String> HELLO = Map.of("main.py", "print('hello')\n");

  private Bundles() {
  }

  /** Creates or replaces a bundle labelled for the operator to watch (server-side apply). */
  public static ConfigMap put(KubernetesClient client, String name, Map<String, String> files) {
    return client.resource(new ConfigMapBuilder().withNewMetadata().withName(name)
        .addToLabels(MetadataKeys.BUNDLE, "true").endMetadata().withData(files).build()).serverSideApply();
  }

  /** A ConfigMap with the bundle's files but without the label, as `kubectl create configmap` leaves it. */
  public static ConfigMap putUnlabelled(KubernetesClient client, String name, Map<String, String> files) {
    return client.resource(new ConfigMapBuilder().withNewMetadata().withName(name).endMetadata().withData(files).build())
        .serverSideApply();
  }
}
