package dev.orch.operator.helm;

import static java.nio.charset.StandardCharsets.UTF_8;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import java.util.function.Predicate;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;

import dev.orch.localcluster.ClusterConnection;
import dev.orch.localcluster.KubeBinaries;
import dev.orch.localcluster.WithKubernetes;
import dev.orch.operator.agentservice.AgentService;
import dev.orch.operator.agentservice.AgentServiceReconciler;
import dev.orch.operator.core.MetadataKeys;
import dev.orch.operator.core.config.OperatorSettings;
import dev.orch.operator.core.reconcile.Labels;
import dev.orch.operator.core.status.AgentState;
import dev.orch.operator.core.status.Conditions;
import dev.orch.operator.schedule.Schedule;
import dev.orch.operator.schedule.ScheduleReconciler;
import dev.orch.operator.schedule.ScheduleStatus;
import dev.orch.operator.schedule.WebhookTrigger;
import dev.orch.operator.swarm.Swarm;
import dev.orch.operator.swarm.SwarmReconciler;
import dev.orch.operator.testing.ArgoHealth;
import dev.orch.operator.testing.CertManagerCrds;
import dev.orch.operator.testing.Helm;
import dev.orch.operator.testing.Kubelet;
import dev.orch.operator.testing.RunningOperator;
import dev.orch.operator.testing.WebhookTokens;
import io.fabric8.certmanager.api.model.v1.Certificate;
import io.fabric8.certmanager.api.model.v1.CertificateStatusBuilder;
import io.fabric8.kubernetes.api.model.Condition;
import io.fabric8.kubernetes.api.model.Container;
import io.fabric8.kubernetes.api.model.Secret;
import io.fabric8.kubernetes.api.model.SecretBuilder;
import io.fabric8.kubernetes.api.model.apps.Deployment;
import io.fabric8.kubernetes.api.model.authentication.TokenRequestBuilder;
import io.fabric8.kubernetes.api.model.autoscaling.v2.HorizontalPodAutoscaler;
import io.fabric8.kubernetes.api.model.batch.v1.CronJob;
import io.fabric8.kubernetes.api.model.coordination.v1.Lease;
import io.fabric8.kubernetes.api.model.events.v1.Event;
import io.fabric8.kubernetes.api.model.policy.v1.PodDisruptionBudget;
import io.fabric8.kubernetes.api.model.rbac.ClusterRole;
import io.fabric8.kubernetes.api.model.rbac.RoleBindingBuilder;
import io.fabric8.kubernetes.client.Config;
import io.fabric8.kubernetes.client.ConfigBuilder;
import io.fabric8.kubernetes.client.CustomResource;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientBuilder;
import io.fabric8.kubernetes.client.KubernetesClientException;
import io.fabric8.kubernetes.client.Watcher;
import io.fabric8.kubernetes.client.WatcherException;
import io.javaoperatorsdk.operator.api.config.LeaderElectionConfiguration;

/**
 * The chart installed into a real API server, then the operator running with exactly the chart's ServiceAccount
 * (a TokenRequest token, so every call goes through RBAC) while every example is applied the way the README
 * says: this is what proves the chart's RBAC is enough, and that the examples reach the documented status.
 * The CRDs come from the shared test cluster (crds/), so the release skips its copy; HelmChartTest checks the
 * copy is identical.
 */
