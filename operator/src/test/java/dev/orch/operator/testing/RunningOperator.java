package dev.orch.operator.testing;

import java.util.List;
import java.util.function.Function;

import com.fasterxml.jackson.databind.ObjectMapper;

import dev.orch.operator.core.config.AppliedFieldsOnly;
import dev.orch.operator.core.config.SharedStrings;
import io.fabric8.kubernetes.api.model.HasMetadata;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientBuilder;
import io.fabric8.kubernetes.client.utils.KubernetesSerialization;
import io.javaoperatorsdk.operator.Operator;
import io.javaoperatorsdk.operator.api.config.LeaderElectionConfiguration;
import io.javaoperatorsdk.operator.api.reconciler.Reconciler;
import io.javaoperatorsdk.operator.monitoring.micrometer.MicrometerMetrics;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;

/**
 * A reconciler running in java-operator-sdk against the test's cluster, watching only the test's namespace,
 * exactly as the Quarkus app runs it but without CDI, so a test can stop and start "the operator" at will.
 */
public final class RunningOperator<P extends HasMetadata> implements AutoCloseable {
  private final Operator operator;
  private final SimpleMeterRegistry meters;

  private RunningOperator(Operator operator, SimpleMeterRegistry meters) {
    this.operator = operator;
    this.meters = meters;
  }

  public static <P extends HasMetadata> RunningOperator<P> start(KubernetesClient client,
      Function<SimpleMeterRegistry, Reconciler<P>> reconcilerFactory) {
    SimpleMeterRegistry meters = new SimpleMeterRegistry();
    Reconciler<P> reconciler = reconcilerFactory.apply(meters);
    return new RunningOperator<>(started(client, meters, null, List.of(reconciler), 0), meters);
  }

  /** As {@link #start}, with this many reconcile threads (the packaged operator has 10), for tests of what holds one. */
  public static <P extends HasMetadata> RunningOperator<P> startWithReconcileThreads(KubernetesClient client, int threads,
      Function<SimpleMeterRegistry, Reconciler<P>> reconcilerFactory) {
    SimpleMeterRegistry meters = new SimpleMeterRegistry();
    Reconciler<P> reconciler = reconcilerFactory.apply(meters);
    return new RunningOperator<>(started(client, meters, null, List.of(reconciler), threads), meters);
  }

  /**
   * Several reconcilers in one operator, as the packaged operator runs them, optionally only while holding a
   * leader-election Lease (the reconcilers start once it is acquired).
   */
  public static RunningOperator<HasMetadata> startAll(KubernetesClient client, LeaderElectionConfiguration leaderElection,
      List<Function<SimpleMeterRegistry, Reconciler<?>>> reconcilerFactories) {
    SimpleMeterRegistry meters = new SimpleMeterRegistry();
    List<Reconciler<?>> reconcilers = reconcilerFactories.stream().<Reconciler<?>>map(f -> f.apply(meters)).toList();
    return new RunningOperator<>(started(client, meters, leaderElection, reconcilers, 0), meters);
  }

  /**
   * The operator gets its own client, reading JSON as the packaged operator's client does ({@link AppliedFieldsOnly},
   * {@link SharedStrings});
   * {@code reconcileThreads} 0 keeps java-operator-sdk's default.
   */
  private static Operator started(KubernetesClient client, SimpleMeterRegistry meters,
      LeaderElectionConfiguration leaderElection, List<Reconciler<?>> reconcilers, int reconcileThreads) {
    KubernetesClient operatorClient = new KubernetesClientBuilder().withConfig(client.getConfiguration())
        .withKubernetesSerialization(new KubernetesSerialization(
            SharedStrings.install(AppliedFieldsOnly.install(new ObjectMapper())), true)).build();
    Operator operator = new Operator(o -> {
      o.withKubernetesClient(operatorClient).withCloseClientOnStop(true).withStopOnInformerErrorDuringStartup(true)
          .withMetrics(MicrometerMetrics.withoutPerResourceMetrics(meters));
      if (leaderElection != null) {
        o.withLeaderElectionConfiguration(leaderElection);
      }
      if (reconcileThreads > 0) {
        o.withConcurrentReconciliationThreads(reconcileThreads);
      }
    });
    reconcilers.forEach(r -> operator.register(r, c -> c.settingNamespace(client.getNamespace())));
    operator.start();
    return operator;
  }

  /** Reconciles completed so far (all kinds this operator runs). */
  public long reconciles() {
    return meters.find("operator.sdk.controllers.execution.reconcile").timers().stream().mapToLong(t -> t.count()).sum();
  }

  @Override
  public void close() {
    operator.stop();
  }
}
