package dev.orch.operator.agentservice.rollout;

import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

import dev.orch.operator.agentservice.AgentService;
import dev.orch.operator.agentservice.AgentServiceSpec;
import dev.orch.operator.agentservice.rollout.RolloutStatus.Phase;
import dev.orch.operator.core.MetadataKeys;
import dev.orch.operator.core.status.Conditions.Verdict;
import dev.orch.operator.core.reconcile.Labels;
import dev.orch.operator.core.reconcile.OwnedMetadata;
import io.fabric8.kubernetes.api.model.HasMetadata;
import io.fabric8.kubernetes.api.model.IntOrString;
import io.fabric8.kubernetes.api.model.Service;
import io.fabric8.kubernetes.api.model.ServiceBuilder;
import io.fabric8.kubernetes.api.model.gatewayapi.v1.HTTPBackendRef;
import io.fabric8.kubernetes.api.model.gatewayapi.v1.HTTPBackendRefBuilder;
import io.fabric8.kubernetes.api.model.gatewayapi.v1.HTTPRoute;
import io.fabric8.kubernetes.api.model.gatewayapi.v1.HTTPRouteBuilder;
import io.fabric8.kubernetes.api.model.gatewayapi.v1.ParentReferenceBuilder;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientException;
import io.fabric8.kubernetes.client.utils.Serialization;

/**
 * Canary weights through the Gateway API: an HTTPRoute {@code NAME} whose backends are a Service per track,
 * {@code NAME-stable} and, while a canary runs, {@code NAME-canary}, weighted by the current step. The pure part
 * ({@link #desired}) says which objects; {@link #sync} writes them with server-side apply, without an informer,
 * because a cluster may not serve the Gateway API at all (an informer on a missing kind stops the operator).
 */
public final class GatewayRoutes {
  public static final String STABLE_TRACK = "stable";
  static final int SERVICE_PORT = 80;
  private static final Duration DISCOVERY_TTL = Duration.ofMinutes(1);
  /** How often a route no Gateway has accepted yet is read again (no informer watches routes). */
  static final Duration ACCEPTANCE_RECHECK = Duration.ofSeconds(30);

  private volatile Boolean served;
  private volatile Instant checkedAt = Instant.EPOCH;

  /**
   * The Services and the HTTPRoute for the rollout as decided. The stable backend is {@code NAME-stable} once
   * the stable pods carry their track label; before (the first rollout after a gateway was added), the main
   * Service, which selects both tracks.
   */
  static List<HasMetadata> desired(AgentService service, RolloutStatus rollout, boolean stablePodsLabelled) {
    AgentServiceSpec.GatewayRoute gateway = service.getSpec().getGateway();
    String name = service.getMetadata().getName();
    boolean canaryServes = rollout != null && (rollout.phase() == Phase.Progressing || rollout.phase() == Phase.Paused);
    int weight = canaryServes && rollout.weight() != null ? rollout.weight() : 0;
    List<HasMetadata> objects = new ArrayList<>();
    String stableBackend = stablePodsLabelled ? name + "-" + STABLE_TRACK : name;
    if (stablePodsLabelled) {
      objects.add(trackService(service, STABLE_TRACK));
    }
    List<HTTPBackendRef> backends = new ArrayList<>();
    backends.add(backend(stableBackend, 100 - weight));
    if (canaryServes) {
      objects.add(trackService(service, CanaryRollout.CANARY_TRACK));
      backends.add(backend(name + "-" + CanaryRollout.CANARY_TRACK, weight));
    }
    objects.add(new HTTPRouteBuilder()
        .withMetadata(OwnedMetadata.named(service, name, Labels.of(service, "route")))
        .withNewSpec()
        .withParentRefs(gateway.parentRefs().stream().map(p -> new ParentReferenceBuilder().withName(p.name())
            .withNamespace(p.namespace()).withSectionName(p.sectionName()).build()).toList())
        .withHostnames(gateway.hostnames())
        .addNewRule()
        .addNewMatch().withNewPath().withType("PathPrefix").withValue(gateway.path() == null ? "/" : gateway.path())
        .endPath().endMatch()
        .withBackendRefs(backends)
        .endRule()
        .endSpec()
        .build());
    return objects;
  }

  private static HTTPBackendRef backend(String serviceName, int weight) {
    return new HTTPBackendRefBuilder().withName(serviceName).withPort(SERVICE_PORT).withWeight(weight).build();
  }

