package dev.orch.operator.agentservice;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.time.Duration;
import java.util.HashMap;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.function.Predicate;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.io.TempDir;

import dev.orch.localcluster.WithKubernetes;
import dev.orch.operator.agent.Bundle;
import dev.orch.operator.agentservice.autoupdate.AutoUpdates;
import dev.orch.operator.agentservice.rollout.RolloutStatus.Phase;
import dev.orch.operator.core.MetadataKeys;
import dev.orch.operator.core.reconcile.Labels;
import dev.orch.operator.core.config.OperatorSettings;
import dev.orch.operator.testing.CustomResources;
import dev.orch.operator.testing.HttpsReceiver;
import dev.orch.operator.testing.Kubelet;
import dev.orch.operator.testing.RunningOperator;
import io.fabric8.kubernetes.api.model.ObjectMetaBuilder;
import io.fabric8.kubernetes.api.model.apps.Deployment;
import io.fabric8.kubernetes.api.model.events.v1.Event;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientException;

/**
 * spec.autoUpdate following an https bundle whose archive changes: the new digest is seen, pinned into the pod
 * template, and rolled out with the service's canary; the archive is served by a local HTTPS server.
 */
@WithKubernetes(controllerManager = true)
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class AgentServiceAutoUpdateTest {
  private static final Duration TIMEOUT = Duration.ofSeconds(45);
  private final KubernetesClient client;
  private HttpsReceiver server;
  private RunningOperator<AgentService> operator;

  AgentServiceAutoUpdateTest(KubernetesClient client) {
    this.client = client;
  }

  @BeforeAll
  void start(@TempDir Path workDir) throws Exception {
    server = new HttpsReceiver(workDir);
    OperatorSettings settings = OperatorSettings.defaults().withCrashLoop(Duration.ofMinutes(10), Optional.of(server.caBundle()));
    operator = RunningOperator.start(client, meters -> new AgentServiceReconciler(settings, meters));
  }

  @AfterAll
  void stop() {
    operator.close();
    server.close();
  }

  @Test
  void aNewArchiveAtTheUrlRollsOutAsACanary() throws Exception {
    byte[] v1 = "archive v1".getBytes(StandardCharsets.UTF_8);
    byte[] v2 = "archive v2".getBytes(StandardCharsets.UTF_8);
    String url = server.serve("bot.tar.gz", v1);
    AgentService applied = client.resource(service(url)).create();

    AgentService first = awaitReady(applied, s -> s.getAutoUpdate() != null && s.getAutoUpdate().version() != null
        && s.getRollout() != null && s.getRollout().phase() == Phase.Healthy);
    assertThat(first.getStatus().getAutoUpdate().version()).isEqualTo(sha256(v1));
    assertThat(first.getStatus().getAutoUpdate().observedAt()).isNotNull();
    assertThat(env(deployment("updated"), "ORCH_BUNDLE_SHA256")).as("the pods fetch exactly what was seen").isEqualTo(sha256(v1));

    server.serve("bot.tar.gz", v2);
    CustomResources.edit(client, AgentService.class, "updated", s -> {
      Map<String, String> annotations = new HashMap<>(s.getMetadata().getAnnotations() == null ? Map.of() : s.getMetadata().getAnnotations());
      annotations.put(MetadataKeys.CHECK_UPDATE, "1");
      s.getMetadata().setAnnotations(annotations);
    }, TIMEOUT);
    String v2Digest = sha256(v2);
    AgentService updating = awaitReady(applied, s -> v2Digest.equals(s.getAutoUpdate().version())
        && s.getRollout().phase() == Phase.Paused);
    assertThat(updating.getStatus().getRollout().canary().templateHash())
        .isNotEqualTo(updating.getStatus().getRollout().stable().templateHash());
    assertThat(env(deployment("updated-canary"), "ORCH_BUNDLE_SHA256")).isEqualTo(sha256(v2));
    assertThat(env(deployment("updated"), "ORCH_BUNDLE_SHA256")).as("stable keeps the version it runs").isEqualTo(sha256(v1));
    await().atMost(TIMEOUT).untilAsserted(() -> assertThat(client.resources(Event.class).list().getItems().stream()
        .filter(e -> e.getRegarding() != null && "updated".equals(e.getRegarding().getName())).map(Event::getReason).toList())
        .contains("NewVersion", "CanaryStarted"));
  }

  private AgentService service(String url) {
    AgentServiceSpec spec = new AgentServiceSpec();
    spec.setAgent("acme/updated");
    spec.setBundle(new Bundle(null, url, null, null, null));
    spec.setMinInstances(2);
    spec.setMaxInstances(2);
    spec.setAutoUpdate(new AgentServiceSpec.AutoUpdate(AgentServiceSpec.AutoUpdateSource.URL, "1h"));
    spec.setRollout(new AgentServiceSpec.Rollout(AgentServiceSpec.RolloutStrategy.CANARY,
        List.of(new AgentServiceSpec.Step(50, new AgentServiceSpec.Pause(null)))));
    AgentService service = new AgentService();
    service.setMetadata(new ObjectMetaBuilder().withName("updated").withNamespace(client.getNamespace()).build());
    service.setSpec(spec);
    return service;
  }

  private AgentService awaitReady(AgentService service, Predicate<AgentServiceStatus> test) {
    return await().atMost(TIMEOUT).ignoreExceptionsInstanceOf(KubernetesClientException.class).until(() -> {
      Kubelet.markReady(client, Labels.selector(service));
      return client.resources(AgentService.class).withName("updated").get();
    }, r -> r.getStatus() != null && test.test(r.getStatus()));
  }

  private Deployment deployment(String name) {
    return client.apps().deployments().withName(name).get();
  }

  private static String env(Deployment deployment, String name) {
    return deployment.getSpec().getTemplate().getSpec().getContainers().get(0).getEnv().stream()
        .filter(e -> e.getName().equals(name)).findFirst().map(io.fabric8.kubernetes.api.model.EnvVar::getValue).orElse(null);
  }

  private static String sha256(byte[] bytes) throws Exception {
    return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(bytes));
  }
}
