package dev.orch.operator.core;

import java.util.Optional;

import jakarta.enterprise.context.Dependent;
import jakarta.enterprise.inject.Produces;

import org.eclipse.microprofile.config.inject.ConfigProperty;

import io.fabric8.kubernetes.client.KubernetesClient;
import io.javaoperatorsdk.operator.api.config.LeaderElectionConfiguration;

/**
 * Leader election for running more than one operator replica: quarkus-operator-sdk looks up a
 * {@link LeaderElectionConfiguration} bean at start-up (in the prod profile) and, when there is one, starts the
 * controllers only while this replica holds the Lease. It is off unless {@code orch.leader-election.enabled}
 * is set (the Helm chart sets it): a single `make run` process needs no Lease and no rights on Leases.
 */
public class LeaderElection {

  /** Null (no bean instance) when disabled, which quarkus-operator-sdk treats as "no leader election". */
  @Produces
  @Dependent
  LeaderElectionConfiguration leaderElection(
      @ConfigProperty(name = "orch.leader-election.enabled", defaultValue = "false") boolean enabled,
      @ConfigProperty(name = "orch.leader-election.lease-name", defaultValue = "orch-operator") String leaseName,
      @ConfigProperty(name = "orch.leader-election.namespace") Optional<String> namespace,
      KubernetesClient client) {
    if (!enabled) {
      return null;
    }
    // Losing the Lease exits the process (java-operator-sdk's default), so the pod restarts as a standby.
    return new LeaderElectionConfiguration(leaseName, namespace.or(() -> Optional.ofNullable(client.getNamespace()))
        .orElseThrow(() -> new IllegalStateException("orch.leader-election.enabled is true but the Lease namespace is"
            + " unknown; set orch.leader-election.namespace (ORCH_LEADER_ELECTION_NAMESPACE), e.g. to the operator"
            + " pod's namespace")));
  }
}
