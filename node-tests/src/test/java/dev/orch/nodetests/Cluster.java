package dev.orch.nodetests;

import static org.awaitility.Awaitility.await;

import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.function.Predicate;

import dev.orch.operator.agentservice.AgentService;
import dev.orch.operator.core.MetadataKeys;
import io.fabric8.kubernetes.api.model.ConfigMapBuilder;
import io.fabric8.kubernetes.api.model.HasMetadata;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.client.CustomResource;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.dsl.base.PatchContext;
import io.fabric8.kubernetes.client.dsl.base.PatchType;
import io.fabric8.kubernetes.client.utils.Serialization;

/** What a user does with kubectl and curl, for the node tests: apply YAML, read status and logs, call a Service. */
final class Cluster {
  static final Duration AGENT_START = Duration.ofSeconds(120);
  private static final HttpClient HTTP = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(3)).build();

  private final KubernetesClient client;

  Cluster(KubernetesClient client) {
    this.client = client;
  }

  /** kubectl apply --server-side of YAML documents, in the test's namespace. */
  void apply(String yaml) {
    for (HasMetadata item : client.load(new ByteArrayInputStream(yaml.getBytes(StandardCharsets.UTF_8))).items()) {
      client.resource(item).inNamespace(client.getNamespace()).fieldManager("orch-node-tests").forceConflicts().serverSideApply();
    }
  }

  /** An AgentService running the code of a bundle ConfigMap, with more of its spec (indented by two) appended. */
  static String agentService(String name, String bundle, String moreSpec) {
    return """
        apiVersion: orch.dev/v1alpha1
        kind: AgentService
        metadata:
          name: %s
        spec:
          agent: acme/%s@1.0.0
          bundle:
            configMap:
              name: %s
        %s""".formatted(name, name, bundle, moreSpec);
  }

  /** The bundle ConfigMap an example's kustomization would make from these files. */
  void bundle(String name, Map<String, String> files) {
    client.configMaps().resource(new ConfigMapBuilder().withNewMetadata().withName(name)
            .addToLabels(MetadataKeys.BUNDLE, "true").endMetadata()
        .withData(files).build()).fieldManager("orch-node-tests").forceConflicts().serverSideApply();
  }

  <S, R extends CustomResource<?, S>> R awaitStatus(Class<R> type, String name, String what, Predicate<S> test, Duration timeout) {
    return await(type.getSimpleName() + " " + name + ": " + what).atMost(timeout).pollInterval(Duration.ofMillis(500))
        .until(() -> client.resources(type).withName(name).get(), r -> r != null && r.getStatus() != null && test.test(r.getStatus()));
  }

  /** The running pods of one agent (by the operator's instance label), newest first. */
  /**
   * Sets one annotation on an AgentService with a merge patch: no resourceVersion, so the operator writing the same
   * object at that moment (the activator's wake request, a handled value) cannot make it fail with a conflict.
   */
  static void annotate(KubernetesClient client, String agentService, String key, String value) {
    client.resources(AgentService.class).withName(agentService).patch(PatchContext.of(PatchType.JSON_MERGE),
        Serialization.asJson(Map.of("metadata", Map.of("annotations", Map.of(key, value)))));
  }

  List<Pod> pods(String instance) {
    return client.pods().withLabel("app.kubernetes.io/instance", instance).list().getItems().stream()
        .filter(p -> p.getMetadata().getDeletionTimestamp() == null)
        .sorted((a, b) -> b.getMetadata().getCreationTimestamp().compareTo(a.getMetadata().getCreationTimestamp()))
        .toList();
  }

  /** What `kubectl describe` would show of an agent's pods and claims, and the namespace's events, for a failure message. */
  String describe(String instance) {
    StringBuilder out = new StringBuilder();
    client.pods().withLabel("app.kubernetes.io/instance", instance).list().getItems()
        .forEach(p -> out.append("pod ").append(p.getMetadata().getName()).append(": ").append(p.getStatus()).append('\n'));
    client.persistentVolumeClaims().list().getItems()
        .forEach(c -> out.append("claim ").append(c.getMetadata().getName()).append(": ").append(c.getStatus()).append('\n'));
    client.persistentVolumes().list().getItems()
        .forEach(v -> out.append("volume ").append(v.getMetadata().getName()).append(": ").append(v.getStatus()).append('\n'));
    client.v1().events().list().getItems().forEach(e -> out.append("event ").append(e.getInvolvedObject().getKind()).append(' ')
        .append(e.getInvolvedObject().getName()).append(' ').append(e.getReason()).append(": ").append(e.getMessage()).append('\n'));
    return out.toString();
  }

  /**
   * What prepare logged in the service's first pod: its init container's log, or the agent container's when prepare
   * runs there (a dependency cache).
   */
  String prepareLog(String service) {
    Pod pod = pods(service).get(0);
    boolean initContainer = pod.getSpec().getInitContainers().stream().anyMatch(c -> c.getName().equals("prepare"));
    return client.pods().withName(pod.getMetadata().getName()).inContainer(initContainer ? "prepare" : "agent").getLog();
  }

  String agentLog(Pod pod) {
    return client.pods().withName(pod.getMetadata().getName()).inContainer("agent").getLog();
  }

  /** GET through the agent's Service, at its ClusterIP from this host (kube-proxy routes it), as curl would. */
  HttpResponse<String> getThroughService(String service, String path) throws IOException, InterruptedException {
    return getThroughServiceWithin(service, path, Duration.ofSeconds(10));
  }

  HttpResponse<String> getThroughServiceWithin(String service, String path, Duration timeout) throws IOException, InterruptedException {
    String clusterIp = client.services().withName(service).get().getSpec().getClusterIP();
    HttpRequest request = HttpRequest.newBuilder(URI.create("http://" + clusterIp + path)).timeout(timeout).build();
    return HTTP.send(request, HttpResponse.BodyHandlers.ofString());
  }

  /** Waits until a GET through the Service answers 200, and returns that answer. */
  HttpResponse<String> awaitAnswer(String service, String path) {
    return await(service + path + " answering 200 through its Service").atMost(AGENT_START).pollInterval(Duration.ofMillis(500))
        .ignoreExceptions().until(() -> getThroughService(service, path), r -> r.statusCode() == 200);
  }
}
