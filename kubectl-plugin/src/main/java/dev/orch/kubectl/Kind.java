package dev.orch.kubectl;

import java.util.Locale;

import io.fabric8.kubernetes.api.model.GenericKubernetesResource;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.dsl.MixedOperation;
import io.fabric8.kubernetes.client.dsl.Resource;
import io.fabric8.kubernetes.client.dsl.base.ResourceDefinitionContext;
import io.fabric8.kubernetes.api.model.GenericKubernetesResourceList;

/**
 * The operator's three kinds, handled as generic resources: the plugin needs a handful of their fields, not the
 * operator's model classes and the Quarkus runtime they come with.
 */
public enum Kind {
  AGENT_SERVICE("AgentService", "agentservices"),
  SWARM("Swarm", "swarms"),
  SCHEDULE("Schedule", "schedules");

  public static final String GROUP = "orch.dev";
  public static final String VERSION = "v1alpha1";
  public static final String API_VERSION = GROUP + "/" + VERSION;

  private final String kind;
  private final String plural;

  Kind(String kind, String plural) {
    this.kind = kind;
    this.plural = plural;
  }

  public String kind() {
    return kind;
  }

  /** The name kubectl uses in commands (`kubectl get agentservice NAME`). */
  public String lowerCase() {
    return kind.toLowerCase(Locale.ROOT);
  }

  /** The resource's name in API paths (/apis/orch.dev/v1alpha1/namespaces/NS/agentservices). */
  public String plural() {
    return plural;
  }

  public MixedOperation<GenericKubernetesResource, GenericKubernetesResourceList, Resource<GenericKubernetesResource>>
      in(KubernetesClient client) {
    return client.genericKubernetesResources(new ResourceDefinitionContext.Builder().withGroup(GROUP)
        .withVersion(VERSION).withKind(kind).withPlural(plural).withNamespaced(true).build());
  }

  /** TYPE/NAME as kubectl takes it (agentservice/x, asvc/x, swarm/x, schedule/x); a bare NAME is an AgentService. */
  public static Kind ofReference(String reference) {
    int slash = reference.indexOf('/');
    if (slash < 0) {
      return AGENT_SERVICE;
    }
    return switch (reference.substring(0, slash).toLowerCase(Locale.ROOT)) {
      case "agentservice", "agentservices", "asvc", "agentsvc" -> AGENT_SERVICE;
      case "swarm", "swarms", "swm" -> SWARM;
      case "schedule", "schedules", "sched" -> SCHEDULE;
      default -> throw new UserError("unknown kind in " + reference + "; use NAME (an AgentService), swarm/NAME or"
          + " schedule/NAME");
    };
  }

  public static String nameOf(String reference) {
    return reference.substring(reference.indexOf('/') + 1);
  }
}