@WithKubernetes(controllerManager = true)
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class HelmInstallTest {
  private static final Duration TIMEOUT = Duration.ofSeconds(60);
  private static final String VAULT = "orch-secrets";
  private static final List<String> EXAMPLE_SECRETS = List.of("DISCORD_BOT_TOKEN", "TELEGRAM_BOT_TOKEN", "REDIS_URL",
      "GITHUB_TOKEN", "SLACK_WEBHOOK_URL", "HELLO_TOKEN");

  private final KubernetesClient admin;
  private final ClusterConnection cluster;
  private final Helm helm = Helm.locate();
  private final String release = "orch-" + Integer.toString(ThreadLocalRandom.current().nextInt(36 * 36 * 36, 36 * 36 * 36 * 36), 36);
  private final String fullname = release + "-orch-operator";
  private KubernetesClient operatorIdentity;
  private boolean installedCertManager;

  HelmInstallTest(KubernetesClient admin, ClusterConnection cluster) {
    this.admin = admin;
    this.cluster = cluster;
  }

  @BeforeAll
  void installChart() {
    helm.ok(List.of("install", release, Helm.chart().toString(), "--namespace", admin.getNamespace(), "--skip-crds",
        "--kubeconfig", cluster.kubeconfig().toString(), "--set", "vaultSecretName=" + VAULT));
    String token = admin.serviceAccounts().withName(fullname)
        .tokenRequest(new TokenRequestBuilder().withNewSpec().withExpirationSeconds(3600L).endSpec().build())
        .getStatus().getToken();
    operatorIdentity = client(new ConfigBuilder(cluster.adminConfig()).withOauthToken(token)
        .withNamespace(admin.getNamespace()).build());
  }

  @AfterAll
  void uninstallChart() {
    if (operatorIdentity != null) {
      operatorIdentity.close();
    }
    if (installedCertManager) {
      CertManagerCrds.uninstall(admin);
    }
    // The release's ClusterRoles and bindings are cluster-wide: they must not outlive this class.
    helm.ok(List.of("uninstall", release, "--namespace", admin.getNamespace(), "--kubeconfig", cluster.kubeconfig().toString()));
  }

  @Test
  void theVaultSecretCanBeListedAndWatchedOnlyByNameAcrossNamespaces() throws Exception {
    admin.secrets().resource(new SecretBuilder().withNewMetadata().withName("unrelated").endMetadata()
        .addToStringData("PASSWORD", "hunter2").build()).create();
    var byName = operatorIdentity.secrets().inAnyNamespace().withField("metadata.name", VAULT);

    assertThat(byName.list().getItems()).allSatisfy(s -> assertThat(s.getMetadata().getName()).isEqualTo(VAULT));
    assertForbidden(() -> operatorIdentity.secrets().inAnyNamespace().list());
    assertForbidden(() -> operatorIdentity.secrets().inAnyNamespace().withField("metadata.name", "unrelated").list());
    assertForbidden(() -> operatorIdentity.secrets().withName("unrelated").get());
    assertForbidden(() -> operatorIdentity.secrets().inAnyNamespace().watch(new IgnoringWatcher<>()));

    // A webhook Schedule's token Secret is written by server-side apply and never read back.
    Secret token = new SecretBuilder().withNewMetadata().withName("probe-webhook-token").endMetadata()
        .addToStringData("token", "t0k3n").build();
    operatorIdentity.secrets().resource(token).fieldManager("orch-operator").serverSideApply();
    operatorIdentity.secrets().resource(token).fieldManager("orch-operator").serverSideApply();
    assertThat(admin.secrets().withName("probe-webhook-token").get().getData()).containsKey("token");
    assertForbidden(() -> operatorIdentity.secrets().withName("probe-webhook-token").get());

    List<String> seen = new CopyOnWriteArrayList<>();
    try (var watch = byName.watch(new IgnoringWatcher<>() {
      @Override
      public void eventReceived(Action action, Secret secret) {
        seen.add(secret.getMetadata().getNamespace() + "/" + secret.getMetadata().getName());
      }
    })) {
      admin.secrets().resource(new SecretBuilder().withNewMetadata().withName(VAULT).endMetadata()
          .addToStringData("PROBE", "1").build()).serverSideApply();
      await().atMost(TIMEOUT).until(() -> seen.contains(admin.getNamespace() + "/" + VAULT));
    } finally {
      admin.secrets().withName(VAULT).delete();
    }
  }

  @Test
  void everyExampleReachesItsDocumentedStatusUnderTheChartsRbac() throws Exception {
    admin.secrets().withName(VAULT).withTimeout(30, TimeUnit.SECONDS).delete();
    String leaseName = fullname;
    // exitOnStopLeading=false: stopping this in-JVM operator must not exit the test JVM.
    var leaderElection = new LeaderElectionConfiguration(leaseName, admin.getNamespace(),
        LeaderElectionConfiguration.LEASE_DURATION_DEFAULT_VALUE, LeaderElectionConfiguration.RENEW_DEADLINE_DEFAULT_VALUE,
        LeaderElectionConfiguration.RETRY_PERIOD_DEFAULT_VALUE, "helm-install-test", null, false);
    OperatorSettings settings = OperatorSettings.defaults();
    try (var operator = RunningOperator.startAll(operatorIdentity, leaderElection, List.of(
        meters -> new AgentServiceReconciler(settings, meters),
        meters -> new SwarmReconciler(settings, meters),
        meters -> new ScheduleReconciler(settings, meters)))) {
      Lease lease = await().atMost(TIMEOUT).until(() -> admin.leases().withName(leaseName).get(),
          l -> l != null && "helm-install-test".equals(l.getSpec().getHolderIdentity()));
      // Holding the Lease means renewing it every retry period; a renewal the chart's Role refuses loses it.
      var acquiredRenewTime = lease.getSpec().getRenewTime();
      await().atMost(TIMEOUT).until(() -> admin.leases().withName(leaseName).get().getSpec().getRenewTime(),
          renewed -> !renewed.equals(acquiredRenewTime));

      // The Telegram example asks for TLS, which takes cert-manager; the test plays its controller.
      if (!CertManagerCrds.served(admin)) {
        CertManagerCrds.install(admin);
        installedCertManager = true;
      }
      kubectl("apply", "--server-side", "-k", KubeBinaries.repositoryRoot().resolve("examples").toString());

      // Without the vault Secret: everything that needs a secret is Stalled and names it.
      for (var expected : Map.of("discord-bot", "DISCORD_BOT_TOKEN", "telegram-webhook", "TELEGRAM_BOT_TOKEN",
          "queue-worker", "REDIS_URL", "hello-http", "HELLO_TOKEN").entrySet()) {
        AgentService stalled = awaitStatus(AgentService.class, expected.getKey(), s -> Conditions.isTrue(s.getStatus().getConditions(), "Stalled"));
        assertThat(stalledCondition(stalled.getStatus().getConditions()))
            .satisfies(c -> assertThat(c.getReason()).isEqualTo("MissingSecrets"))
            .satisfies(c -> assertThat(c.getMessage()).contains(expected.getValue()));
        assertThat(admin.apps().deployments().withName(expected.getKey()).get()).isNull();
        assertThat(ArgoHealth.of(stalled).status()).isEqualTo("Degraded");
      }
      assertThat(stalledCondition(awaitStatus(Swarm.class, "issue-shards",
          s -> Conditions.isTrue(s.getStatus().getConditions(), "Stalled")).getStatus().getConditions()).getMessage()).contains("GITHUB_TOKEN");
      assertThat(stalledCondition(awaitStatus(Schedule.class, "daily-report",
          s -> Conditions.isTrue(s.getStatus().getConditions(), "Stalled")).getStatus().getConditions()).getMessage()).contains("SLACK_WEBHOOK_URL");
      // Needing no secret, these two go ahead at once.
      assertThat(ArgoHealth.of(awaitStatus(AgentService.class, "custom-entrypoint",
          s -> s.getStatus().getState() == AgentState.PROVISIONING)).status()).isEqualTo("Progressing");
      Schedule webhook = awaitStatus(Schedule.class, "deploy-hook", s -> Conditions.isTrue(s.getStatus().getConditions(), "Ready"));
      assertThat(webhook.getStatus().getNextFireAt()).isNull();
      assertThat(ArgoHealth.of(webhook).status()).isEqualTo("Healthy");

      // Adding the keys deploys everything with no other action.
      admin.secrets().resource(new SecretBuilder().withNewMetadata().withName(VAULT).endMetadata()
          .withStringData(EXAMPLE_SECRETS.stream().collect(java.util.stream.Collectors.toMap(k -> k, k -> "value-of-" + k))).build())
          .serverSideApply();

      for (String name : List.of("discord-bot", "telegram-webhook", "queue-worker", "custom-entrypoint", "hello-http")) {
        awaitStatus(AgentService.class, name, s -> s.getStatus().getState() == AgentState.PROVISIONING
            && Conditions.isTrue(s.getStatus().getConditions(), "Reconciling"));
        assertThat(admin.apps().deployments().withName(name).get()).as("Deployment of %s", name).isNotNull();
      }
      Map<String, String> worker = agentEnv("queue-worker");
      assertThat(worker).containsEntry("ORCH_COMMAND", "[\"python\",\"worker.py\"]").containsEntry("QUEUE_NAME", "tasks")
          .containsEntry("CONCURRENCY", "4");
      assertThat(agentEnv("custom-entrypoint")).containsEntry("ORCH_COMMAND", "[\"python\"]")
          .containsEntry("ORCH_ARGS", "[\"start.py\",\"--verbose\",\"--port=3000\"]").containsEntry("PORT", "3000");
      var telegramIngress = admin.network().v1().ingresses().withName("telegram-webhook").get().getSpec();
      assertThat(telegramIngress.getRules().get(0).getHost()).isEqualTo("telegram.example.com");
      assertThat(telegramIngress.getTls()).as("Telegram calls webhooks over HTTPS only").singleElement()
          .satisfies(tls -> assertThat(tls.getHosts()).containsExactly("telegram.example.com"));
      Certificate certificate = await().atMost(TIMEOUT)
          .until(() -> admin.resources(Certificate.class).withName("telegram-webhook").get(), c -> c != null);
      assertThat(certificate.getSpec().getDnsNames()).containsExactly("telegram.example.com");
      assertThat(certificate.getSpec().getSecretName()).isEqualTo(telegramIngress.getTls().get(0).getSecretName());
      assertThat(admin.resources(AgentService.class).withName("telegram-webhook").get().getStatus().getUrl())
          .as("no https URL before the certificate is issued").isNull();
      certificate.setStatus(new CertificateStatusBuilder().withNotAfter(Instant.now().plus(Duration.ofDays(90)).toString())
          .addNewCondition().withType("Ready").withStatus("True").withReason("Ready").withMessage("issued").endCondition().build());
      admin.resource(certificate).updateStatus();
      awaitStatus(AgentService.class, "telegram-webhook",
          s -> "https://telegram.example.com/webhook".equals(s.getStatus().getUrl()) && s.getStatus().getTls().getReady());
      assertThat(admin.resources(HorizontalPodAutoscaler.class).withName("telegram-webhook").get().getSpec().getMaxReplicas()).isEqualTo(4);
      assertThat(admin.resources(PodDisruptionBudget.class).withName("telegram-webhook").get()).isNotNull();
      assertThat(admin.services().withName("telegram-webhook").get()).isNotNull();
      assertThat(strategy("telegram-webhook")).as("an HTTP service of 2-4 instances rolls").isEqualTo("RollingUpdate");
      for (String outbound : List.of("discord-bot", "queue-worker")) {
        assertThat(admin.services().withName(outbound).get()).as("Service of %s, which has no HTTP port", outbound).isNull();
        assertThat(strategy(outbound)).as("%s never runs twice", outbound).isEqualTo("Recreate");
        assertThat(admin.apps().deployments().withName(outbound).get().getSpec().getTemplate().getMetadata().getAnnotations())
            .as("the digest of the bundle the chart's RBAC lets the operator watch").containsKey(MetadataKeys.BUNDLE_SHA256);
      }

      List<Deployment> members = await().atMost(TIMEOUT).until(() -> admin.apps().deployments()
          .withLabel(MetadataKeys.REPLICA_INDEX).list().getItems(), d -> d.size() == 10);
      assertThat(members).extracting(d -> d.getMetadata().getLabels().get(MetadataKeys.REPLICA_INDEX))
          .containsExactlyInAnyOrder("0", "1", "2", "3", "4", "5", "6", "7", "8", "9");
      awaitStatus(Swarm.class, "issue-shards", s -> s.getStatus().getMembers() != null && s.getStatus().getMembers().size() == 10);
      assertThat(members).extracting(d -> d.getSpec().getStrategy().getType()).as("each replica index is a singleton")
          .containsOnly("Recreate");

      Schedule cron = awaitStatus(Schedule.class, "daily-report", s -> Conditions.isTrue(s.getStatus().getConditions(), "Ready"));
      assertThat(cron.getStatus().getNextFireAt()).isNotNull();
      CronJob cronJob = admin.batch().v1().cronjobs().withName("daily-report").get();
      assertThat(cronJob.getSpec().getSchedule()).isEqualTo("0 9 * * 1-5");
      assertThat(cronJob.getSpec().getTimeZone()).isEqualTo("Europe/Berlin");
      assertThat(admin.batch().v1().cronjobs().withName("deploy-hook").get()).as("a webhook schedule has no timetable").isNull();

      // A manual run is a Job the operator creates itself.
      admin.resources(Schedule.class).withName("daily-report").edit(s -> {
        s.getMetadata().getAnnotations().put(MetadataKeys.TRIGGER, Instant.now().toString());
        return s;
      });
      await().atMost(TIMEOUT).until(() -> admin.batch().v1().jobs().withLabel(Labels.INSTANCE, "daily-report").list().getItems(),
          jobs -> !jobs.isEmpty());

      // The webhook endpoint acts with the operator's identity too: it reads the Schedule, lists its Jobs, and
      // creates the run's Job and its input Secret, and counts a skipped call on the active run's Job.
      String token = WebhookTokens.of(admin, "deploy-hook");
      var webhooks = new WebhookTrigger(operatorIdentity, settings, Clock.systemUTC());
      String namespace = admin.getNamespace();
      assertThat(webhooks.fire(namespace, "deploy-hook", token, "{\"ref\": \"main\"}".getBytes(UTF_8)).kind())
          .isEqualTo(WebhookTrigger.Kind.STARTED);
      assertThat(webhooks.fire(namespace, "deploy-hook", token, new byte[0]).kind()).isEqualTo(WebhookTrigger.Kind.SKIPPED);
      awaitStatus(Schedule.class, "deploy-hook", s -> s.getStatus().getRuns().stream()
          .anyMatch(r -> r.status() == ScheduleStatus.RunStatus.SKIPPED));

      // Once its pod is ready the bot is Running.
      await().atMost(TIMEOUT).until(() -> Kubelet.markReady(admin, Map.of(Labels.INSTANCE, "discord-bot")) > 0);
      AgentService running = awaitStatus(AgentService.class, "discord-bot", s -> s.getStatus().getState() == AgentState.RUNNING);
      assertThat(Conditions.isTrue(running.getStatus().getConditions(), "Ready")).isTrue();
      assertThat(ArgoHealth.of(running)).isEqualTo(new ArgoHealth.Health("Healthy", "Running: 1/1 instances ready"));
      assertThat(admin.resources(Event.class).list().getItems()).extracting(Event::getReportingController)
          .as("events written with the operator's identity").contains("orch.dev/orch-operator");
    }
  }

  @Test
  void argoCdHealthChecksInstallIntoArgocdCmBesideItsOtherSettings() throws Exception {
    admin.configMaps().resource(new io.fabric8.kubernetes.api.model.ConfigMapBuilder().withNewMetadata().withName("argocd-cm")
        .endMetadata().addToData("url", "https://argocd.example.com").build()).create();
    Path script = KubeBinaries.repositoryRoot().resolve("argocd/install-health-checks.sh");
    ProcessBuilder builder = new ProcessBuilder(script.toString(), admin.getNamespace()).redirectErrorStream(true);
    builder.environment().put("KUBECONFIG", cluster.kubeconfig().toString());
    builder.environment().put("PATH", KubeBinaries.locate().path("kubectl").getParent() + ":" + System.getenv("PATH"));
    Process process = builder.start();
    String output = new String(process.getInputStream().readAllBytes(), UTF_8);
    assertThat(process.waitFor()).as(output).isZero();

    Map<String, String> data = admin.configMaps().withName("argocd-cm").get().getData();
    String lua = Files.readString(ArgoHealth.script());
    assertThat(data).containsEntry("url", "https://argocd.example.com")
        .containsEntry("resource.customizations.health.orch.dev_AgentService", lua)
        .containsEntry("resource.customizations.health.orch.dev_Swarm", lua)
        .containsEntry("resource.customizations.health.orch.dev_Schedule", lua);
  }

  @Test
  void namespaceViewersReadAgentsEditorsAndAdminsAlsoWriteThem() {
    // kube-controller-manager's clusterrole-aggregation controller copies our rules into view, edit and admin.
    for (String builtIn : List.of("view", "edit", "admin")) {
      await().atMost(TIMEOUT).until(() -> admin.rbac().clusterRoles().withName(builtIn).get(), role -> grants(role,
          builtIn.equals("view") ? "list" : "create"));
    }
    bind("viewer", "view");
    bind("deployer", "edit");
    bind("owner", "admin");
    try (KubernetesClient viewer = as("viewer"); KubernetesClient deployer = as("deployer"); KubernetesClient owner = as("owner");
        KubernetesClient stranger = as("stranger")) {
      AgentService bot = deployer.resources(AgentService.class).resource(example("rbac-bot")).create();
      assertThat(viewer.resources(AgentService.class).list().getItems()).extracting(s -> s.getMetadata().getName()).contains("rbac-bot");
      assertThat(viewer.resources(Swarm.class).list().getItems()).isNotNull();
      assertThat(viewer.resources(Schedule.class).list().getItems()).isNotNull();
      assertForbidden(() -> viewer.resources(AgentService.class).resource(example("viewer-bot")).create());
      assertForbidden(() -> viewer.resources(AgentService.class).withName("rbac-bot").delete());
      assertForbidden(() -> stranger.resources(AgentService.class).list());
      owner.resources(AgentService.class).resource(example("owner-bot")).create();
      assertThat(owner.resources(AgentService.class).withName(bot.getMetadata().getName()).delete()).isNotEmpty();
      assertThat(deployer.resources(AgentService.class).withName("owner-bot").delete()).isNotEmpty();
    }
  }

  private static boolean grants(ClusterRole role, String verb) {
    return role != null && role.getRules().stream().anyMatch(r -> r.getApiGroups().contains("orch.dev")
        && r.getResources().contains("agentservices") && r.getVerbs().contains(verb));
  }

  private void bind(String user, String clusterRole) {
    admin.rbac().roleBindings().resource(new RoleBindingBuilder().withNewMetadata().withName(user + "-" + clusterRole).endMetadata()
        .withNewRoleRef("rbac.authorization.k8s.io", "ClusterRole", clusterRole)
        .addNewSubject().withApiGroup("rbac.authorization.k8s.io").withKind("User").withName(user).endSubject().build()).create();
  }

  private KubernetesClient as(String user) {
    return client(new ConfigBuilder(admin.getConfiguration()).withImpersonateUsername(user)
        .withImpersonateGroups("system:authenticated").build());
  }

  private AgentService example(String name) {
    AgentService service = admin.getKubernetesSerialization().unmarshal("""
        apiVersion: orch.dev/v1alpha1
        kind: AgentService
        metadata:
          name: %s
        spec:
          agent: acme/bot@1.0.0
          bundle:
            configMap:
              name: bot-bundle
        """.formatted(name), AgentService.class);
    service.getMetadata().setNamespace(admin.getNamespace());
    return service;
  }

  private String strategy(String deployment) {
    return admin.apps().deployments().withName(deployment).get().getSpec().getStrategy().getType();
  }

  private Map<String, String> agentEnv(String deployment) {
    Container agent = admin.apps().deployments().withName(deployment).get().getSpec().getTemplate().getSpec().getContainers().get(0);
    Map<String, String> env = new java.util.HashMap<>();
    agent.getEnv().stream().filter(e -> e.getValue() != null).forEach(e -> env.put(e.getName(), e.getValue()));
    return env;
  }

  private <T extends CustomResource<?, ?>> T awaitStatus(Class<T> type, String name, Predicate<T> condition) {
    return await().atMost(TIMEOUT).until(() -> admin.resources(type).withName(name).get(),
        r -> r != null && r.getStatus() != null && condition.test(r));
  }

  private static Condition stalledCondition(List<Condition> conditions) {
    return conditions.stream().filter(c -> c.getType().equals("Stalled")).findFirst().orElseThrow();
  }

  private void kubectl(String... args) throws IOException, InterruptedException {
    List<String> command = new ArrayList<>(List.of(KubeBinaries.locate().path("kubectl").toString(),
        "--kubeconfig", cluster.kubeconfig().toString(), "--namespace", admin.getNamespace()));
    command.addAll(List.of(args));
    Process process = new ProcessBuilder(command).redirectErrorStream(true).start();
    String output = new String(process.getInputStream().readAllBytes(), UTF_8);
    assertThat(process.waitFor()).as("kubectl %s:%n%s", String.join(" ", args), output).isZero();
  }

  private static KubernetesClient client(Config config) {
    return new KubernetesClientBuilder().withConfig(config).build();
  }

  private static void assertForbidden(Runnable call) {
    assertThatThrownBy(call::run).isInstanceOfSatisfying(KubernetesClientException.class,
        e -> assertThat(e.getCode()).as(e.getMessage()).isEqualTo(403));
  }

  private static class IgnoringWatcher<T> implements Watcher<T> {
    @Override
    public void eventReceived(Action action, T resource) {
    }

    @Override
    public void onClose(WatcherException cause) {
    }
  }
}