  private static Service trackService(AgentService service, String track) {
    Map<String, String> selector = new LinkedHashMap<>(Labels.selector(service));
    selector.put(MetadataKeys.TRACK, track);
    Map<String, String> labels = Labels.of(service, "agent");
    labels.put(MetadataKeys.TRACK, track);
    return new ServiceBuilder()
        .withMetadata(OwnedMetadata.named(service, service.getMetadata().getName() + "-" + track, labels))
        .withNewSpec().withSelector(selector)
        .addNewPort().withName("http").withPort(SERVICE_PORT).withTargetPort(new IntOrString("http")).withProtocol("TCP").endPort()
        .endSpec().build();
  }

  /**
   * What {@link #sync} found: why the route cannot be written or carries no traffic (the Gateway's word,
   * {@link RouteAcceptance}), and when to read it again while no Gateway has accepted its current generation.
   */
  public record Outcome(Optional<Verdict> problem, Optional<Duration> recheckIn) {
    public static final Outcome NONE = new Outcome(Optional.empty(), Optional.empty());
  }

  /**
   * Applies what {@link #desired} says for a routed service and removes what a route no longer needs; for a
   * service that was routed and no longer is (its stable pods still carry the label), removes them all.
   *
   * @param stablePodsLabelled every stable pod carries the stable track label ({@link Rollouts#stableTrackLabelled})
   *
   * @return the route's problem, if any, and when to look at its acceptance again
   */
  public Outcome sync(KubernetesClient client, AgentService service, RolloutStatus rollout,
      boolean stablePodsLabelled) {
    String name = service.getMetadata().getName();
    String namespace = service.getMetadata().getNamespace();
    if (service.getSpec().getGateway() == null) {
      if (stablePodsLabelled) {
        client.services().inNamespace(namespace).withName(name + "-" + STABLE_TRACK).delete();
        client.services().inNamespace(namespace).withName(name + "-" + CanaryRollout.CANARY_TRACK).delete();
        if (served(client)) {
          client.resources(HTTPRoute.class).inNamespace(namespace).withName(name).delete();
        }
      }
      return Outcome.NONE;
    }
    if (!served(client)) {
      return new Outcome(Optional.of(Verdict.stalled("GatewayApiNotServed", "spec.gateway asks for an HTTPRoute, but the cluster"
          + " does not serve gateway.networking.k8s.io/v1 HTTPRoute; install the Gateway API CRDs (standard channel)"
          + " and a Gateway controller, or remove spec.gateway to publish through the Service or an ingress")), Optional.empty());
    }
    List<HasMetadata> objects = desired(service, rollout, stablePodsLabelled);
    Outcome outcome = Outcome.NONE;
    for (HasMetadata object : objects) {
      if (apply(client, service, object) instanceof HTTPRoute route) {
        outcome = new Outcome(RouteAcceptance.problem(route),
            RouteAcceptance.settled(route) ? Optional.empty() : Optional.of(ACCEPTANCE_RECHECK));
      }
    }
    if (objects.stream().noneMatch(o -> o.getMetadata().getName().equals(name + "-" + CanaryRollout.CANARY_TRACK))) {
      client.services().inNamespace(namespace).withName(name + "-" + CanaryRollout.CANARY_TRACK).delete();
    }
    return outcome;
  }

  /**
   * Server-side applies the object when it differs from what was last applied (a hash annotation says so); returns
   * it as the API server has it, with its status.
   */
  private static HasMetadata apply(KubernetesClient client, AgentService owner, HasMetadata object) {
    String hash = CanaryRollout.digest(Serialization.asJson(object));
    HasMetadata existing = client.resource(object).get();
    if (existing != null && existing.getMetadata().getAnnotations() != null
        && hash.equals(existing.getMetadata().getAnnotations().get(MetadataKeys.APPLIED_HASH))) {
      return existing;
    }
    object.getMetadata().setAnnotations(Map.of(MetadataKeys.APPLIED_HASH, hash));
    object.getMetadata().setOwnerReferences(List.of(OwnedMetadata.controlledBy(owner)));
    return client.resource(object).fieldManager("orch-operator").forceConflicts().serverSideApply();
  }

  /** Whether the API server serves HTTPRoute, asked at most once a minute (a Gateway API install is noticed within it). */
  boolean served(KubernetesClient client) {
    Instant now = Instant.now();
    if (served == null || Duration.between(checkedAt, now).compareTo(DISCOVERY_TTL) > 0) {
      try {
        served = client.supports(HTTPRoute.class);
      } catch (KubernetesClientException e) {
        served = false;
      }
      checkedAt = now;
    }
    return served;
  }
}
