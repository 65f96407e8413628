package dev.orch.operator.core.config;

import java.util.Optional;

import jakarta.enterprise.context.Dependent;
import jakarta.enterprise.inject.Produces;

import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.extended.leaderelection.LeaderCallbacks;
import io.javaoperatorsdk.operator.api.config.LeaderElectionConfiguration;
import io.smallrye.config.ConfigMapping;
import io.smallrye.config.WithDefault;

/**
 * Leader election for running more than one operator replica: quarkus-operator-sdk looks up a
 * {@link LeaderElectionConfiguration} bean at start-up (in the prod profile) and, when there is one, starts the
 * controllers only while this replica holds the Lease. It is off unless {@code orch.leader-election.enabled}
 * is set (the Helm chart sets it): a single `make run` process needs no Lease and no rights on Leases.
 */
public class LeaderElection {

  /** ORCH_LEADER_ELECTION_ENABLED, _LEASE_NAME, _NAMESPACE; a mapping of its own so OrchConfig stays as it is. */
  @ConfigMapping(prefix = "orch.leader-election")
  public interface Settings {
    @WithDefault("false")
    boolean enabled();

    @WithDefault("orch-operator")
    String leaseName();

    /** Where the Lease lives; defaults to the client's namespace (the pod's, in a cluster). */
    Optional<String> namespace();
  }

  /** Null (no bean instance) when disabled, which quarkus-operator-sdk treats as "no leader election". */
  @Produces
  @Dependent
  LeaderElectionConfiguration leaderElection(Settings settings, KubernetesClient client) {
    if (!settings.enabled()) {
      return null;
    }
    String leaseNamespace = settings.namespace().or(() -> Optional.ofNullable(client.getNamespace()))
        .orElseThrow(() -> new IllegalStateException("orch.leader-election.enabled is true but the Lease namespace is"
            + " unknown; set orch.leader-election.namespace (ORCH_LEADER_ELECTION_NAMESPACE), e.g. to the operator"
            + " pod's namespace"));
    // A replica that loses the Lease must stop reconciling at once, so it exits and restarts as a standby.
    // java-operator-sdk's own exit-on-stop-leading calls System.exit on the thread that stops leading, which during
    // a normal shutdown is a shutdown hook: the JVM then never exits (the pod waits for SIGKILL). Exiting from a
    // thread of its own works in both cases; during a shutdown that thread merely waits for it to finish.
    var exitWhenLost = new LeaderCallbacks(() -> {
    }, () -> new Thread(() -> System.exit(1), "lease-lost-exit").start(), leader -> {
    });
    return new LeaderElectionConfiguration(settings.leaseName(), leaseNamespace,
        LeaderElectionConfiguration.LEASE_DURATION_DEFAULT_VALUE, LeaderElectionConfiguration.RENEW_DEADLINE_DEFAULT_VALUE,
        LeaderElectionConfiguration.RETRY_PERIOD_DEFAULT_VALUE, null, exitWhenLost, false);
  }
}
