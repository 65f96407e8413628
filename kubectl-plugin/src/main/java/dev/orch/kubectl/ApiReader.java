package dev.orch.kubectl;

import java.net.HttpURLConnection;
import java.util.Map;

import io.fabric8.kubernetes.client.KubernetesClientException;

/**
 * How verbs read from the API server: GET a path, get its JSON as maps and lists (see {@link Fields}). Made by
 * {@link Cluster#reader(boolean)}: the JDK's HTTP client for verbs that only read and the kubeconfigs
 * {@link Kubeconfig} handles, fabric8's client for the rest. Writes always go through fabric8's client.
 */
interface ApiReader {
  /**
   * The JSON object at the path (such as /api/v1/namespaces/x/events), or a KubernetesClientException as fabric8's
   * client throws it: the status code and the API server's message, code 0 when the server cannot be reached.
   */
  Map<String, Object> get(String path);

  /** {@link #get}, with null for an object that does not exist (404). */
  default Map<String, Object> find(String path) {
    try {
      return get(path);
    } catch (KubernetesClientException e) {
      if (e.getCode() == HttpURLConnection.HTTP_NOT_FOUND) {
        return null;
      }
      throw e;
    }
  }

  /** The path of a resource kind's collection in a namespace, or in every namespace when it is null. */
  static String collection(Kind kind, String namespace) {
    return "/apis/" + Kind.API_VERSION + (namespace == null ? "" : "/namespaces/" + namespace) + "/" + kind.plural();
  }
}
