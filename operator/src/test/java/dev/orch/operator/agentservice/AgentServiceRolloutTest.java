package dev.orch.operator.agentservice;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.nio.file.Path;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.function.Consumer;
import java.util.function.Predicate;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.io.TempDir;

import com.fasterxml.jackson.databind.ObjectMapper;
import dev.orch.localcluster.WithKubernetes;
import dev.orch.operator.agent.Bundle;
import dev.orch.operator.agent.EnvVar;
import dev.orch.operator.agentservice.rollout.CanaryRollout;
import dev.orch.operator.agentservice.rollout.RolloutCommands;
import dev.orch.operator.agentservice.rollout.RolloutStatus;
import dev.orch.operator.agentservice.rollout.RolloutStatus.Phase;
import dev.orch.operator.core.MetadataKeys;
import dev.orch.operator.core.status.AgentState;
import dev.orch.operator.core.status.Conditions;
import dev.orch.operator.core.reconcile.Labels;
import dev.orch.operator.core.config.OperatorSettings;
import dev.orch.operator.testing.Bundles;
import dev.orch.operator.testing.CustomResources;
import dev.orch.operator.testing.HttpsReceiver;
import dev.orch.operator.testing.Kubelet;
import dev.orch.operator.testing.RunningOperator;
import io.fabric8.kubernetes.api.model.Condition;
import io.fabric8.kubernetes.api.model.ObjectMetaBuilder;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.apps.Deployment;
import io.fabric8.kubernetes.api.model.events.v1.Event;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientException;

/**
 * Canary rollouts against a real API server and controller manager (the test plays the kubelet): steps, pauses,
 * promote, abort, rollback, the health gate with its alert, and a new change during a canary.
 */
