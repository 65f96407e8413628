package dev.orch.operator.testing;

import java.util.function.Function;

import io.fabric8.kubernetes.api.model.HasMetadata;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.javaoperatorsdk.operator.Operator;
import io.javaoperatorsdk.operator.api.reconciler.Reconciler;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;

/**
 * A reconciler running in java-operator-sdk against the test's cluster, watching only the test's namespace,
 * exactly as the Quarkus app runs it but without CDI, so a test can stop and start "the operator" at will.
 */
public final class RunningOperator<P extends HasMetadata> implements AutoCloseable {
  private final Operator operator;
  public final SimpleMeterRegistry meters;
  public final Reconciler<P> reconciler;

  private RunningOperator(Operator operator, SimpleMeterRegistry meters, Reconciler<P> reconciler) {
    this.operator = operator;
    this.meters = meters;
    this.reconciler = reconciler;
  }

  public static <P extends HasMetadata> RunningOperator<P> start(KubernetesClient client,
      Function<SimpleMeterRegistry, Reconciler<P>> reconcilerFactory) {
    SimpleMeterRegistry meters = new SimpleMeterRegistry();
    Reconciler<P> reconciler = reconcilerFactory.apply(meters);
    Operator operator = new Operator(o -> o.withKubernetesClient(client).withCloseClientOnStop(false)
        .withStopOnInformerErrorDuringStartup(true));
    operator.register(reconciler, c -> c.settingNamespace(client.getNamespace()));
    operator.start();
    return new RunningOperator<>(operator, meters, reconciler);
  }

  /** Reconciles completed so far (all kinds this operator runs). */
  public long reconciles() {
    return meters.find("orch.reconcile.duration").timers().stream().mapToLong(t -> t.count()).sum();
  }

  @Override
  public void close() {
    operator.stop();
  }
}
