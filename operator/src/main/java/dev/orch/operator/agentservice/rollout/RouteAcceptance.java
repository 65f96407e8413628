package dev.orch.operator.agentservice.rollout;

import java.util.List;
import java.util.Optional;

import dev.orch.operator.core.status.Conditions.Verdict;
import io.fabric8.kubernetes.api.model.Condition;
import io.fabric8.kubernetes.api.model.gatewayapi.v1.HTTPRoute;
import io.fabric8.kubernetes.api.model.gatewayapi.v1.ParentReference;
import io.fabric8.kubernetes.api.model.gatewayapi.v1.RouteParentStatus;

/**
 * What the Gateways said about a service's HTTPRoute ({@code status.parents[].conditions}, written by each
 * Gateway's controller): a route a Gateway refused, or whose backends it cannot resolve, carries no traffic there,
 * so the service is Stalled with the Gateway's own reason and what to check. Conditions written for an older
 * generation of the route (before the operator changed its weights) say nothing about the current one.
 */
final class RouteAcceptance {
  static final String ACCEPTED = "Accepted";
  static final String RESOLVED_REFS = "ResolvedRefs";

  private RouteAcceptance() {
  }

  /** Why the route carries no traffic through some Gateway, when a Gateway says so for its current generation. */
  static Optional<Verdict> problem(HTTPRoute route) {
    String name = route.getMetadata().getName();
    String namespace = route.getMetadata().getNamespace();
    for (RouteParentStatus parent : parents(route)) {
      String gateway = gateway(parent.getParentRef(), namespace);
      Optional<Condition> refused = current(route, parent, ACCEPTED).filter(c -> "False".equals(c.getStatus()));
      if (refused.isPresent()) {
        return Optional.of(Verdict.stalled("RouteNotAccepted", "the Gateway " + gateway + " did not accept HTTPRoute "
            + name + " (" + said(refused.get()) + "); check spec.gateway: parentRefs (the Gateway's name, namespace and"
            + " sectionName), hostnames (they must match the listener's hostname) and that the listener's allowedRoutes"
            + " admits HTTPRoutes from namespace " + namespace));
      }
      Optional<Condition> unresolved = current(route, parent, RESOLVED_REFS).filter(c -> "False".equals(c.getStatus()));
      if (unresolved.isPresent()) {
        return Optional.of(Verdict.stalled("RouteBackendsUnresolved", "the Gateway " + gateway + " cannot resolve the"
            + " backends of HTTPRoute " + name + " (" + said(unresolved.get()) + "); they are the Services " + name
            + "-stable and, during a canary, " + name + "-canary in namespace " + namespace + ", made by the operator:"
            + " check that they exist (kubectl get svc -n " + namespace + " -l app.kubernetes.io/instance=" + name
            + ") and that the Gateway's controller accepts Service backends"));
      }
    }
    return Optional.empty();
  }

  /** Every Gateway the route names has accepted its current generation and resolved its backends. */
  static boolean settled(HTTPRoute route) {
    List<ParentReference> wanted = route.getSpec().getParentRefs() == null ? List.of() : route.getSpec().getParentRefs();
    return wanted.stream().allMatch(ref -> parents(route).stream()
        .filter(p -> p.getParentRef() != null && ref.getName().equals(p.getParentRef().getName()))
        .anyMatch(p -> current(route, p, ACCEPTED).filter(c -> "True".equals(c.getStatus())).isPresent()
            && current(route, p, RESOLVED_REFS).filter(c -> "True".equals(c.getStatus())).isPresent()));
  }

  private static List<RouteParentStatus> parents(HTTPRoute route) {
    return route.getStatus() == null || route.getStatus().getParents() == null ? List.of() : route.getStatus().getParents();
  }

  private static Optional<Condition> current(HTTPRoute route, RouteParentStatus parent, String type) {
    long generation = route.getMetadata().getGeneration() == null ? 0 : route.getMetadata().getGeneration();
    return parent.getConditions() == null ? Optional.empty() : parent.getConditions().stream()
        .filter(c -> type.equals(c.getType()))
        .filter(c -> c.getObservedGeneration() == null || c.getObservedGeneration() >= generation)
        .findFirst();
  }

  private static String gateway(ParentReference ref, String routeNamespace) {
    if (ref == null) {
      return "(unnamed)";
    }
    String gateway = (ref.getNamespace() == null ? routeNamespace : ref.getNamespace()) + "/" + ref.getName();
    return ref.getSectionName() == null ? gateway : gateway + " listener " + ref.getSectionName();
  }

  private static String said(Condition condition) {
    String reason = condition.getReason() == null ? "no reason given" : condition.getReason();
    return condition.getMessage() == null || condition.getMessage().isBlank() ? reason : reason + ": " + condition.getMessage();
  }
}
