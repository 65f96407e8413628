package dev.orch.operator.reliability;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.stream.IntStream;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import dev.orch.localcluster.ClusterConnection;
import dev.orch.localcluster.LocalControlPlane;
import dev.orch.localcluster.WithKubernetes;
import dev.orch.operator.testing.OperatorLogOnFailure;
import dev.orch.operator.testing.PackagedOperator;
import dev.orch.operator.testing.Vault;
import io.fabric8.kubernetes.client.KubernetesClient;

/**
 * kube-apiserver, then etcd, stopped for 20 s under a running operator, with changes made right before the stop
 * and right after the restart: the operator recovers by itself (same process) and reconciles every change.
 */
@WithKubernetes(controllerManager = true)
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class ControlPlaneRestartIT {
  private static final int SERVICES = 20;
  private static final Duration DOWNTIME = Duration.ofSeconds(20);
  private final KubernetesClient client;
  private final ClusterConnection cluster;
  private PackagedOperator operator;

  @RegisterExtension
  final OperatorLogOnFailure showLogOnFailure = new OperatorLogOnFailure(
      () -> operator == null ? List.of() : List.of(operator));

  ControlPlaneRestartIT(KubernetesClient client, ClusterConnection cluster) {
    this.client = client;
    this.cluster = cluster;
  }

  @BeforeAll
  void start() {
    assumeTrue(cluster instanceof LocalControlPlane, "restarting the control plane needs the local one, not " + cluster.describe());
    Vault.put(client, Map.of("TOKEN", "x"));
    operator = PackagedOperator.launch(cluster, Path.of("target", "control-plane-restart-operator.log"))
        .env("QUARKUS_OPERATOR_SDK_NAMESPACES", client.getNamespace()).start();
    IntStream.range(0, SERVICES).forEach(i -> apply(i, "before"));
    await("every service reconciled").atMost(Duration.ofSeconds(90))
        .until(() -> IntStream.range(0, SERVICES).allMatch(i -> deployed(i, "before")));
  }

  @AfterAll
  void stop() {
    if (operator != null) {
      operator.stop();
    }
  }

  @ParameterizedTest
  @ValueSource(strings = {"kube-apiserver", "etcd"})
  void everyChangeAroundARestartIsReconciledByTheSameOperatorProcess(String component) {
    long pid = operator.pid();
    List<Integer> beforeStop = IntStream.range(0, SERVICES / 2).boxed().toList();
    List<Integer> afterRestart = IntStream.range(SERVICES / 2, SERVICES).boxed().toList();
    beforeStop.forEach(i -> apply(i, component + "-before-stop"));
    ((LocalControlPlane) cluster).restart(component, DOWNTIME);
    long restarted = System.nanoTime();
    afterRestart.forEach(i -> apply(i, component + "-after-restart"));

    await("every change reconciled after the " + component + " restart").atMost(Duration.ofSeconds(120))
        .pollInterval(Duration.ofMillis(250)).ignoreExceptions()
        .until(() -> beforeStop.stream().allMatch(i -> deployed(i, component + "-before-stop"))
            && afterRestart.stream().allMatch(i -> deployed(i, component + "-after-restart")));
    System.out.printf("%s down %d s: every change reconciled %.1f s after it was back%n", component,
        DOWNTIME.toSeconds(), (System.nanoTime() - restarted) / 1e9);
    assertThat(operator.isAlive()).as("the operator survived without a restart").isTrue();
    assertThat(operator.pid()).isEqualTo(pid);
  }

  private void apply(int i, String version) {
    Workload.apply(client, Workload.agentService(name(i), version, ""));
  }

  private boolean deployed(int i, String version) {
    return Workload.deployedWith(client, name(i), version);
  }

  private static String name(int i) {
    return "restart-%02d".formatted(i);
  }
}
