package dev.orch.kubectl;

import java.net.HttpURLConnection;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.function.Function;

import io.fabric8.kubernetes.api.model.GenericKubernetesResource;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientException;
import io.fabric8.kubernetes.client.dsl.base.PatchContext;
import io.fabric8.kubernetes.client.dsl.base.PatchType;
import io.fabric8.kubernetes.client.utils.Serialization;

/**
 * The verbs that change one thing (restart, pause, env, secret) write JSON merge patches with field manager
 * kubectl-orch, touching only that field. Lists such as spec.env are replaced whole by a merge patch, so those
 * patches carry the resourceVersion they were computed from and are computed again when someone else (the
 * operator's status writes included) got there first.
 */
final class Patches {
  private static final int ATTEMPTS = 5;

  private Patches() {
  }

  static GenericKubernetesResource merge(KubernetesClient client, Kind kind, String namespace, String name,
      Map<String, Object> patch) {
    return kind.in(client).inNamespace(namespace).withName(name).patch(
        new PatchContext.Builder().withPatchType(PatchType.JSON_MERGE).withFieldManager(Verb.FIELD_MANAGER).build(),
        Serialization.asJson(patch));
  }

  static GenericKubernetesResource mergeMetadataAnnotation(KubernetesClient client, Kind kind, String namespace,
      String name, String annotation, String value) {
    return merge(client, kind, namespace, name, Map.of("metadata", Map.of("annotations", Map.of(annotation, value))));
  }

  /**
   * A spec patch computed from the live resource, sent with its resourceVersion so that a concurrent change is
   * never overwritten; null from {@code specPatch} means nothing to change.
   */
  static GenericKubernetesResource editSpec(KubernetesClient client, Kind kind, String namespace, String name,
      Function<GenericKubernetesResource, Map<String, Object>> specPatch) {
    for (int attempt = 1; ; attempt++) {
      GenericKubernetesResource live = kind.in(client).inNamespace(namespace).withName(name).get();
      if (live == null) {
        throw new UserError(kind.lowerCase() + " \"" + name + "\" not found in namespace " + namespace
            + "; list them with kubectl orch list -n " + namespace);
      }
      Map<String, Object> spec = specPatch.apply(live);
      if (spec == null) {
        return live;
      }
      Map<String, Object> patch = new LinkedHashMap<>();
      patch.put("metadata", Map.of("resourceVersion", live.getMetadata().getResourceVersion()));
      patch.put("spec", spec);
      try {
        return merge(client, kind, namespace, name, patch);
      } catch (KubernetesClientException e) {
        if (e.getCode() != HttpURLConnection.HTTP_CONFLICT || attempt == ATTEMPTS) {
          throw e;
        }
      }
    }
  }
}