@WithKubernetes(controllerManager = true)
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class AgentServiceRolloutTest {
  private static final Duration TIMEOUT = Duration.ofSeconds(45);
  private static final ObjectMapper JSON = new ObjectMapper();
  private final KubernetesClient client;
  private HttpsReceiver receiver;
  private RunningOperator<AgentService> operator;

  AgentServiceRolloutTest(KubernetesClient client) {
    this.client = client;
  }

  @BeforeAll
  void start(@TempDir Path workDir) throws Exception {
    receiver = new HttpsReceiver(workDir);
    OperatorSettings settings = OperatorSettings.defaults().withCrashLoop(Duration.ofMinutes(5), Optional.of(receiver.caBundle()));
    operator = RunningOperator.start(client, meters -> new AgentServiceReconciler(settings, meters));
  }

  @AfterAll
  void stop() {
    operator.close();
    receiver.close();
  }

  @Test
  void aCanaryStepsThroughItsWeightsWaitsForPromotionAndReplacesStable() {
    AgentService applied = apply(service("web", 4, List.of(
        new AgentServiceSpec.Step(25, new AgentServiceSpec.Pause("2s")),
        new AgentServiceSpec.Step(50, new AgentServiceSpec.Pause(null)))));
    settle(applied);
    String v1 = awaitStatus("web", s -> s.getRollout() != null && s.getRollout().phase() == Phase.Healthy)
        .getStatus().getRollout().stable().templateHash();

    version("web", "2");
    AgentService progressing = awaitStatus("web", s -> s.getRollout().phase() == Phase.Progressing);
    RolloutStatus rollout = progressing.getStatus().getRollout();
    assertThat(rollout.weight()).isEqualTo(25);
    assertThat(rollout.stable().templateHash()).isEqualTo(v1);
    assertThat(rollout.canaryReplicas()).isEqualTo(1);
    assertThat(rollout.stableReplicas()).isEqualTo(3);
    assertThat(condition(progressing, Conditions.RECONCILING).getStatus()).isEqualTo("True");
    assertThat(deployment("web").getSpec().getReplicas()).isEqualTo(3);
    assertThat(env(deployment("web"))).as("stable keeps serving the old version").isEqualTo("1");
    Deployment canary = await().atMost(TIMEOUT).until(() -> client.apps().deployments().withName("web-canary").get(),
        d -> d != null && d.getSpec().getReplicas() == 1);
    assertThat(env(canary)).isEqualTo("2");
    assertThat(canary.getMetadata().getOwnerReferences()).singleElement()
        .satisfies(o -> assertThat(o.getName()).isEqualTo("web"));
    assertThat(client.services().withName("web").get().getSpec().getSelector())
        .as("the one Service selects both tracks").isEqualTo(Labels.selector(applied));

    // The canary's pods come up; after the 2s pause the weight goes to 50%, then the rollout waits.
    AgentService paused = awaitStatusReady(applied, "web", s -> s.getRollout().phase() == Phase.Paused);
    assertThat(paused.getStatus().getRollout().weight()).isEqualTo(50);
    assertThat(paused.getStatus().getRollout().step()).isEqualTo(2);
    assertThat(deployment("web").getSpec().getReplicas()).isEqualTo(2);
    assertThat(deployment("web-canary").getSpec().getReplicas()).isEqualTo(2);
    assertThat(condition(paused, Conditions.RECONCILING).getReason()).isEqualTo("CanaryPaused");
    assertThat(condition(paused, Conditions.RECONCILING).getMessage()).contains("orch.dev/promote=");
    assertThat(paused.getStatus().getState()).isEqualTo(AgentState.RUNNING);

    annotate("web", MetadataKeys.PROMOTE, "go");
    AgentService healthy = awaitStatusReady(applied, "web", s -> s.getRollout().phase() == Phase.Healthy);
    assertThat(healthy.getStatus().getRollout().stable().templateHash()).isNotEqualTo(v1);
    assertThat(healthy.getStatus().getRollout().revisions()).extracting(RolloutStatus.Revision::templateHash)
        .containsExactly(v1, healthy.getStatus().getRollout().stable().templateHash());
    assertThat(env(deployment("web"))).isEqualTo("2");
    assertThat(deployment("web").getSpec().getReplicas()).isEqualTo(4);
    await().atMost(TIMEOUT).until(() -> client.apps().deployments().withName("web-canary").get() == null);
    awaitEvents("web", "CanaryStarted", "CanaryStep", "CanaryPaused", "PromoteRequested", "CanaryPromoting", "CanaryPromoted");
    assertThat(client.resources(Event.class).list().getItems().stream()
        .filter(e -> e.getRegarding() != null && "AgentService".equals(e.getRegarding().getKind())
            && "web".equals(e.getRegarding().getName()) && "Warning".equals(e.getType()))
        .map(e -> e.getReason() + ": " + e.getNote()).toList()).as("no refusal on the way").isEmpty();
  }

  @Test
  void abortPutsAllTrafficOnStableAndRollbackPinsThePreviousRevisionUntilTheSpecChanges() {
    AgentService applied = apply(service("api", 2, List.of(new AgentServiceSpec.Step(50, new AgentServiceSpec.Pause(null)))));
    settle(applied);
    version("api", "2");
    awaitStatus("api", s -> s.getRollout().phase() == Phase.Progressing);

    annotate("api", MetadataKeys.ABORT, "1");
    AgentService aborted = awaitStatus("api", s -> s.getRollout().phase() == Phase.Aborted);
    Condition stalled = condition(aborted, Conditions.STALLED);
    assertThat(stalled.getStatus()).isEqualTo("True");
    assertThat(stalled.getReason()).isEqualTo("CanaryAborted");
    assertThat(stalled.getMessage()).contains("aborted by orch.dev/abort=1").contains("orch.dev/promote=")
        .contains("kubectl logs -n " + client.getNamespace() + " -l app.kubernetes.io/instance=api,");
    // The canary's pod stays for its logs, out of the Service, which selects the stable track alone.
    await().atMost(TIMEOUT).until(() -> deployment("api").getSpec().getReplicas() == 2
        && stableOnly(client.services().withName("api").get(), applied));
    assertThat(deployment("api-canary").getSpec().getReplicas()).isEqualTo(1);
    String abortedAttempt = canaryStarted(deployment("api-canary"));
    assertThat(env(deployment("api"))).isEqualTo("1");
    awaitEvents("api", "CanaryAborted");

    // Retry (fresh canary pods, the plain selector again), promote in full, then roll back to version 1 without
    // touching the spec.
    annotate("api", MetadataKeys.PROMOTE, "retry");
    awaitStatus("api", s -> s.getRollout().phase() == Phase.Progressing);
    await().atMost(TIMEOUT).until(() -> client.services().withName("api").get().getSpec().getSelector()
        .equals(Labels.selector(applied)));
    assertThat(canaryStarted(deployment("api-canary"))).isNotEqualTo(abortedAttempt);
    annotate("api", MetadataKeys.PROMOTE, "full");
    awaitStatusReady(applied, "api", s -> s.getRollout().phase() == Phase.Healthy && s.getRollout().revisions().size() == 2);
    long generation = client.resources(AgentService.class).withName("api").get().getMetadata().getGeneration();

    annotate("api", MetadataKeys.ROLLBACK, "1");
    AgentService rolledBack = awaitStatusReady(applied, "api", s -> s.getRollout().pinned() != null
        && Conditions.isTrue(s.getConditions(), Conditions.READY));
    assertThat(env(deployment("api"))).as("the previous revision runs again").isEqualTo("1");
    assertThat(rolledBack.getMetadata().getGeneration()).as("no spec edit").isEqualTo(generation);
    assertThat(condition(rolledBack, Conditions.READY).getReason()).isEqualTo("RolledBack");
    assertThat(condition(rolledBack, Conditions.READY).getMessage()).contains("pinned to revision");
    assertThat(client.apps().deployments().withName("api-canary").get()).as("a rollback takes no canary").isNull();
    awaitEvents("api", "RolledBack");

    version("api", "3");
    AgentService released = awaitStatus("api", s -> s.getRollout().pinned() == null && s.getRollout().phase() == Phase.Progressing);
    assertThat(released.getStatus().getRollout().stable().templateHash())
        .isEqualTo(rolledBack.getStatus().getRollout().stable().templateHash());
    await().atMost(TIMEOUT).until(() -> "3".equals(env(deployment("api-canary"))));
  }

  @Test
  void aCrashLoopingCanaryIsAbortedAndAlertedWhileStableKeepsServing() throws Exception {
    AgentService crashy = service("crashy", 2, List.of(new AgentServiceSpec.Step(50, new AgentServiceSpec.Pause(null))));
    crashy.getSpec().setMaxRestartFailures(3);
    crashy.getSpec().setAlertWebhookUrl(receiver.url());
    AgentService applied = apply(crashy);
    settle(applied);
    int before = receiver.bodies.size();
    version("crashy", "2");
    Pod canaryPod = await().atMost(TIMEOUT).until(() -> client.pods().withLabels(canarySelector(applied)).list().getItems(),
        pods -> pods.size() == 1).get(0);
    Kubelet.crashed(client, canaryPod, 3, 1, "ImportError: no module named v2");

    AgentService aborted = awaitStatus("crashy", s -> s.getRollout().phase() == Phase.Aborted
        && s.getRollout().canaryCrashLoop() != null && s.getRollout().canaryCrashLoop().getLastAlert() != null
        && !s.getRollout().canaryCrashLoop().getLastAlert().underWay());
    assertThat(aborted.getStatus().getState()).as("the stable track is not crash-looping").isNotEqualTo(AgentState.CRASH_LOOP);
    assertThat(aborted.getStatus().getConsecutiveRestartFailures()).isZero();
    assertThat(condition(aborted, Conditions.STALLED).getMessage()).contains("3 restarts in a row").contains("no module named v2");
    await().atMost(TIMEOUT).until(() -> stableOnly(client.services().withName("crashy").get(), applied));
    assertThat(deployment("crashy").getSpec().getReplicas()).isEqualTo(2);
    assertThat(deployment("crashy-canary").getSpec().getReplicas()).isEqualTo(1);
    assertThat(client.pods().withName(canaryPod.getMetadata().getName()).get()).as("the crashed pod stays for its logs")
        .isNotNull();
    assertThat(receiver.bodies).hasSize(before + 1);
    assertThat(JSON.readValue(receiver.bodies.get(before), Map.class)).isEqualTo(Map.of(
        "event", "service.rollout_aborted",
        "service_id", aborted.getMetadata().getUid(),
        "workspace_id", client.getNamespace(),
        "service_name", "crashy",
        "restart_count", 3,
        "consecutive_restart_failures", 3,
        "threshold", 3,
        "auto_paused", false,
        "last_error", aborted.getStatus().getRollout().message()));
    assertThat(aborted.getStatus().getRollout().canaryCrashLoop().getLastAlert().delivered()).isTrue();
  }

  @Test
  void aNewChangeDuringACanaryReplacesTheCanary() {
    AgentService applied = apply(service("bump", 2, List.of(new AgentServiceSpec.Step(50, new AgentServiceSpec.Pause(null)))));
    settle(applied);
    version("bump", "2");
    String v2 = awaitStatus("bump", s -> s.getRollout().phase() == Phase.Progressing).getStatus().getRollout().canary().templateHash();
    version("bump", "3");
    AgentService restarted = awaitStatus("bump", s -> s.getRollout().canary() != null && !v2.equals(s.getRollout().canary().templateHash()));
    assertThat(restarted.getStatus().getRollout().step()).isEqualTo(1);
    await().atMost(TIMEOUT).until(() -> "3".equals(env(deployment("bump-canary"))));
    assertThat(env(deployment("bump"))).isEqualTo("1");
  }

  private AgentService service(String name, int instances, List<AgentServiceSpec.Step> steps) {
    AgentServiceSpec spec = new AgentServiceSpec();
    spec.setAgent("acme/" + name);
    spec.setBundle(new Bundle(new Bundle.ConfigMapSource(name + "-bundle"), null, null, null, null));
    spec.setEnv(List.of(new EnvVar("VERSION", "1")));
    spec.setMinInstances(instances);
    spec.setMaxInstances(instances);
    spec.setRollout(new AgentServiceSpec.Rollout(AgentServiceSpec.RolloutStrategy.CANARY, steps));
    AgentService service = new AgentService();
    service.setMetadata(new ObjectMetaBuilder().withName(name).withNamespace(client.getNamespace()).build());
    service.setSpec(spec);
    return service;
  }

  private AgentService apply(AgentService service) {
    Bundles.put(client, service.getSpec().getBundle().configMap().name(), Bundles.HELLO);
    return client.resource(service).create();
  }

  /** Plays the kubelet until every pod of the service is ready and the service runs. */
  private void settle(AgentService service) {
    awaitStatusReady(service, service.getMetadata().getName(), s -> s.getState() == AgentState.RUNNING
        && Conditions.isTrue(s.getConditions(), Conditions.READY));
  }

  /** Waits for the status while marking each new pod ready, as kubelets would. */
  private AgentService awaitStatusReady(AgentService service, String name, Predicate<AgentServiceStatus> test) {
    // A pod can go between the list and the status write; the next round marks the rest.
    return await().atMost(TIMEOUT).ignoreExceptionsInstanceOf(KubernetesClientException.class).until(() -> {
      Kubelet.markReady(client, Labels.selector(service));
      return client.resources(AgentService.class).withName(name).get();
    }, r -> r != null && r.getStatus() != null && test.test(r.getStatus()));
  }

  private void version(String name, String version) {
    edit(name, s -> s.getSpec().setEnv(List.of(new EnvVar("VERSION", version))));
  }

  private void annotate(String name, String annotation, String value) {
    edit(name, s -> {
      Map<String, String> annotations = new HashMap<>(s.getMetadata().getAnnotations() == null ? Map.of()
          : s.getMetadata().getAnnotations());
      annotations.put(annotation, value);
      s.getMetadata().setAnnotations(annotations);
    });
  }

  private void edit(String name, Consumer<AgentService> change) {
    CustomResources.edit(client, AgentService.class, name, change, TIMEOUT);
  }

  private AgentService awaitStatus(String name, Predicate<AgentServiceStatus> test) {
    return CustomResources.awaitStatus(client, AgentService.class, name,
        s -> s.getRollout() != null && test.test(s), TIMEOUT);
  }

  private Deployment deployment(String name) {
    return client.apps().deployments().withName(name).get();
  }

  private static Map<String, String> canarySelector(AgentService service) {
    Map<String, String> selector = new HashMap<>(Labels.selector(service));
    selector.put(MetadataKeys.TRACK, CanaryRollout.CANARY_TRACK);
    return selector;
  }

  private static boolean stableOnly(io.fabric8.kubernetes.api.model.Service main, AgentService service) {
    Map<String, String> selector = new HashMap<>(Labels.selector(service));
    selector.put(MetadataKeys.TRACK, "stable");
    return main.getSpec().getSelector().equals(selector);
  }

  private static String canaryStarted(Deployment canary) {
    return canary.getSpec().getTemplate().getMetadata().getAnnotations().get(MetadataKeys.CANARY_STARTED);
  }

  private static String env(Deployment deployment) {
    return deployment.getSpec().getTemplate().getSpec().getContainers().get(0).getEnv().stream()
        .filter(e -> e.getName().equals("VERSION")).findFirst().map(io.fabric8.kubernetes.api.model.EnvVar::getValue)
        .orElse(null);
  }

  private static Condition condition(AgentService service, String type) {
    return Conditions.find(service.getStatus().getConditions(), type).orElseThrow();
  }

  private void awaitEvents(String name, String... reasons) {
    await().atMost(TIMEOUT).untilAsserted(() -> assertThat(client.resources(Event.class).list().getItems().stream()
        .filter(e -> e.getRegarding() != null && name.equals(e.getRegarding().getName())).map(Event::getReason).toList())
        .contains(reasons));
  }
}
