package dev.orch.kubectl;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.tuple;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.Map;
import java.util.concurrent.CompletableFuture;

import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.TestMethodOrder;
import org.junit.jupiter.api.io.TempDir;

import dev.orch.localcluster.ClusterConnection;
import dev.orch.localcluster.WithKubernetes;
import io.fabric8.kubernetes.api.model.ConfigMapBuilder;
import io.fabric8.kubernetes.api.model.EventBuilder;
import io.fabric8.kubernetes.api.model.GenericKubernetesResource;
import io.fabric8.kubernetes.api.model.ManagedFieldsEntry;
import io.fabric8.kubernetes.api.model.ObjectMetaBuilder;
import io.fabric8.kubernetes.api.model.Secret;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.utils.Serialization;

/**
 * The AgentService verbs against a real API server: what they write (field manager, owner, no secret value in the
 * AgentService), their exit codes and what they print. No operator runs: where a verb reads status, the test
 * writes it as the operator would.
 */
@WithKubernetes
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class ServiceVerbsTest {
  private static final String SECRET_VALUE = "s3cr3t-value-never-shown";

  private final KubernetesClient client;
  private final Cli cli;

  @TempDir
  static Path agentDirectory;

  ServiceVerbsTest(KubernetesClient client, ClusterConnection cluster) {
    this.client = client;
    this.cli = new Cli(cluster.kubeconfig(), client.getNamespace());
  }

  @BeforeAll
  static void agentCode() throws IOException {
    Files.writeString(agentDirectory.resolve("main.py"), "print('hello')\n");
    Files.writeString(agentDirectory.resolve("orchagent.json"),
        "{\"name\": \"echo-bot\", \"version\": \"0.3.0\", \"required_secrets\": [\"ECHO_TOKEN\"]}");
    Files.createDirectories(agentDirectory.resolve("lib"));
    Files.writeString(agentDirectory.resolve("lib/util.py"), "X = 1\n");
  }

  @Test
  @Order(1)
  void deployNamesTheServiceAndAgentFromOrchagentJsonAndArchivesSubfolders() {
    Cli.Result deployed = cli.run("deploy", agentDirectory.toString(), "--env", "LOG_LEVEL=info", "--secret", "EXTRA_KEY");

    assertThat(deployed.exitCode()).as(deployed.toString()).isZero();
    assertThat(deployed.out()).contains("agentservice/echo-bot deployed with bundle configmap/echo-bot-bundle"
        + " (3 files in bundle.tar.gz)", "kubectl orch logs echo-bot");
    GenericKubernetesResource service = Kind.AGENT_SERVICE.in(client).withName("echo-bot").get();
    assertThat(Fields.string(service, "spec", "agent")).isEqualTo(client.getNamespace() + "/echo-bot@0.3.0");
    assertThat(Fields.strings(service, "spec", "requiredSecrets")).as("orchagent.json is inside the archive,"
        + " where the operator does not read it").containsExactly("ECHO_TOKEN");
    assertThat(Fields.strings(service, "spec", "secrets")).containsExactly("EXTRA_KEY");
    var bundle = client.configMaps().withName("echo-bot-bundle").get();
    assertThat(bundle.getBinaryData()).containsOnlyKeys("bundle.tar.gz");
    assertThat(bundle.getMetadata().getOwnerReferences()).singleElement()
        .satisfies(owner -> assertThat(owner.getUid()).isEqualTo(service.getMetadata().getUid()));
  }

  @Test
  @Order(2)
  void aSecondDeployOfTheSameCodeChangesNeitherObject() {
    var bundleBefore = client.configMaps().withName("echo-bot-bundle").get().getMetadata().getResourceVersion();
    var serviceBefore = Kind.AGENT_SERVICE.in(client).withName("echo-bot").get().getMetadata().getGeneration();

    Cli.Result again = cli.run("deploy", agentDirectory.toString(), "--env", "LOG_LEVEL=info", "--secret", "EXTRA_KEY");

    assertThat(again.exitCode()).as(again.toString()).isZero();
    assertThat(client.configMaps().withName("echo-bot-bundle").get().getMetadata().getResourceVersion())
        .isEqualTo(bundleBefore);
    assertThat(Kind.AGENT_SERVICE.in(client).withName("echo-bot").get().getMetadata().getGeneration())
        .isEqualTo(serviceBefore);
  }

  @Test
  @Order(3)
  void listShowsAlignedColumnsWithTheCrashLoopBadgeAndFiltersByState() {
    OperatorStatus.write(client, Kind.AGENT_SERVICE, "echo-bot", Map.of("state", "crash-loop", "health", "unhealthy",
        "restartCount", 7, "consecutiveRestartFailures", 5, "deployedAt", Instant.now().minusSeconds(600).toString(),
        "lastError", "exit code 1: Traceback...\nKeyError: 'ECHO_TOKEN'", "readyInstances", 0,
        "crashLoop", Map.of("autoPaused", true, "lastAlert", Map.of("event", "service.crash_loop", "at",
            "2026-11-30T05:00:00Z", "delivered", false, "error", "connect timed out")),
        "conditions", OperatorStatus.conditions(false, "CrashLoop", "paused after 5 failed restarts in a row", true)));

    Cli.Result list = cli.run("list");
    Cli.Result running = cli.run("list", "--status", "running");
    Cli.Result badStatus = cli.run("list", "--status", "sleeping");

    assertThat(list.exitCode()).isZero();
    String agent = client.getNamespace() + "/echo-bot@0.3.0";
    assertThat(list.out().lines().toList()).containsExactly(
        "NAME       " + String.format("%-" + (agent.length() + 3) + "s", "AGENT")
            + "STATE        HEALTH      RESTARTS        DEPLOYED",
        "echo-bot   " + agent + "   CRASH-LOOP   unhealthy   7 (5 failing)   10m");
    assertThat(running.exitCode()).isZero();
    assertThat(running.out()).isEmpty();
    assertThat(running.err()).contains("No AgentServices in state running found in namespace " + client.getNamespace());
    assertThat(badStatus.exitCode()).isEqualTo(1);
    assertThat(badStatus.err()).contains("error: --status sleeping is not a state; use one of provisioning, running,"
        + " paused, crash-loop, failed");
  }

  @Test
  @Order(4)
  void infoShowsStateRestartsLastErrorLastAlertConditionsAndEvents() {
    client.v1().events().resource(new EventBuilder().withNewMetadata().withGenerateName("echo-bot-").endMetadata()
        .withNewInvolvedObject().withApiVersion(Kind.API_VERSION).withKind("AgentService").withName("echo-bot")
        .withNamespace(client.getNamespace()).endInvolvedObject().withType("Warning").withReason("CrashLoop")
        .withMessage("auto-paused after 5 failed restarts").withLastTimestamp(Instant.now().toString())
        .withNewSource().withComponent("orch-operator").endSource().build()).create();

    Cli.Result info = cli.run("info", "echo-bot");

    assertThat(info.exitCode()).as(info.toString()).isZero();
    assertThat(info.out()).contains(
        "State:        CRASH-LOOP\n",
        "Health:       unhealthy\n",
        "Restarts:     7 (5 failing); auto-pause at 5 in a row\n",
        "Last error:   exit code 1: Traceback...\n              KeyError: 'ECHO_TOKEN'\n",
        "Last alert:   service.crash_loop at 2026-11-30T05:00:00Z, not delivered: connect timed out\n",
        "Secrets:      ECHO_TOKEN, EXTRA_KEY\n",
        "Stalled       True     CrashLoop   paused after 5 failed restarts in a row",
        "Warning   CrashLoop   auto-paused after 5 failed restarts");
    assertThat(cli.run("info", "nope").err()).contains("error: agentservice \"nope\" not found in namespace "
        + client.getNamespace() + "; list them with kubectl orch list");
  }

  @Test
  @Order(5)
  void resumeOfACrashLoopedServiceUnpausesAndRestartsIt() {
    Cli.Result paused = cli.run("pause", "echo-bot");
    assertThat(paused.exitCode()).isZero();
    assertThat(Fields.isTrue(Kind.AGENT_SERVICE.in(client).withName("echo-bot").get(), "spec", "paused")).isTrue();

    Cli.Result resumed = cli.run("resume", "echo-bot");

    assertThat(resumed.exitCode()).as(resumed.toString()).isZero();
    assertThat(resumed.out()).contains("agentservice/echo-bot resumed and restarted (it was paused after a crash loop");
    GenericKubernetesResource service = Kind.AGENT_SERVICE.in(client).withName("echo-bot").get();
    assertThat(Fields.get(service, "spec", "paused")).isEqualTo(false);
    assertThat(service.getMetadata().getAnnotations()).containsKey("orch.dev/restartedAt");
  }

  @Test
  @Order(6)
  void restartSetsTheAnnotationToNow() {
    Cli.Result restarted = cli.run("restart", "echo-bot");

    assertThat(restarted.exitCode()).isZero();
    assertThat(restarted.out()).startsWith("agentservice/echo-bot restarting (orch.dev/restartedAt set)");
    GenericKubernetesResource service = Kind.AGENT_SERVICE.in(client).withName("echo-bot").get();
    assertThat(Instant.parse(service.getMetadata().getAnnotations().get("orch.dev/restartedAt")))
        .isBetween(Instant.now().minusSeconds(60), Instant.now().plusSeconds(1));
    assertThat(service.getMetadata().getManagedFields()).as("all but the status this test wrote as the operator")
        .filteredOn(entry -> !"status".equals(entry.getSubresource()))
        .extracting(ManagedFieldsEntry::getManager, ManagedFieldsEntry::getOperation)
        .containsExactlyInAnyOrder(tuple("kubectl-orch", "Apply"), tuple("kubectl-orch", "Update"));
  }

  @Test
  @Order(7)
  void envSetUnsetAndListKeepTheOtherVariablesInOrder() {
    assertThat(cli.run("env", "set", "echo-bot", "REGION=eu", "LOG_LEVEL=warn").exitCode()).isZero();
    assertThat(cli.run("env", "unset", "echo-bot", "REGION").exitCode()).isZero();
    Cli.Result list = cli.run("env", "list", "echo-bot");
    Cli.Result unsetMissing = cli.run("env", "unset", "echo-bot", "NOPE");
    Cli.Result bad = cli.run("env", "set", "echo-bot", "1BAD=x");

    assertThat(list.out()).isEqualTo("NAME        VALUE\nLOG_LEVEL   warn\n");
    assertThat(unsetMissing.exitCode()).isEqualTo(1);
    assertThat(unsetMissing.err()).contains("has no variable NOPE; see them with kubectl orch env list echo-bot");
    assertThat(bad.exitCode()).isEqualTo(1);
    assertThat(bad.err()).contains("1BAD=x must be KEY=VALUE with KEY a variable name");
  }

  @Test
  @Order(8)
  void secretsSetReadsTheValueFromStdinAndNothingButTheKeyNameReachesTheService() {
    Cli.Result added = cli.run("secret", "add", "echo-bot", "ECHO_TOKEN", "OTHER_KEY");
    assertThat(added.exitCode()).isZero();
    assertThat(added.err()).contains("warning: OTHER_KEY is not in the vault Secret orch-secrets yet",
        "add it with kubectl orch secrets set OTHER_KEY");

    Cli.Result set = cli.runWithInput(SECRET_VALUE + "\n", "secrets", "set", "ECHO_TOKEN");
    Cli.Result setAnother = cli.runWithInput("v2", "secrets", "set", "OTHER_KEY");
    Cli.Result keys = cli.run("secrets", "list");

    assertThat(set.exitCode()).as(set.toString()).isZero();
    assertThat(set.out()).contains("secret/orch-secrets: ECHO_TOKEN set (Secret created)");
    assertThat(setAnother.out()).contains("secret/orch-secrets: OTHER_KEY set;");
    Secret vault = client.secrets().withName("orch-secrets").get();
    assertThat(new String(java.util.Base64.getDecoder().decode(vault.getData().get("ECHO_TOKEN")), StandardCharsets.UTF_8))
        .isEqualTo(SECRET_VALUE);
    assertThat(vault.getData()).containsOnlyKeys("ECHO_TOKEN", "OTHER_KEY");
    assertThat(keys.out()).isEqualTo("""
        KEY                   USED BY
        ECHO_TOKEN            echo-bot
        OTHER_KEY             echo-bot
        EXTRA_KEY (missing)   echo-bot
        add a missing key with kubectl orch secrets set EXTRA_KEY
        """);
    String everything = Serialization.asJson(Kind.AGENT_SERVICE.in(client).withName("echo-bot").get())
        + set.out() + set.err() + keys.out() + cli.run("info", "echo-bot").out();
    assertThat(everything).doesNotContain(SECRET_VALUE);
    assertThat(Fields.strings(Kind.AGENT_SERVICE.in(client).withName("echo-bot").get(), "spec", "secrets"))
        .containsExactly("EXTRA_KEY", "ECHO_TOKEN", "OTHER_KEY");

    Cli.Result removed = cli.run("secret", "remove", "echo-bot", "ECHO_TOKEN");
    assertThat(removed.err()).contains("warning: ECHO_TOKEN is also in spec.requiredSecrets");
    assertThat(Fields.strings(Kind.AGENT_SERVICE.in(client).withName("echo-bot").get(), "spec", "secrets"))
        .containsExactly("EXTRA_KEY", "OTHER_KEY");
    assertThat(cli.runWithInput("", "secrets", "set", "EMPTY").err()).contains("error: the value is empty");
  }

  @Test
  @Order(9)
  void waitEndsWithTheReadyMessageOrExitsOneWithTheStalledReason() throws Exception {
    CompletableFuture<Cli.Result> waiting = CompletableFuture.supplyAsync(() -> cli.run("deploy",
        agentDirectory.toString(), "--env", "LOG_LEVEL=warn", "--secret", "EXTRA_KEY", "--secret", "OTHER_KEY",
        "--wait", "--timeout", "30s"));
    awaitGenerationAbove(3);
    OperatorStatus.write(client, Kind.AGENT_SERVICE, "echo-bot", Map.of("state", "failed",
        "conditions", OperatorStatus.conditions(false, "MissingSecrets", "the vault Secret orch-secrets lacks EXTRA_KEY;"
            + " add it: kubectl orch secrets set EXTRA_KEY", true)));
    Cli.Result stalled = waiting.get();

    assertThat(stalled.exitCode()).as(stalled.toString()).isEqualTo(1);
    assertThat(stalled.err()).contains("error: agentservice/echo-bot is Stalled: MissingSecrets: the vault Secret"
        + " orch-secrets lacks EXTRA_KEY; add it: kubectl orch secrets set EXTRA_KEY");

    OperatorStatus.write(client, Kind.AGENT_SERVICE, "echo-bot", Map.of("state", "running",
        "conditions", OperatorStatus.conditions(true, "Available", "1 of 1 instances ready", false)));
    Cli.Result ready = cli.run("deploy", agentDirectory.toString(), "--env", "LOG_LEVEL=warn", "--secret", "EXTRA_KEY",
        "--secret", "OTHER_KEY", "--wait", "--timeout", "10s");
    assertThat(ready.exitCode()).as(ready.toString()).isZero();
    assertThat(ready.out()).contains("agentservice/echo-bot is Ready: 1 of 1 instances ready");
  }

  @Test
  @Order(10)
  void errorsSayWhatToDoWithExitCodeOneAndBadUsageExitsTwo() {
    Cli.Result noPods = cli.run("logs", "echo-bot");
    Cli.Result noCanary = cli.run("logs", "echo-bot", "--canary", "--previous");
    Cli.Result swarmCanary = cli.run("logs", "swarm/shards", "--canary");
    Cli.Result usage = cli.run("deploy", "--min-instances", "many");
    Cli.Result both = cli.run("deploy", agentDirectory.toString(), "--git", "https://example.com/x.git");

    assertThat(noPods.exitCode()).isEqualTo(1);
    assertThat(noPods.err()).isEqualTo("error: agentservice/echo-bot has no pods yet; see why with kubectl orch info"
        + " echo-bot\n");
    assertThat(noCanary.exitCode()).isEqualTo(1);
    assertThat(noCanary.err()).isEqualTo("error: agentservice/echo-bot has no canary pods: a canary runs during a"
        + " rollout, and an aborted one's pods stay until the next change; see kubectl orch info echo-bot\n");
    assertThat(swarmCanary.exitCode()).isEqualTo(1);
    assertThat(swarmCanary.err()).isEqualTo("error: --canary is for an AgentService's canary pods; a swarm has none\n");
    assertThat(usage.exitCode()).isEqualTo(2);
    assertThat(usage.err()).contains("Invalid value for option '--min-instances': 'many' is not an int");
    assertThat(both.exitCode()).isEqualTo(1);
    assertThat(both.err()).contains("give either a directory or --git, not both");
  }

  @Test
  @Order(11)
  void serverDryRunWritesNothingAndWaitWithoutAnOperatorTimesOutSayingSo() {
    Cli.Result checked = cli.run("deploy", agentDirectory.toString(), "--name", "dry-bot", "--dry-run=server");
    Cli.Result waited = cli.run("deploy", agentDirectory.toString(), "--name", "new-bot", "--wait", "--timeout", "1s");
    Cli.Result json = cli.run("list", "-o", "json");
    Cli.Result names = cli.run("list", "-o", "name");

    assertThat(checked.exitCode()).as(checked.toString()).isZero();
    assertThat(checked.out()).startsWith("agentservice/dry-bot checked by the API server (server dry run)");
    assertThat(Kind.AGENT_SERVICE.in(client).withName("dry-bot").get()).isNull();
    assertThat(client.configMaps().withName("dry-bot-bundle").get()).isNull();
    assertThat(waited.exitCode()).isEqualTo(1);
    assertThat(waited.err()).contains("error: timed out after 1s waiting for agentservice/new-bot to be Ready (the"
        + " operator has not written its status: is orch-operator running?)");
    assertThat(Serialization.unmarshal(json.out(), Map.class)).containsEntry("kind", "List")
        .extractingByKey("items").asList().hasSize(2);
    assertThat(names.out()).isEqualTo("agentservice.orch.dev/echo-bot\nagentservice.orch.dev/new-bot\n");
  }

  @Test
  @Order(12)
  void deleteTakesTheBundleItOwnsAlongButLeavesOneItDoesNotOwn() {
    client.configMaps().resource(new ConfigMapBuilder().withNewMetadata().withName("kept-bundle").endMetadata()
        .addToData("main.py", "pass\n").build()).create();
    GenericKubernetesResource kept = new GenericKubernetesResource();
    kept.setApiVersion(Kind.API_VERSION);
    kept.setKind("AgentService");
    kept.setMetadata(new ObjectMetaBuilder().withName("kept").build());
    kept.setAdditionalProperty("spec", Map.of("agent", "acme/kept", "bundle", Map.of("configMap", Map.of("name",
        "kept-bundle"))));
    Kind.AGENT_SERVICE.in(client).resource(kept).create();

    Cli.Result deleted = cli.run("delete", "new-bot");
    Cli.Result deletedKept = cli.run("delete", "kept");
    Cli.Result again = cli.run("delete", "new-bot");

    assertThat(deleted.out()).isEqualTo("agentservice/new-bot deleted with configmap/new-bot-bundle\n");
    assertThat(Kind.AGENT_SERVICE.in(client).withName("new-bot").get()).isNull();
    assertThat(client.configMaps().withName("new-bot-bundle").get()).isNull();
    assertThat(deletedKept.out()).isEqualTo("agentservice/kept deleted\n");
    assertThat(client.configMaps().withName("kept-bundle").get()).as("not deploy's to delete").isNotNull();
    assertThat(again.exitCode()).isEqualTo(1);
    assertThat(again.err()).contains("agentservice \"new-bot\" not found");
  }

  private void awaitGenerationAbove(long generation) throws InterruptedException {
    for (int i = 0; i < 100; i++) {
      Long current = Kind.AGENT_SERVICE.in(client).withName("echo-bot").get().getMetadata().getGeneration();
      if (current > generation) {
        return;
      }
      Thread.sleep(100);
    }
    throw new AssertionError("the deploy never changed the AgentService");
  }
}
