package dev.orch.operator.sleep;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;

import dev.orch.operator.core.MetadataKeys;
import dev.orch.operator.core.reconcile.Labels;
import io.fabric8.kubernetes.api.model.ObjectMeta;
import io.fabric8.kubernetes.api.model.Service;
import io.fabric8.kubernetes.api.model.ServiceBuilder;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.informers.SharedIndexInformer;
import io.javaoperatorsdk.operator.processing.event.source.informer.TransformingItemStore;

/**
 * Which AgentService a request that reached the activator is for. kube-proxy hands the activator the
 * connection without the address the client dialled, so the request's Host says it, as it does for Knative's
 * activator: the Service's ClusterIP, {@code NAME.NAMESPACE[.svc[.cluster.local]]}, its ingress host (an
 * annotation on a sleeping Service), or its bare name when only one namespace has it. Every operator replica
 * keeps this informer (the operator's Services only, by label); only the leader writes.
 */
public class SleepingServices implements AutoCloseable {
  private final List<SharedIndexInformer<Service>> informers = new ArrayList<>();

  /** A service the activator can wake: its namespace and name, which are also its AgentService's. */
  public record Target(String namespace, String name) {
  }

  public SleepingServices(KubernetesClient client, List<String> namespaces) {
    if (namespaces.isEmpty()) {
      informers.add(client.services().inAnyNamespace().withLabelSelector(Labels.MADE_FOR_AGENTSERVICE).runnableInformer(0));
    } else {
      namespaces.forEach(ns -> informers.add(client.services().inNamespace(ns).withLabelSelector(Labels.MADE_FOR_AGENTSERVICE)
          .runnableInformer(0)));
    }
    // The reconcilers cache these Services whole as well; this copy keeps only what names a service.
    informers.forEach(informer -> informer.itemStore(new TransformingItemStore<>(SleepingServices::addressedPart)).start());
  }

  static Service addressedPart(Service service) {
    ObjectMeta metadata = service.getMetadata();
    String activatorHosts = metadata.getAnnotations() == null ? null : metadata.getAnnotations().get(MetadataKeys.ACTIVATOR_HOSTS);
    return new ServiceBuilder()
        .withNewMetadata().withName(metadata.getName()).withNamespace(metadata.getNamespace())
        .withResourceVersion(metadata.getResourceVersion())
        .withAnnotations(activatorHosts == null ? null : Map.of(MetadataKeys.ACTIVATOR_HOSTS, activatorHosts)).endMetadata()
        .withNewSpec().withClusterIPs(service.getSpec() == null ? null : service.getSpec().getClusterIPs()).endSpec()
        .build();
  }

  /** How many of the operator's Services it knows, for the answer to a request it cannot place. */
  public int known() {
    return informers.stream().mapToInt(i -> i.getStore().list().size()).sum();
  }

  /** The target for a Host header (port and trailing dot ignored), if exactly one service answers to it. */
  public Optional<Target> find(String hostHeader) {
    if (hostHeader == null) {
      return Optional.empty();
    }
    String host = withoutPort(hostHeader.toLowerCase(Locale.ROOT));
    // A scan, not an index: only requests for sleeping services get here, and the operator's Services are few.
    List<Service> found = informers.stream().flatMap(i -> i.getStore().list().stream())
        .filter(service -> hosts(service).contains(host)).toList();
    return found.size() == 1
        ? Optional.of(new Target(found.get(0).getMetadata().getNamespace(), found.get(0).getMetadata().getName()))
        : Optional.empty();
  }

  static List<String> hosts(Service service) {
    String name = service.getMetadata().getName();
    String namespace = service.getMetadata().getNamespace();
    List<String> hosts = new ArrayList<>(List.of(name, name + "." + namespace, name + "." + namespace + ".svc",
        name + "." + namespace + ".svc.cluster.local"));
    if (service.getSpec() != null && service.getSpec().getClusterIPs() != null) {
      hosts.addAll(service.getSpec().getClusterIPs());
    }
    Map<String, String> annotations = service.getMetadata().getAnnotations();
    if (annotations != null && annotations.get(MetadataKeys.ACTIVATOR_HOSTS) != null) {
      hosts.addAll(List.of(annotations.get(MetadataKeys.ACTIVATOR_HOSTS).split(",")));
    }
    return hosts;
  }

  static String withoutPort(String host) {
    String trimmed = host.endsWith(".") ? host.substring(0, host.length() - 1) : host;
    if (trimmed.startsWith("[")) {
      int end = trimmed.indexOf(']');
      return end > 0 ? trimmed.substring(1, end) : trimmed;
    }
    int colon = trimmed.indexOf(':');
    trimmed = colon >= 0 && trimmed.indexOf(':', colon + 1) < 0 ? trimmed.substring(0, colon) : trimmed;
    return trimmed.endsWith(".") ? trimmed.substring(0, trimmed.length() - 1) : trimmed;
  }

  @Override
  public void close() {
    informers.forEach(SharedIndexInformer::close);
  }
}
