package dev.orch.operator.core.config;

import java.time.Duration;
import java.time.ZonedDateTime;
import java.time.temporal.ChronoUnit;
import java.util.HexFormat;
import java.util.Optional;
import java.util.concurrent.ThreadLocalRandom;

import jakarta.annotation.Priority;
import jakarta.enterprise.context.Dependent;
import jakarta.enterprise.event.Observes;
import jakarta.enterprise.inject.Produces;
import jakarta.inject.Singleton;

import org.jboss.logging.Logger;

import io.fabric8.kubernetes.api.model.coordination.v1.Lease;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientBuilder;
import io.fabric8.kubernetes.client.KubernetesClientException;
import io.fabric8.kubernetes.client.extended.leaderelection.LeaderCallbacks;
import io.javaoperatorsdk.operator.api.config.LeaderElectionConfiguration;
import io.quarkus.runtime.ShutdownEvent;
import io.smallrye.config.ConfigMapping;
import io.smallrye.config.WithDefault;

/**
 * Leader election for running more than one operator replica: quarkus-operator-sdk looks up a
 * {@link LeaderElectionConfiguration} bean at start-up (in the prod profile) and, when there is one, starts the
 * controllers only while this replica holds the Lease. It is off unless {@code orch.leader-election.enabled}
 * is set (the Helm chart sets it): a single `make run` process needs no Lease and no rights on Leases.
 *
 * <p>A leader that is stopped cleanly (SIGTERM: a rollout, a drain) hands the Lease over at once instead of letting
 * the standby wait out the lease duration: java-operator-sdk builds its elector without release-on-cancel, so this
 * class releases the Lease itself once the controllers have stopped.
 */
@Singleton
public class LeaderElection {
  private static final Logger LOG = Logger.getLogger(LeaderElection.class);
  /** After quarkus-operator-sdk's own shutdown observer (default priority), which stops the controllers. */
  private static final int AFTER_THE_OPERATOR_STOPPED = jakarta.interceptor.Interceptor.Priority.APPLICATION + 1000;

  /** Unique per process, so two replicas on one host (tests, a node running both) never share an identity. */
  private final String identity = Optional.ofNullable(System.getenv("HOSTNAME")).orElse("orch-operator") + "-"
      + HexFormat.of().toHexDigits(ThreadLocalRandom.current().nextInt());

  /** ORCH_LEADER_ELECTION_ENABLED, _LEASE_NAME, _NAMESPACE, _LEASE_DURATION, _RENEW_DEADLINE, _RETRY_PERIOD. */
  @ConfigMapping(prefix = "orch.leader-election")
  public interface Settings {
    @WithDefault("false")
    boolean enabled();

    @WithDefault("orch-operator")
    String leaseName();

    /** Where the Lease lives; defaults to the client's namespace (the pod's, in a cluster). */
    Optional<String> namespace();

    /** How long a standby waits after the leader's last renewal before taking over (a leader that died). */
    @WithDefault("15s")
    Duration leaseDuration();

    /** How long the leader keeps trying to renew before it gives up leading. */
    @WithDefault("10s")
    Duration renewDeadline();

    /** How often the leader renews and a standby tries to acquire. */
    @WithDefault("2s")
    Duration retryPeriod();
  }

  /** Null (no bean instance) when disabled, which quarkus-operator-sdk treats as "no leader election". */
  @Produces
  @Dependent
  LeaderElectionConfiguration leaderElection(Settings settings, KubernetesClient client) {
    if (!settings.enabled()) {
      return null;
    }
    // A replica that loses the Lease must stop reconciling at once, so it exits and restarts as a standby.
    // java-operator-sdk's own exit-on-stop-leading calls System.exit on the thread that stops leading, which during
    // a normal shutdown is a shutdown hook: the JVM then never exits (the pod waits for SIGKILL). Exiting from a
    // thread of its own works in both cases; during a shutdown that thread merely waits for it to finish.
    var exitWhenLost = new LeaderCallbacks(() -> LOG.infof("leading as %s", identity),
        () -> new Thread(() -> System.exit(1), "lease-lost-exit").start(),
        leader -> LOG.infof("the leader is now %s", leader));
    return new LeaderElectionConfiguration(settings.leaseName(), leaseNamespace(settings, client),
        settings.leaseDuration(), settings.renewDeadline(), settings.retryPeriod(), identity, exitWhenLost, false);
  }

  void releaseLeaseOnShutdown(@Observes @Priority(AFTER_THE_OPERATOR_STOPPED) ShutdownEvent event, Settings settings,
      KubernetesClient client) {
    if (!settings.enabled()) {
      return;
    }
    String namespace = leaseNamespace(settings, client);
    // The operator may have closed the shared client while stopping; this one outlives it.
    try (KubernetesClient own = new KubernetesClientBuilder().withConfig(client.getConfiguration()).build()) {
      Lease lease = own.leases().inNamespace(namespace).withName(settings.leaseName()).get();
      if (lease == null || lease.getSpec() == null || !identity.equals(lease.getSpec().getHolderIdentity())) {
        return;
      }
      // What client-go and fabric8 write on release: no holder, a one-second lease, renewed now.
      ZonedDateTime now = ZonedDateTime.now().truncatedTo(ChronoUnit.MICROS);
      lease.getSpec().setHolderIdentity("");
      lease.getSpec().setLeaseDurationSeconds(1);
      lease.getSpec().setAcquireTime(now);
      lease.getSpec().setRenewTime(now);
      own.resource(lease).update();
      LOG.infof("released Lease %s/%s for the standby", namespace, settings.leaseName());
    } catch (KubernetesClientException e) {
      LOG.warnf("could not release Lease %s/%s (a standby takes over after %s): %s", namespace, settings.leaseName(),
          settings.leaseDuration(), e.getMessage());
    }
  }

  private static String leaseNamespace(Settings settings, KubernetesClient client) {
    return settings.namespace().or(() -> Optional.ofNullable(client.getNamespace()))
        .orElseThrow(() -> new IllegalStateException("orch.leader-election.enabled is true but the Lease namespace is"
            + " unknown; set orch.leader-election.namespace (ORCH_LEADER_ELECTION_NAMESPACE), e.g. to the operator"
            + " pod's namespace"));
  }
}
