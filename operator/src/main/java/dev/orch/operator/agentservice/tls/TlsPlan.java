package dev.orch.operator.agentservice.tls;

import java.util.Optional;

import dev.orch.operator.agentservice.AgentService;
import dev.orch.operator.core.reconcile.Plan;
import io.fabric8.kubernetes.api.model.networking.v1.Ingress;

/** What TLS adds to a service's plan: its Certificate, or, where cert-manager is missing, no Ingress at all. */
public final class TlsPlan {
  private TlsPlan() {
  }

  /**
   * Without cert-manager no certificate will ever come, and an Ingress naming a TLS Secret nobody fills would
   * look published while every browser refuses it; it is withheld (and an existing one deleted) until cert-manager
   * serves its API, and the status says why.
   */
  public static Plan apply(Plan plan, AgentService service, Optional<TlsRequest> tls, boolean certManagerServed) {
    if (tls.isEmpty()) {
      return plan;
    }
    return certManagerServed ? plan.with(tls.get().certificate(service)) : plan.without(Ingress.class);
  }
}
