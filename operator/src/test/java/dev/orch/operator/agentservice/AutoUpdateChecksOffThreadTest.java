package dev.orch.operator.agentservice;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.HashMap;
import java.util.Map;
import java.util.Optional;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.io.TempDir;

import dev.orch.localcluster.WithKubernetes;
import dev.orch.operator.agent.Bundle;
import dev.orch.operator.core.MetadataKeys;
import dev.orch.operator.core.config.OperatorSettings;
import dev.orch.operator.core.status.Conditions;
import dev.orch.operator.testing.CustomResources;
import dev.orch.operator.testing.HttpsReceiver;
import dev.orch.operator.testing.RunningOperator;
import io.fabric8.kubernetes.api.model.ObjectMetaBuilder;
import io.fabric8.kubernetes.api.model.apps.Deployment;
import io.fabric8.kubernetes.client.KubernetesClient;

/**
 * An auto-update source that never answers (a download may take 60 s before it times out) holds up no reconcile:
 * with a single reconcile thread, another service and the waiting service itself are still reconciled at once,
 * and a second check of the same service is not started while the first runs. The waiting service deploys
 * nothing until it knows its version, and says so.
 */
@WithKubernetes
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class AutoUpdateChecksOffThreadTest {
  /** Far below the 60 s a download may take: a reconcile that waited for the check could not meet it. */
  private static final Duration PROMPTLY = Duration.ofSeconds(15);
  private final KubernetesClient client;
  private HttpsReceiver server;
  private RunningOperator<AgentService> operator;

  AutoUpdateChecksOffThreadTest(KubernetesClient client) {
    this.client = client;
  }

  @BeforeAll
  void start(@TempDir Path workDir) throws Exception {
    server = new HttpsReceiver(workDir);
    OperatorSettings settings = OperatorSettings.defaults().withCrashLoop(Duration.ofMinutes(10), Optional.of(server.caBundle()));
    operator = RunningOperator.startWithReconcileThreads(client, 1, meters -> new AgentServiceReconciler(settings, meters));
  }

  @AfterAll
  void stop() {
    operator.close();
    server.close();
  }

  @Test
  void aSourceThatNeverAnswersHoldsUpNoReconcile() {
    String hanging = server.hangingUrl() + "?bundle.tar.gz";
    AgentService waiting = service("waiting", hanging);
    waiting.getSpec().setAutoUpdate(new AgentServiceSpec.AutoUpdate(AgentServiceSpec.AutoUpdateSource.URL, "1h"));
    client.resource(waiting).create();
    await("the check asking the source").atMost(PROMPTLY).until(() -> server.hung.size() == 1);
    AgentServiceStatus held = await("the service saying what it waits for").atMost(PROMPTLY)
        .until(() -> status("waiting"), s -> s != null && Conditions.isTrue(s.getConditions(), Conditions.RECONCILING));
    assertThat(Conditions.find(held.getConditions(), Conditions.RECONCILING).orElseThrow())
        .satisfies(c -> assertThat(c.getReason()).isEqualTo("CheckingVersion"))
        .satisfies(c -> assertThat(c.getMessage()).contains(hanging));
    assertThat(deployment("waiting")).as("nothing runs before its version is known").isNull();

    client.resource(service("other", server.serve("other.tar.gz", "other".getBytes(StandardCharsets.UTF_8)))).create();
    await("the other service reconciled while the check hangs").atMost(PROMPTLY)
        .until(() -> deployment("other") != null && status("other") != null);

    CustomResources.edit(client, AgentService.class, "waiting", s -> {
      Map<String, String> annotations = new HashMap<>(s.getMetadata().getAnnotations() == null ? Map.of() : s.getMetadata().getAnnotations());
      annotations.put(MetadataKeys.CHECK_UPDATE, "again");
      s.getMetadata().setAnnotations(annotations);
      s.getSpec().setMinInstances(2);
      s.getSpec().setMaxInstances(2);
    }, PROMPTLY);
    long generation = client.resources(AgentService.class).withName("waiting").get().getMetadata().getGeneration();
    await("the waiting service's own change reconciled while its check hangs").atMost(PROMPTLY)
        .until(() -> Long.valueOf(generation).equals(status("waiting").getObservedGeneration()));
    assertThat(server.hung).as("one check in flight per service").hasSize(1);
    assertThat(status("waiting").getAutoUpdate()).as("nothing checked yet").isNull();
  }

  private AgentService service(String name, String url) {
    AgentServiceSpec spec = new AgentServiceSpec();
    spec.setAgent("acme/" + name);
    spec.setBundle(new Bundle(null, url, null, null, null));
    AgentService service = new AgentService();
    service.setMetadata(new ObjectMetaBuilder().withName(name).withNamespace(client.getNamespace()).build());
    service.setSpec(spec);
    return service;
  }

  private Deployment deployment(String name) {
    return client.apps().deployments().withName(name).get();
  }

  private AgentServiceStatus status(String name) {
    AgentService service = client.resources(AgentService.class).withName(name).get();
    return service == null ? null : service.getStatus();
  }
}
