package dev.orch.operator.agentservice;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.io.IOException;
import java.nio.file.Files;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.function.Consumer;
import java.util.function.Predicate;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;

import dev.orch.localcluster.ClusterConnection;
import dev.orch.localcluster.LocalControlPlane;
import dev.orch.localcluster.WithKubernetes;
import dev.orch.operator.agent.Bundle;
import dev.orch.operator.agent.DependencyCacheSpec;
import dev.orch.operator.agent.EnvVar;
import dev.orch.operator.core.MetadataKeys;
import dev.orch.operator.core.config.OperatorSettings;
import dev.orch.operator.core.reconcile.Labels;
import dev.orch.operator.core.status.AgentState;
import dev.orch.operator.core.status.Conditions;
import dev.orch.operator.testing.Bundles;
import dev.orch.operator.testing.CustomResources;
import dev.orch.operator.testing.Kubelet;
import dev.orch.operator.testing.RunningOperator;
import dev.orch.operator.testing.Vault;
import io.fabric8.kubernetes.api.model.Condition;
import io.fabric8.kubernetes.api.model.Container;
import io.fabric8.kubernetes.api.model.ObjectMetaBuilder;
import io.fabric8.kubernetes.api.model.PersistentVolumeClaim;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.Quantity;
import io.fabric8.kubernetes.api.model.Service;
import io.fabric8.kubernetes.api.model.apps.Deployment;
import io.fabric8.kubernetes.api.model.autoscaling.v2.HorizontalPodAutoscaler;
import io.fabric8.kubernetes.api.model.events.v1.Event;
import io.fabric8.kubernetes.api.model.networking.v1.Ingress;
import io.fabric8.kubernetes.api.model.policy.v1.PodDisruptionBudget;
import io.fabric8.kubernetes.client.KubernetesClient;

