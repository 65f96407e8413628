package dev.orch.operator.agentservice;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
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
import dev.orch.operator.core.MetadataKeys;
import dev.orch.operator.core.config.OperatorSettings;
import dev.orch.operator.core.crashloop.CrashLoopRecord.AlertOutcome;
import dev.orch.operator.core.reconcile.Labels;
import dev.orch.operator.core.status.AgentState;
import dev.orch.operator.testing.CustomResources;
import dev.orch.operator.testing.HttpsReceiver;
import dev.orch.operator.testing.Kubelet;
import dev.orch.operator.testing.RunningOperator;
import dev.orch.operator.testing.Vault;
import io.fabric8.kubernetes.api.model.ObjectMetaBuilder;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.events.v1.Event;
import io.fabric8.kubernetes.client.KubernetesClient;

/** Crash-loop counting, auto-pause and alerts, with the test playing the kubelet and a local HTTPS receiver. */
@WithKubernetes(controllerManager = true)
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class AgentServiceCrashLoopTest {
  private static final Duration TIMEOUT = Duration.ofSeconds(30);
  private static final Duration STABLE_AFTER = Duration.ofSeconds(20);
  private static final ObjectMapper JSON = new ObjectMapper();
  private final KubernetesClient client;
  private HttpsReceiver receiver;
  private RunningOperator<AgentService> operator;

  AgentServiceCrashLoopTest(KubernetesClient client) {
    this.client = client;
  }

  @BeforeAll
  void start(@TempDir Path workDir) throws Exception {
    receiver = new HttpsReceiver(workDir);
    operator = startOperator();
    Vault.put(client, Map.of("TOKEN", "x"));
  }

  @AfterAll
  void stop() {
    operator.close();
    receiver.close();
  }

  private RunningOperator<AgentService> startOperator() {
    OperatorSettings settings = OperatorSettings.defaults().withCrashLoop(STABLE_AFTER, Optional.of(receiver.caBundle()));
    return RunningOperator.start(client, meters -> new AgentServiceReconciler(settings, meters));
  }

  @Test
  void warnsAtHalfPausesAtTheThresholdAndResumesOnRestartWithoutDuplicateAlerts() throws Exception {
    AgentService service = client.resource(service("crashy", 4, receiver.url())).create();
    int before = receiver.bodies.size();
    Pod pod = awaitPod(service);

    Kubelet.crashed(client, pod, 1, 1, "KeyError: 'TOKEN'");
    awaitStatus("crashy", s -> s.getConsecutiveRestartFailures() == 1);
    assertThat(receiver.bodies).as("no alert below half the threshold").hasSize(before);

    Kubelet.crashed(client, latest(pod), 2, 1, "KeyError: 'TOKEN'");
    await().atMost(TIMEOUT).until(() -> receiver.bodies.size() == before + 1);
    assertThat(JSON.readTree(receiver.bodies.get(before)).get("event").asText()).isEqualTo("service.crash_loop_warning");
    assertThat(eventReasons("crashy")).contains("CrashLoopWarning");

    // The operator restarts mid-count: the streak continues and the warning is not sent again.
    operator.close();
    operator = startOperator();
    await().atMost(TIMEOUT).until(() -> operator.reconciles() > 0);
    Kubelet.crashed(client, latest(pod), 3, 1, "KeyError: 'TOKEN'");
    awaitStatus("crashy", s -> s.getConsecutiveRestartFailures() == 3);
    assertThat(receiver.bodies).as("no duplicate warning after an operator restart").hasSize(before + 1);

    Kubelet.crashed(client, latest(pod), 4, 1, "KeyError: 'TOKEN'");
    AgentService paused = awaitStatus("crashy", s -> s.getState() == AgentState.CRASH_LOOP
        && s.getCrashLoop().getLastAlert() != null && s.getCrashLoop().getLastAlert().event().equals("service.crash_loop")
        && !s.getCrashLoop().getLastAlert().underWay());
    await().atMost(TIMEOUT).until(() -> client.apps().deployments().withName("crashy").get().getSpec().getReplicas() == 0);
    assertThat(receiver.bodies).hasSize(before + 2);
    assertThat(JSON.readValue(receiver.bodies.get(before + 1), Map.class)).isEqualTo(Map.of(
        "event", "service.crash_loop",
        "service_id", service.getMetadata().getUid(),
        "workspace_id", client.getNamespace(),
        "service_name", "crashy",
        "restart_count", 4,
        "consecutive_restart_failures", 4,
        "threshold", 4,
        "auto_paused", true,
        "last_error", "Error (exit code 1): KeyError: 'TOKEN'"));
    assertThat(paused.getStatus().getCrashLoop().getLastAlert().delivered()).isTrue();
    assertThat(paused.getStatus().getCrashLoop().getLastAlert().httpStatus()).isEqualTo(200);
    assertThat(paused.getStatus().getConditions().get(2).getReason()).isEqualTo("CrashLoop");
    assertThat(eventReasons("crashy")).contains("CrashLoop");

    edit("crashy", s -> s.getMetadata().setAnnotations(Map.of(MetadataKeys.RESTARTED_AT, Instant.now().toString())));
    AgentService resumed = awaitStatus("crashy", s -> s.getState() != AgentState.CRASH_LOOP);
    assertThat(resumed.getStatus().getConsecutiveRestartFailures()).isZero();
    assertThat(resumed.getStatus().getRestartCount()).as("restart history is kept").isEqualTo(4);
    await().atMost(TIMEOUT).until(() -> client.apps().deployments().withName("crashy").get().getSpec().getReplicas() == 1);
    assertThat(receiver.bodies).hasSize(before + 2);
  }

  @Test
  void aDeadAlertReceiverHoldsUpNoReconcile() {
    AgentService service = client.resource(service("unheard", 2, receiver.hangingUrl())).create();
    Pod pod = awaitPod(service);
    Kubelet.crashed(client, pod, 1, 1, "KeyError: 'TOKEN'");
    await().atMost(TIMEOUT).until(() -> takenFor("unheard") == 1);

    // The warning's delivery now waits on the receiver (3 attempts of 5 s); the service is reconciled meanwhile.
    Kubelet.crashed(client, latest(pod), 2, 1, "KeyError: 'TOKEN'");
    AgentService paused = awaitStatus("unheard", s -> s.getState() == AgentState.CRASH_LOOP);
    assertThat(paused.getStatus().getCrashLoop().getLastAlert()).as("the pause's alert is being delivered")
        .returns(true, AlertOutcome::underWay).returns("service.crash_loop", AlertOutcome::event);

    AgentService told = CustomResources.awaitStatus(client, AgentService.class, "unheard",
        s -> !s.getCrashLoop().getLastAlert().underWay(), Duration.ofSeconds(60));
    assertThat(told.getStatus().getCrashLoop().getLastAlert().delivered()).isFalse();
    assertThat(told.getStatus().getCrashLoop().getLastAlert().error()).contains("after 3 attempt(s)");
    await().atMost(TIMEOUT).until(() -> eventReasons("unheard").contains("AlertFailed"));
  }

  @Test
  void anAlertWhoseDeliveryStoppedWithTheOperatorIsReportedAsUnconfirmedNotResent() {
    AgentService service = client.resource(service("cut-off", 2, receiver.hangingUrl())).create();
    Kubelet.crashed(client, awaitPod(service), 1, 1, "KeyError: 'TOKEN'");
    awaitStatus("cut-off", s -> s.getCrashLoop().getLastAlert() != null && s.getCrashLoop().getLastAlert().underWay());
    await().atMost(TIMEOUT).until(() -> takenFor("cut-off") == 1);

    operator.close();
    long taken = takenFor("cut-off");
    operator = startOperator();
    AgentService told = awaitStatus("cut-off", s -> !s.getCrashLoop().getLastAlert().underWay());
    assertThat(told.getStatus().getCrashLoop().getLastAlert())
        .returns("service.crash_loop_warning", AlertOutcome::event).returns(false, AlertOutcome::delivered);
    assertThat(told.getStatus().getCrashLoop().getLastAlert().error()).contains("may not have it");
    await().atMost(TIMEOUT).until(() -> eventReasons("cut-off").contains("AlertUnconfirmed"));
    assertThat(takenFor("cut-off")).as("not sent again by the new operator").isEqualTo(taken);
  }

  @Test
  void aRunThatStaysUpLongEnoughResetsTheCounter() {
    AgentService service = client.resource(service("flaky", 5, null)).create();
    Pod pod = awaitPod(service);
    Kubelet.crashed(client, pod, 2, 137, "OOMKilled");
    awaitStatus("flaky", s -> s.getConsecutiveRestartFailures() == 2);
    Kubelet.runningSince(client, latest(pod), 2, Instant.now().minus(STABLE_AFTER).minusSeconds(1));
    AgentService stable = awaitStatus("flaky", s -> s.getConsecutiveRestartFailures() == 0);
    assertThat(stable.getStatus().getRestartCount()).isEqualTo(2);
  }

  private AgentService service(String name, int maxRestartFailures, String alertUrl) {
    AgentServiceSpec spec = new AgentServiceSpec();
    spec.setAgent("acme/" + name);
    spec.setBundle(new Bundle(null, "https://bundles.example.com/" + name + ".tar.gz", null, null, null));
    spec.setRequiredSecrets(List.of("TOKEN"));
    spec.setMaxRestartFailures(maxRestartFailures);
    spec.setAlertWebhookUrl(alertUrl);
    AgentService service = new AgentService();
    service.setMetadata(new ObjectMetaBuilder().withName(name).withNamespace(client.getNamespace()).build());
    service.setSpec(spec);
    return service;
  }

  private Pod awaitPod(AgentService service) {
    return await().atMost(TIMEOUT).until(() -> client.pods().withLabels(Labels.selector(service)).list().getItems(),
        pods -> pods.size() == 1).get(0);
  }

  private Pod latest(Pod pod) {
    return client.pods().withName(pod.getMetadata().getName()).get();
  }

  private void edit(String name, Consumer<AgentService> change) {
    CustomResources.edit(client, AgentService.class, name, change, TIMEOUT);
  }

  private AgentService awaitStatus(String name, Predicate<AgentServiceStatus> test) {
    return CustomResources.awaitStatus(client, AgentService.class, name, test, TIMEOUT);
  }

  private long takenFor(String service) {
    return receiver.hung.stream().filter(body -> body.contains("\"service_name\":\"" + service + "\"")).count();
  }

  private List<String> eventReasons(String name) {
    return client.resources(Event.class).list().getItems().stream()
        .filter(e -> e.getRegarding() != null && name.equals(e.getRegarding().getName())).map(Event::getReason).toList();
  }
}