/** The AgentService controller against a real API server and controller manager; the test plays the kubelet. */
@WithKubernetes(controllerManager = true)
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class AgentServiceReconcilerTest {
  private static final Duration TIMEOUT = Duration.ofSeconds(30);
  private final KubernetesClient client;
  private final ClusterConnection cluster;
  private RunningOperator<AgentService> operator;

  AgentServiceReconcilerTest(KubernetesClient client, ClusterConnection cluster) {
    this.client = client;
    this.cluster = cluster;
  }

  @BeforeAll
  void startOperator() {
    operator = startedOperator();
  }

  @AfterAll
  void stopOperator() {
    operator.close();
  }

  private RunningOperator<AgentService> startedOperator() {
    return RunningOperator.start(client, meters -> new AgentServiceReconciler(OperatorSettings.defaults(), meters));
  }

  @Test
  void appliedServiceBecomesADeploymentAndServiceAndTurnsReadyWhenItsPodsAre() {
    Vault.put(client, Map.of("DISCORD_BOT_TOKEN", "t0k3n"));
    AgentService applied = apply(service("bot", spec -> spec.setRequiredSecrets(List.of("DISCORD_BOT_TOKEN"))));

    Deployment deployment = await().atMost(TIMEOUT).until(() -> client.apps().deployments().withName("bot").get(), d -> d != null);
    assertThat(deployment.getMetadata().getOwnerReferences()).singleElement()
        .satisfies(o -> {
          assertThat(o.getUid()).isEqualTo(applied.getMetadata().getUid());
          assertThat(o.getController()).isTrue();
        });
    var pod = deployment.getSpec().getTemplate().getSpec();
    assertThat(pod.getInitContainers()).extracting(Container::getName).containsExactly("gateway", "prepare");
    assertThat(pod.getInitContainers().get(0).getRestartPolicy()).as("gateway is a native sidecar").isEqualTo("Always");
    Container agent = pod.getContainers().get(0);
    assertThat(agent.getName()).isEqualTo("agent");
    assertThat(env(agent, "PORT")).isEqualTo("3000");
    assertThat(env(agent, "ORCHAGENT_HTTP_PORT")).isEqualTo("3000");
    assertThat(env(agent, "ORCH_SECRET_NAMES")).isEqualTo("DISCORD_BOT_TOKEN");
    assertThat(agent.getEnv()).filteredOn(e -> e.getName().equals("DISCORD_BOT_TOKEN")).singleElement()
        .satisfies(e -> {
          assertThat(e.getValue()).as("secret values are never copied").isNull();
          assertThat(e.getValueFrom().getSecretKeyRef().getName()).isEqualTo("orch-secrets");
        });
    assertThat(client.apps().deployments().withName("bot").get().toString()).doesNotContain("t0k3n");
    for (Container c : concat(pod.getInitContainers(), pod.getContainers())) {
      assertThat(c.getSecurityContext().getAllowPrivilegeEscalation()).isFalse();
      assertThat(c.getSecurityContext().getCapabilities().getDrop()).containsExactly("ALL");
      assertThat(c.getSecurityContext().getRunAsNonRoot()).isTrue();
      assertThat(c.getTerminationMessagePolicy()).isEqualTo("FallbackToLogsOnError");
    }
    assertThat(pod.getSecurityContext().getSeccompProfile().getType()).isEqualTo("RuntimeDefault");

    Service service = client.services().withName("bot").get();
    assertThat(service.getSpec().getPorts()).singleElement().satisfies(p -> assertThat(p.getTargetPort().getStrVal()).isEqualTo("http"));

    AgentService provisioning = awaitStatus("bot", s -> s.getState() == AgentState.PROVISIONING);
    assertThat(provisioning.getStatus().getInternalUrl()).isEqualTo("http://bot." + client.getNamespace() + ".svc");
    assertThat(Conditions.isTrue(provisioning.getStatus().getConditions(), "Reconciling")).isTrue();

    await().atMost(TIMEOUT).until(() -> Kubelet.markReady(client, Labels.selector(applied)) > 0);
    AgentService running = awaitStatus("bot", s -> s.getState() == AgentState.RUNNING);
    assertThat(running.getStatus().getHealth()).isEqualTo(AgentServiceStatus.Health.HEALTHY);
    assertThat(running.getStatus().getReadyInstances()).isEqualTo(1);
    assertThat(running.getStatus().getObservedGeneration()).isEqualTo(running.getMetadata().getGeneration());
    assertThat(running.getStatus().getConditions()).extracting(Condition::getType, Condition::getStatus)
        .containsExactly(org.assertj.core.groups.Tuple.tuple("Ready", "True"), org.assertj.core.groups.Tuple.tuple("Reconciling", "False"),
            org.assertj.core.groups.Tuple.tuple("Stalled", "False"));
    awaitEvents("bot", "Deploying", "Running");
  }

  @Test
  void missingSecretsStallWithTheFixAndDeployOnceTheyExist() {
    apply(service("needs-keys", spec -> {
      spec.setRequiredSecrets(List.of("TELEGRAM_TOKEN"));
      spec.setSecrets(List.of("OPENAI_KEY"));
    }));
    AgentService stalled = awaitStatus("needs-keys", s -> Conditions.isTrue(s.getConditions(), "Stalled"));
    Condition condition = stalled.getStatus().getConditions().stream().filter(c -> c.getType().equals("Stalled")).findFirst().orElseThrow();
    assertThat(condition.getReason()).isEqualTo("MissingSecrets");
    assertThat(condition.getMessage()).contains("TELEGRAM_TOKEN", "OPENAI_KEY", "kubectl -n " + client.getNamespace());
    assertThat(client.apps().deployments().withName("needs-keys").get()).as("nothing deployed without secrets").isNull();
    awaitEvents("needs-keys", "Failed");

    Vault.put(client, Map.of("TELEGRAM_TOKEN", "a", "OPENAI_KEY", "b"));
    await().atMost(TIMEOUT).until(() -> client.apps().deployments().withName("needs-keys").get() != null);
    AgentService deployed = awaitStatus("needs-keys", s -> !Conditions.isTrue(s.getConditions(), "Stalled"));
    assertThat(deployed.getStatus().getLastError()).as("no stale 'missing secret' once the secrets exist").isNull();
    assertThat(deployed.getStatus().getState()).isEqualTo(AgentState.PROVISIONING);
  }

  @Test
  void aOneEntryCommandWithSpacesRunsAsWordsAsTheReferencesCommandFlagDoes() {
    apply(service("split-command", spec -> spec.setCommand(List.of("python worker.py"))));
    applyWithoutBundle(service("split-image-command", spec -> {
      spec.setBundle(new Bundle(null, null, null, null, "registry.example.com/acme/worker:1.0"));
      spec.setCommand(List.of(" python  worker.py --fast"));
    }));

    Container runner = agentContainer("split-command");
    assertThat(env(runner, "ORCH_COMMAND")).as("what the runner starts").isEqualTo("[\"python\",\"worker.py\"]");
    assertThat(agentContainer("split-image-command").getCommand()).as("a prebuilt image runs its command under the supervisor")
        .containsExactly("/orch/bin/orch-pod", "supervise", "--", "python", "worker.py", "--fast");
    // Their pods keep changing their status; other tests here count the operator's writes.
    client.resources(AgentService.class).withName("split-command").delete();
    client.resources(AgentService.class).withName("split-image-command").delete();
  }

  private Container agentContainer(String service) {
    return await().atMost(TIMEOUT).until(() -> client.apps().deployments().withName(service).get(), d -> d != null)
        .getSpec().getTemplate().getSpec().getContainers().stream().filter(c -> c.getName().equals("agent"))
        .findFirst().orElseThrow();
  }

  @Test
  void editingEnvRollsThePodsAndPauseScalesToZero() {
    AgentService applied = apply(service("worker", spec -> spec.setEnv(List.of(new EnvVar("CONCURRENCY", "4")))));
    await().atMost(TIMEOUT).until(() -> client.apps().replicaSets().withLabels(Labels.selector(applied)).list().getItems().size() == 1);

    edit("worker", s -> s.getSpec().setEnv(List.of(new EnvVar("CONCURRENCY", "8"))));
    await().atMost(TIMEOUT).until(() -> client.apps().replicaSets().withLabels(Labels.selector(applied)).list().getItems().stream()
        .count() == 2);

    edit("worker", s -> s.getSpec().setPaused(true));
    await().atMost(TIMEOUT).until(() -> client.apps().deployments().withName("worker").get().getSpec().getReplicas() == 0);
    AgentService paused = awaitStatus("worker", s -> s.getState() == AgentState.PAUSED);
    assertThat(Conditions.isTrue(paused.getStatus().getConditions(), "Ready")).isFalse();

    edit("worker", s -> s.getSpec().setPaused(false));
    await().atMost(TIMEOUT).until(() -> client.apps().deployments().withName("worker").get().getSpec().getReplicas() == 1);
    awaitEvents("worker", "Paused", "Resumed");
  }

  /** Issue 14, defect 6: a one-instance bot must never run twice, not even during an update. */
  @Test
  void aOneInstanceServiceStopsItsPodBeforeTheUpdatedOneStarts() {
    AgentService applied = apply(service("singleton", spec -> spec.setEnv(List.of(new EnvVar("GREETING", "hello")))));
    Pod first = await().atMost(TIMEOUT).until(() -> pods(applied), pods -> pods.size() == 1).get(0);
    Kubelet.markReady(client, Labels.selector(applied));
    awaitStatus("singleton", s -> s.getState() == AgentState.RUNNING);

    edit("singleton", s -> s.getSpec().setEnv(List.of(new EnvVar("GREETING", "hi"))));
    // The updated pod is created only once the old one is gone; a rolling update would run both (the new one
    // never turns ready here, so the old one would stay).
    List<Pod> updated = await().atMost(TIMEOUT).until(() -> pods(applied),
        pods -> pods.stream().anyMatch(p -> !templateHash(p).equals(templateHash(first))));
    assertThat(updated).as("pods after the update").singleElement()
        .satisfies(p -> assertThat(p.getMetadata().getName()).isNotEqualTo(first.getMetadata().getName()));
    assertThat(client.apps().deployments().withName("singleton").get().getSpec().getStrategy().getType()).isEqualTo("Recreate");
  }

  @Test
  void anAgentWithoutHttpGetsNoServiceAndNoPort() {
    apply(service("outbound", spec -> spec.setHttp(AgentServiceSpec.Http.none())));
    Deployment deployment = await().atMost(TIMEOUT).until(() -> client.apps().deployments().withName("outbound").get(), d -> d != null);
    assertThat(env(deployment.getSpec().getTemplate().getSpec().getContainers().get(0), "PORT")).isNull();
    AgentService provisioning = awaitStatus("outbound", s -> s.getState() == AgentState.PROVISIONING);
    assertThat(provisioning.getStatus().getInternalUrl()).isNull();
    assertThat(client.services().withName("outbound").get()).isNull();

    edit("outbound", s -> s.getSpec().setHttp(AgentServiceSpec.Http.on(3000)));
    await().atMost(TIMEOUT).until(() -> client.services().withName("outbound").get() != null);
    edit("outbound", s -> s.getSpec().setHttp(AgentServiceSpec.Http.none()));
    await().atMost(TIMEOUT).until(() -> client.services().withName("outbound").get() == null);
  }

  /** Issue 14, defect 7: a missing bundle says so and what to run, and the service deploys once it exists. */
  @Test
  void aMissingBundleStallsWithTheCommandThatCreatesItAndDeploysWhenItAppears() {
    applyWithoutBundle(service("no-code", spec -> { }));
    AgentService stalled = awaitStatus("no-code", s -> Conditions.isTrue(s.getConditions(), "Stalled"));
    Condition condition = Conditions.find(stalled.getStatus().getConditions(), "Stalled").orElseThrow();
    assertThat(condition.getReason()).isEqualTo("BundleNotFound");
    assertThat(condition.getMessage()).contains("no-code-bundle does not exist",
        "kubectl -n " + client.getNamespace() + " create configmap no-code-bundle --from-file=",
        "label configmap no-code-bundle orch.dev/bundle=true", "kubectl apply -k");
    assertThat(stalled.getStatus().getState()).isEqualTo(AgentState.FAILED);
    assertThat(client.apps().deployments().withName("no-code").get()).as("nothing deployed without the code").isNull();
    awaitEvents("no-code", "BundleNotFound");

    Bundles.put(client, "no-code-bundle", Bundles.HELLO);
    await().atMost(TIMEOUT).until(() -> client.apps().deployments().withName("no-code").get() != null);
    awaitStatus("no-code", s -> s.getState() == AgentState.PROVISIONING && !Conditions.isTrue(s.getConditions(), "Stalled"));
  }

  @Test
  void aBundleWithoutTheLabelIsNamedWithTheCommandThatAddsIt() {
    Bundles.putUnlabelled(client, "unlabelled-bundle", Bundles.HELLO);
    applyWithoutBundle(service("unlabelled", spec -> { }));
    AgentService stalled = awaitStatus("unlabelled", s -> Conditions.isTrue(s.getConditions(), "Stalled"));
    Condition condition = Conditions.find(stalled.getStatus().getConditions(), "Stalled").orElseThrow();
    assertThat(condition.getReason()).isEqualTo("BundleNotLabelled");
    assertThat(condition.getMessage()).contains("kubectl -n " + client.getNamespace()
        + " label configmap unlabelled-bundle orch.dev/bundle=true");

    Bundles.put(client, "unlabelled-bundle", Bundles.HELLO);
    await().atMost(TIMEOUT).until(() -> client.apps().deployments().withName("unlabelled").get() != null);
  }

  /** Issue 14, defect 7: new code in the bundle ConfigMap reaches the pods. */
  @Test
  void editingTheBundleRollsThePods() {
    AgentService applied = apply(service("evolving", spec -> { }));
    String before = await().atMost(TIMEOUT).until(() -> bundleDigest("evolving"), digest -> digest != null);
    await().atMost(TIMEOUT).until(() -> client.apps().replicaSets().withLabels(Labels.selector(applied)).list().getItems().size() == 1);

    Bundles.put(client, "evolving-bundle", Map.of("main.py", "print('hello, world')\n"));
    await().atMost(TIMEOUT).until(() -> bundleDigest("evolving"), digest -> digest != null && !digest.equals(before));
    await().atMost(TIMEOUT).until(() -> client.apps().replicaSets().withLabels(Labels.selector(applied)).list().getItems().size() == 2);
  }

  @Test
  void restartAnnotationRollsFreshPodsAndResetsTheFailureCounter() {
    apply(service("restartable", spec -> { }));
    await().atMost(TIMEOUT).until(() -> client.apps().deployments().withName("restartable").get() != null);
    String at = "2026-11-23T10:00:00Z";
    edit("restartable", s -> s.getMetadata().setAnnotations(Map.of(MetadataKeys.RESTARTED_AT, at)));
    await().atMost(TIMEOUT).until(() -> at.equals(client.apps().deployments().withName("restartable").get()
        .getSpec().getTemplate().getMetadata().getAnnotations().get(MetadataKeys.RESTARTED_AT)));
    AgentService restarted = awaitStatus("restartable", s -> at.equals(s.getLastRestartAt()));
    assertThat(restarted.getStatus().getConsecutiveRestartFailures()).isZero();
    awaitEvents("restartable", "Restarted");
  }

  @Test
  void ingressAutoscalerAndDisruptionBudgetFollowTheSpec() {
    apply(service("web", spec -> {
      spec.setMinInstances(2);
      spec.setMaxInstances(5);
      spec.setIngress(new AgentServiceSpec.Ingress("bot.example.com", "/", "nginx", null));
    }));
    Ingress ingress = await().atMost(TIMEOUT).until(() -> client.network().v1().ingresses().withName("web").get(), i -> i != null);
    assertThat(ingress.getSpec().getRules()).singleElement().satisfies(r -> assertThat(r.getHost()).isEqualTo("bot.example.com"));
    assertThat(ingress.getSpec().getTls()).as("TLS is AgentServiceTlsTest's").isNullOrEmpty();
    assertThat(ingress.getSpec().getIngressClassName()).isEqualTo("nginx");
    HorizontalPodAutoscaler hpa = await().atMost(TIMEOUT)
        .until(() -> client.autoscaling().v2().horizontalPodAutoscalers().withName("web").get(), h -> h != null);
    assertThat(hpa.getSpec().getMinReplicas()).isEqualTo(2);
    assertThat(hpa.getSpec().getMaxReplicas()).isEqualTo(5);
    await().atMost(TIMEOUT).until(() -> client.policy().v1().podDisruptionBudget().withName("web").get() != null);
    awaitStatus("web", s -> "http://bot.example.com".equals(s.getUrl()));

    edit("web", s -> {
      s.getSpec().setIngress(null);
      s.getSpec().setMaxInstances(1);
      s.getSpec().setMinInstances(1);
    });
    await().atMost(TIMEOUT).untilAsserted(() -> {
      assertThat(client.network().v1().ingresses().withName("web").get()).as("ingress").isNull();
      assertThat(client.autoscaling().v2().horizontalPodAutoscalers().withName("web").get()).as("autoscaler").isNull();
      assertThat(client.policy().v1().podDisruptionBudget().withName("web").get()).as("disruption budget").isNull();
    });
    assertThat(client.resources(PodDisruptionBudget.class).list().getItems()).noneMatch(p -> p.getMetadata().getName().equals("web"));
  }

  @Test
  void dependencyCacheClaimIsOwnedByTheServiceAndARefusedChangeStallsWithTheApiServersWords() {
    AgentService applied = apply(service("cached", spec -> spec.setDependencyCache(new DependencyCacheSpec("1Gi", null))));
    PersistentVolumeClaim claim = await().atMost(TIMEOUT)
        .until(() -> client.persistentVolumeClaims().withName("cached").get(), c -> c != null);
    assertThat(claim.getMetadata().getOwnerReferences()).singleElement().satisfies(o -> {
      assertThat(o.getUid()).isEqualTo(applied.getMetadata().getUid());
      assertThat(o.getController()).isTrue();
    });
    assertThat(claim.getSpec().getResources().getRequests().get("storage")).isEqualTo(new Quantity("1Gi"));
    Deployment deployment = client.apps().deployments().withName("cached").get();
    assertThat(deployment.getSpec().getTemplate().getSpec().getVolumes()).filteredOn(v -> v.getName().equals("workspace"))
        .singleElement().satisfies(v -> assertThat(v.getPersistentVolumeClaim().getClaimName()).isEqualTo("cached"));

    // Claims never shrink: the API server refuses the apply, and the status says so in its words.
    edit("cached", s -> s.getSpec().setDependencyCache(new DependencyCacheSpec("512Mi", null)));
    AgentService stalled = awaitStatus("cached", s -> Conditions.isTrue(s.getConditions(), Conditions.STALLED));
    Condition condition = Conditions.find(stalled.getStatus().getConditions(), Conditions.STALLED).orElseThrow();
    assertThat(condition.getReason()).isEqualTo("ApplyRefused");
    assertThat(condition.getMessage()).contains("PersistentVolumeClaim", "cached");

    edit("cached", s -> s.getSpec().setDependencyCache(null));
    await("the claim goes with the cache").atMost(TIMEOUT).until(() -> {
      PersistentVolumeClaim left = client.persistentVolumeClaims().withName("cached").get();
      return left == null || left.getMetadata().getDeletionTimestamp() != null;
    });
    awaitStatus("cached", s -> !Conditions.isTrue(s.getConditions(), Conditions.STALLED));
  }

  @Test
  void deletingTheServiceRemovesEverythingItOwns() {
    apply(service("short-lived", spec -> { }));
    await().atMost(TIMEOUT).until(() -> client.apps().deployments().withName("short-lived").get() != null
        && client.services().withName("short-lived").get() != null);
    client.resources(AgentService.class).withName("short-lived").delete();
    await().atMost(TIMEOUT).until(() -> client.apps().deployments().withName("short-lived").get() == null
        && client.services().withName("short-lived").get() == null);
  }

  @Test
  void reReconcilingAnUnchangedServiceWritesNothing() throws IOException {
    Assumptions.assumeTrue(cluster instanceof LocalControlPlane, "needs the local control plane's audit log");
    Vault.put(client, Map.of("DISCORD_BOT_TOKEN", "x"));
    AgentService applied = apply(service("steady", spec -> spec.setRequiredSecrets(List.of("DISCORD_BOT_TOKEN"))));
    await().atMost(TIMEOUT).until(() -> Kubelet.markReady(client, Labels.selector(applied)) > 0);
    awaitStatus("steady", s -> s.getState() == AgentState.RUNNING);
    awaitEvents("steady", "Running");

    operator.close();
    var auditLog = ((LocalControlPlane) cluster).auditLog();
    long mark = Files.readAllLines(auditLog).size();
    operator = startedOperator();
    await().atMost(TIMEOUT).until(() -> operator.reconciles() >= client.resources(AgentService.class).list().getItems().size());
    List<String> writes = Files.readAllLines(auditLog).stream().skip(mark)
        .filter(line -> line.contains("\"namespace\":\"" + client.getNamespace() + "\""))
        .filter(line -> line.contains("\"resource\":\"agentservices\"") || line.contains("\"resource\":\"deployments\"")
            || line.contains("\"resource\":\"services\"") || line.contains("\"resource\":\"events\""))
        .filter(line -> !line.contains("\"userAgent\":\"kube-controller-manager"))
        .toList();
    assertThat(writes).as("write requests during a no-op re-reconcile").isEmpty();
  }

  private AgentService service(String name, java.util.function.Consumer<AgentServiceSpec> customize) {
    AgentServiceSpec spec = new AgentServiceSpec();
    spec.setAgent("acme/" + name + "@1.0.0");
    spec.setBundle(new Bundle(new Bundle.ConfigMapSource(name + "-bundle"), null, null, null, null));
    customize.accept(spec);
    AgentService service = new AgentService();
    service.setMetadata(new ObjectMetaBuilder().withName(name).withNamespace(client.getNamespace()).build());
    service.setSpec(spec);
    return service;
  }

  /** Creates the service and, first, its bundle ConfigMap. */
  private AgentService apply(AgentService service) {
    Bundles.put(client, service.getSpec().getBundle().configMap().name(), Bundles.HELLO);
    return applyWithoutBundle(service);
  }

  private AgentService applyWithoutBundle(AgentService service) {
    return client.resource(service).create();
  }

  private void edit(String name, Consumer<AgentService> change) {
    CustomResources.edit(client, AgentService.class, name, change, TIMEOUT);
  }

  private AgentService awaitStatus(String name, Predicate<AgentServiceStatus> test) {
    return CustomResources.awaitStatus(client, AgentService.class, name, test, TIMEOUT);
  }

  /** Events are written just after the status that a test waits for, so wait for them too. */
  private void awaitEvents(String name, String... reasons) {
    await().atMost(TIMEOUT).untilAsserted(() -> assertThat(client.resources(Event.class).list().getItems().stream()
        .filter(e -> e.getRegarding() != null && name.equals(e.getRegarding().getName())).map(Event::getReason).toList())
        .contains(reasons));
  }

  private List<Pod> pods(AgentService service) {
    return client.pods().withLabels(Labels.selector(service)).list().getItems();
  }

  private static String templateHash(Pod pod) {
    return pod.getMetadata().getLabels().get("pod-template-hash");
  }

  private String bundleDigest(String name) {
    Deployment deployment = client.apps().deployments().withName(name).get();
    return deployment == null || deployment.getSpec().getTemplate().getMetadata().getAnnotations() == null ? null
        : deployment.getSpec().getTemplate().getMetadata().getAnnotations().get(MetadataKeys.BUNDLE_SHA256);
  }

  private static String env(Container container, String name) {
    return container.getEnv().stream().filter(e -> e.getName().equals(name)).findFirst()
        .map(io.fabric8.kubernetes.api.model.EnvVar::getValue).orElse(null);
  }

  private static List<Container> concat(List<Container> a, List<Container> b) {
    return java.util.stream.Stream.concat(a.stream(), b.stream()).toList();
  }
}
