package dev.orch.operator.schedule;

import static java.nio.charset.StandardCharsets.UTF_8;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.Base64;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.function.Consumer;
import java.util.function.Predicate;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.TestMethodOrder;

import dev.orch.localcluster.WithKubernetes;
import dev.orch.operator.agent.Bundle;
import dev.orch.operator.core.MetadataKeys;
import dev.orch.operator.core.config.OperatorSettings;
import dev.orch.operator.core.reconcile.Labels;
import dev.orch.operator.core.status.Conditions;
import dev.orch.operator.schedule.ScheduleStatus.RunStatus;
import dev.orch.operator.testing.Bundles;
import dev.orch.operator.testing.CustomResources;
import dev.orch.operator.testing.Kubelet;
import dev.orch.operator.testing.RunningOperator;
import dev.orch.operator.testing.Vault;
import dev.orch.operator.testing.WebhookTokens;
import io.fabric8.kubernetes.api.model.Condition;
import io.fabric8.kubernetes.api.model.EnvVar;
import io.fabric8.kubernetes.api.model.ObjectMetaBuilder;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.Secret;
import io.fabric8.kubernetes.api.model.batch.v1.CronJob;
import io.fabric8.kubernetes.api.model.batch.v1.Job;
import io.fabric8.kubernetes.api.model.events.v1.Event;
import io.fabric8.kubernetes.client.KubernetesClient;

/** Schedules against a real API server with the Job and CronJob controllers running; the test plays the kubelet. */
@WithKubernetes(controllerManager = true)
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class ScheduleReconcilerTest {
  private static final Duration TIMEOUT = Duration.ofSeconds(40);
  private static final OperatorSettings SETTINGS = OperatorSettings.defaults()
      .withWebhooks(new OperatorSettings.Webhooks(Optional.of("https://hooks.example.com"), 1000, 1024));
  private final KubernetesClient client;
  private RunningOperator<Schedule> operator;
  private WebhookTrigger webhooks;

  ScheduleReconcilerTest(KubernetesClient client) {
    this.client = client;
  }

  @BeforeAll
  void start() {
    Vault.put(client, Map.of("REPORT_TOKEN", "x"));
    operator = RunningOperator.start(client, meters -> new ScheduleReconciler(SETTINGS, meters));
    webhooks = new WebhookTrigger(client, SETTINGS, Clock.systemUTC());
    // Cron fires on minute boundaries: started first, checked last, so the wait overlaps the other tests.
    client.resource(schedule("every-minute", s -> s.setSchedule("* * * * *"))).create();
  }

  @AfterAll
  void stop() {
    operator.close();
  }

  @Test
  void cronScheduleBecomesACronJobWithTheDocumentedPolicies() {
    client.resource(schedule("nightly", s -> {
      s.setSchedule("30 2 * * *");
      s.setTimeZone("Europe/Berlin");
      s.setTimeoutSeconds(900);
    })).create();
    CronJob cronJob = await().atMost(TIMEOUT).until(() -> client.batch().v1().cronjobs().withName("nightly").get(), c -> c != null);
    assertThat(cronJob.getSpec().getSchedule()).isEqualTo("30 2 * * *");
    assertThat(cronJob.getSpec().getTimeZone()).isEqualTo("Europe/Berlin");
    assertThat(cronJob.getSpec().getConcurrencyPolicy()).isEqualTo("Forbid");
    assertThat(cronJob.getSpec().getSuspend()).isFalse();
    assertThat(cronJob.getSpec().getJobTemplate().getSpec().getActiveDeadlineSeconds()).isEqualTo(900L);
    assertThat(cronJob.getSpec().getJobTemplate().getSpec().getTemplate().getSpec().getRestartPolicy()).isEqualTo("Never");
    Schedule scheduled = awaitStatus("nightly", s -> s.getNextFireAt() != null);
    Instant next = Instant.parse(scheduled.getStatus().getNextFireAt());
    assertThat(next.atZone(java.time.ZoneId.of("Europe/Berlin")).getHour()).isEqualTo(2);
    assertThat(next.atZone(java.time.ZoneId.of("Europe/Berlin")).getMinute()).isEqualTo(30);

    edit("nightly", s -> s.getSpec().setEnabled(false));
    await().atMost(TIMEOUT).until(() -> client.batch().v1().cronjobs().withName("nightly").get().getSpec().getSuspend());
  }

  @Test
  void aScheduleWithoutTimeZoneGetsAUtcCronJobAsItsNextFireAtAssumes() {
    client.resource(schedule("hourly", s -> s.setSchedule("15 * * * *"))).create();
    CronJob cronJob = await().atMost(TIMEOUT).until(() -> client.batch().v1().cronjobs().withName("hourly").get(), c -> c != null);
    assertThat(cronJob.getSpec().getTimeZone())
        .as("without a zone the CronJob would fire in kube-controller-manager's local zone").isEqualTo("UTC");
    Schedule scheduled = awaitStatus("hourly", s -> s.getNextFireAt() != null);
    assertThat(Instant.parse(scheduled.getStatus().getNextFireAt()).atZone(java.time.ZoneOffset.UTC).getMinute()).isEqualTo(15);
    assertThat(Conditions.find(scheduled.getStatus().getConditions(), Conditions.READY).orElseThrow().getMessage())
        .isEqualTo("runs on \"15 * * * *\" (UTC)");
  }

  @Test
  void manualTriggerRunsWhileDisabledAndRecordsExitCodeOutputAndTrimmedHistory() {
    client.resource(schedule("reports", s -> {
      s.setSchedule("0 9 * * 1-5");
      s.setEnabled(false);
      s.setHistoryLimit(2);
    })).create();
    awaitStatus("reports", s -> !s.getConditions().isEmpty());

    trigger("reports", "first");
    finishRun("reports", 1, 3, "Traceback ...\nValueError: no data for 2026-11-23\n");
    Schedule failed = awaitStatus("reports", s -> s.getRuns().size() == 1 && s.getRuns().get(0).status() == RunStatus.FAILURE);
    ScheduleStatus.Run run = failed.getStatus().getRuns().get(0);
    assertThat(run.trigger()).isEqualTo(ScheduleStatus.Trigger.MANUAL);
    assertThat(run.exitCode()).isEqualTo(3);
    assertThat(run.output()).contains("ValueError: no data");
    assertThat(failed.getStatus().getLastRunStatus()).isEqualTo(RunStatus.FAILURE);

    trigger("reports", "second");
    finishRun("reports", 2, 0, "report sent\n");
    awaitStatus("reports", s -> s.getRuns().size() == 2 && s.getRuns().get(0).status() == RunStatus.SUCCESS);

    trigger("reports", "third");
    finishRun("reports", 3, 0, "report sent\n");
    Schedule trimmed = awaitStatus("reports", s -> s.getRuns().stream().filter(r -> r.status() == RunStatus.SUCCESS).count() == 2);
    assertThat(trimmed.getStatus().getRuns()).as("history trimmed to historyLimit").hasSize(2)
        .allSatisfy(r -> assertThat(r.status()).isEqualTo(RunStatus.SUCCESS));
  }

  /**
   * The CronJob controller trims and reports every Job whose controller reference carries the CronJob's name;
   * runs started by hand must not be among them. Its own Jobs are made here as `kubectl create job --from=cronjob/`
   * makes them; once the controller has trimmed those, it has looked at the manual runs too.
   */
  @Test
  void theCronJobControllerLeavesManualRunsAlone() {
    client.resource(schedule("clash", s -> s.setSchedule("0 0 1 1 *"))).create();
    CronJob cronJob = await().atMost(TIMEOUT).until(() -> client.batch().v1().cronjobs().withName("clash").get(), c -> c != null);
    trigger("clash", "finished");
    String finished = awaitStatus("clash", s -> !s.getRuns().isEmpty()).getStatus().getRuns().get(0).id();
    finishJob(finished, 0);
    awaitStatus("clash", s -> s.getRuns().stream().anyMatch(r -> r.id().equals(finished) && r.status() == RunStatus.SUCCESS));
    trigger("clash", "active");
    String active = awaitStatus("clash", s -> s.getRuns().size() == 2).getStatus().getRuns().stream()
        .map(ScheduleStatus.Run::id).filter(id -> !id.equals(finished)).findFirst().orElseThrow();

    List<String> cronRuns = java.util.stream.IntStream.range(0, 4).mapToObj(i -> client.resource(new io.fabric8.kubernetes.api.model.batch.v1.JobBuilder()
        .withNewMetadata().withName("clash-by-hand-" + i).withLabels(cronJob.getSpec().getJobTemplate().getMetadata().getLabels())
        .withOwnerReferences(new io.fabric8.kubernetes.api.model.OwnerReferenceBuilder().withApiVersion("batch/v1").withKind("CronJob")
            .withName("clash").withUid(cronJob.getMetadata().getUid()).withController(true).build())
        .endMetadata().withSpec(cronJob.getSpec().getJobTemplate().getSpec()).build()).create().getMetadata().getName()).toList();
    cronRuns.forEach(job -> finishJob(job, 0));
    await().atMost(TIMEOUT).until(() -> cronRuns.stream().filter(job -> client.batch().v1().jobs().withName(job).get() != null).count() == 3);

    assertThat(client.batch().v1().jobs().withName(finished).get()).as("a finished manual run outlives CronJob trimming").isNotNull();
    assertThat(client.batch().v1().jobs().withName(active).get()).isNotNull();
    await().during(Duration.ofSeconds(2)).atMost(TIMEOUT).untilAsserted(() -> assertThat(client.v1().events().list().getItems())
        .filteredOn(e -> "UnexpectedJob".equals(e.getReason()))
        .noneSatisfy(e -> assertThat(e.getMessage()).containsAnyOf(finished, active)));
  }

  @Test
  void aRunPastItsTimeoutIsRecordedAsTimeout() {
    client.resource(schedule("slow", s -> {
      s.setType(ScheduleSpec.Type.WEBHOOK);
      s.setTimeoutSeconds(2);
    })).create();
    awaitStatus("slow", s -> !s.getConditions().isEmpty());
    assertThat(client.batch().v1().cronjobs().withName("slow").get()).as("webhook schedules have no CronJob").isNull();
    trigger("slow", "go");
    Schedule timedOut = awaitStatus("slow", s -> !s.getRuns().isEmpty() && s.getRuns().get(0).status() == RunStatus.TIMEOUT);
    assertThat(timedOut.getStatus().getRuns().get(0).trigger()).isEqualTo(ScheduleStatus.Trigger.MANUAL);
  }

  @Test
  @Order(Integer.MAX_VALUE)
  void aCronScheduleFiresAndRecordsSuccess() {
    List<Pod> pods = await().atMost(Duration.ofSeconds(100)).until(() -> client.pods()
        .withLabel(Labels.INSTANCE, "every-minute").list().getItems(), list -> !list.isEmpty());
    Kubelet.finished(client, pods.get(0), 0, "all good\n");
    Schedule fired = awaitStatus("every-minute", s -> s.getRuns().stream().anyMatch(r -> r.status() == RunStatus.SUCCESS));
    ScheduleStatus.Run run = fired.getStatus().getRuns().stream().filter(r -> r.status() == RunStatus.SUCCESS).findFirst().orElseThrow();
    assertThat(run.trigger()).isEqualTo(ScheduleStatus.Trigger.CRON);
    assertThat(run.output()).isEqualTo("all good\n");
    assertThat(run.durationMs()).isNotNull();
    assertThat(Instant.parse(fired.getStatus().getNextFireAt())).isAfter(Instant.parse(run.firedAt()));
  }

  @Test
  void theRightTokenStartsARunThatGetsTheCallersJson() {
    String token = webhookSchedule("orders", s -> { });
    Schedule ready = client.resources(Schedule.class).withName("orders").get();
    assertThat(ready.getStatus().getWebhook().path()).isEqualTo("/webhooks/" + client.getNamespace() + "/orders");
    assertThat(ready.getStatus().getWebhook().url()).isEqualTo("https://hooks.example.com/webhooks/" + client.getNamespace() + "/orders");
    assertThat(Base64.getUrlDecoder().decode(token)).as("at least 256 random bits").hasSizeGreaterThanOrEqualTo(32);

    WebhookTrigger.Outcome outcome = webhooks.fire(client.getNamespace(), "orders", token, "{\"order\": 42}".getBytes(UTF_8));
    assertThat(outcome.kind()).isEqualTo(WebhookTrigger.Kind.STARTED);
    Job job = client.batch().v1().jobs().withName(outcome.run()).get();
    EnvVar input = job.getSpec().getTemplate().getSpec().getContainers().get(0).getEnv().stream()
        .filter(e -> e.getName().equals("ORCH_RUN_INPUT")).findFirst().orElseThrow();
    Secret inputSecret = client.secrets().withName(input.getValueFrom().getSecretKeyRef().getName()).get();
    assertThat(new String(Base64.getDecoder().decode(inputSecret.getData().get(input.getValueFrom().getSecretKeyRef().getKey())), UTF_8))
        .isEqualTo("{\"order\": 42}");

    finishRun("orders", 1, 0, "order 42 shipped\n");
    Schedule done = awaitStatus("orders", s -> !s.getRuns().isEmpty() && s.getRuns().get(0).status() == RunStatus.SUCCESS);
    assertThat(done.getStatus().getRuns().get(0).id()).isEqualTo(outcome.run());
    assertThat(done.getStatus().getRuns().get(0).trigger()).isEqualTo(ScheduleStatus.Trigger.WEBHOOK);
  }

  @Test
  void aWrongTokenAndAnUnknownScheduleGetTheSameAnswer() {
    String token = webhookSchedule("guarded", s -> { });
    String namespace = client.getNamespace();
    assertThat(List.of(
        webhooks.fire(namespace, "guarded", token.substring(1) + "x", new byte[0]),
        webhooks.fire(namespace, "no-such-schedule", token, new byte[0]),
        webhooks.fire("no-such-namespace", "guarded", token, new byte[0]),
        webhooks.fire(namespace, "every-minute", token, new byte[0])))
        .allSatisfy(o -> assertThat(o).isEqualTo(new WebhookTrigger.Outcome(WebhookTrigger.Kind.NOT_FOUND, null, null, null)));
    assertThat(client.batch().v1().jobs().withLabel(Labels.INSTANCE, "guarded").list().getItems()).isEmpty();
  }

  @Test
  void aFloodIsRateLimitedBeforeTheTokenIsChecked() {
    var strict = new WebhookTrigger(client, SETTINGS.withWebhooks(new OperatorSettings.Webhooks(Optional.empty(), 3, 1024)),
        Clock.systemUTC());
    List<WebhookTrigger.Outcome> outcomes = java.util.stream.IntStream.range(0, 5)
        .mapToObj(i -> strict.fire(client.getNamespace(), "flooded", "guess-" + i, new byte[0])).toList();
    assertThat(outcomes).extracting(WebhookTrigger.Outcome::kind).containsExactly(WebhookTrigger.Kind.NOT_FOUND,
        WebhookTrigger.Kind.NOT_FOUND, WebhookTrigger.Kind.NOT_FOUND, WebhookTrigger.Kind.RATE_LIMITED, WebhookTrigger.Kind.RATE_LIMITED);
    assertThat(outcomes.get(3).retryAfter()).isPositive().isLessThanOrEqualTo(Duration.ofMinutes(1));
  }

  @Test
  void aBurstOfSkippedCallsIsOneEntryAndNeverPushesTheActiveRunOut() {
    String token = webhookSchedule("busy", s -> s.setHistoryLimit(2));
    WebhookTrigger.Outcome first = webhooks.fire(client.getNamespace(), "busy", token, new byte[0]);
    awaitStatus("busy", s -> !s.getRuns().isEmpty() && s.getRuns().get(0).status() == RunStatus.RUNNING);
    List<WebhookTrigger.Outcome> skipped = java.util.stream.IntStream.range(0, 5)
        .mapToObj(i -> webhooks.fire(client.getNamespace(), "busy", token, new byte[0])).toList();
    assertThat(skipped).allSatisfy(o -> {
      assertThat(o.kind()).isEqualTo(WebhookTrigger.Kind.SKIPPED);
      assertThat(o.run()).isEqualTo(first.run());
      assertThat(o.detail()).contains(first.run());
    });

    Schedule counted = awaitStatus("busy", s -> s.getRuns().stream().anyMatch(r -> Integer.valueOf(5).equals(r.count())));
    assertThat(counted.getStatus().getRuns()).hasSize(2);
    ScheduleStatus.Run entry = counted.getStatus().getRuns().get(0);
    assertThat(entry.status()).isEqualTo(RunStatus.SKIPPED);
    assertThat(entry.trigger()).isEqualTo(ScheduleStatus.Trigger.WEBHOOK);
    assertThat(entry.blockedBy()).isEqualTo(first.run());
    assertThat(entry.lastFiredAt()).isGreaterThanOrEqualTo(entry.firedAt());
    assertThat(counted.getStatus().getRuns().get(1)).as("the active run stays in a history of two")
        .satisfies(r -> assertThat(r.id()).isEqualTo(first.run()))
        .satisfies(r -> assertThat(r.status()).isEqualTo(RunStatus.RUNNING));
    assertThat(client.batch().v1().jobs().withLabel(Labels.INSTANCE, "busy").list().getItems())
        .as("skipped calls leave no objects behind").hasSize(1);

    finishRun("busy", 1, 0, "done\n");
    Schedule done = awaitStatus("busy", s -> s.getRuns().stream().anyMatch(r -> r.status() == RunStatus.SUCCESS));
    assertThat(done.getStatus().getRuns()).extracting(ScheduleStatus.Run::id)
        .containsExactly(ScheduleStatus.Run.skippedId(first.run()), first.run());
  }

  @Test
  void aDisabledWebhookScheduleSaysWhyAndBadJsonIsRefused() {
    String token = webhookSchedule("paused-hook", s -> { });
    assertThat(webhooks.fire(client.getNamespace(), "paused-hook", token, "{not json".getBytes(UTF_8)))
        .satisfies(o -> assertThat(o.kind()).isEqualTo(WebhookTrigger.Kind.BAD_INPUT))
        .satisfies(o -> assertThat(o.detail()).contains("must be JSON"));
    edit("paused-hook", s -> s.getSpec().setEnabled(false));
    awaitStatus("paused-hook", s -> s.getConditions().stream().anyMatch(c -> "Disabled".equals(c.getReason())));
    WebhookTrigger.Outcome refused = webhooks.fire(client.getNamespace(), "paused-hook", token, new byte[0]);
    assertThat(refused.kind()).isEqualTo(WebhookTrigger.Kind.NOT_READY);
    assertThat(refused.detail()).contains("spec.enabled is false");
  }

  @Test
  void rotatingTheTokenInvalidatesTheOldOne() {
    String old = webhookSchedule("rotated", s -> { });
    String oldDigest = client.resources(Schedule.class).withName("rotated").get().getStatus().getWebhook().tokenSha256();
    edit("rotated", s -> s.getMetadata().setAnnotations(Map.of(MetadataKeys.ROTATE_WEBHOOK_TOKEN, "2026-11-23")));
    awaitStatus("rotated", s -> !oldDigest.equals(s.getWebhook().tokenSha256()));
    String fresh = tokenOf("rotated");
    assertThat(fresh).isNotEqualTo(old);
    assertThat(webhooks.fire(client.getNamespace(), "rotated", old, new byte[0]).kind()).isEqualTo(WebhookTrigger.Kind.NOT_FOUND);
    assertThat(webhooks.fire(client.getNamespace(), "rotated", fresh, new byte[0]).kind()).isEqualTo(WebhookTrigger.Kind.STARTED);
  }

  @Test
  void anInvalidCronExpressionStallsWithTheFix() {
    client.resource(schedule("typo", s -> s.setSchedule("61 * * * *"))).create();
    Schedule stalled = awaitStatus("typo", s -> Conditions.isTrue(s.getConditions(), Conditions.STALLED));
    assertThat(Conditions.find(stalled.getStatus().getConditions(), Conditions.STALLED).orElseThrow().getMessage())
        .contains("\"61 * * * *\" is not a valid cron expression").contains("minute hour day-of-month month day-of-week");
    assertThat(client.batch().v1().cronjobs().withName("typo").get()).isNull();
  }
  /** Issue 14, defect 7 for schedules: a missing bundle stalls with the fix, refuses webhook calls, and is watched for. */
  @Test
  void aMissingBundleStallsTheScheduleAndItsWebhookUntilTheBundleExists() {
    client.resource(schedule("coded-hook", s -> {
      s.setType(ScheduleSpec.Type.WEBHOOK);
      s.setRequiredSecrets(null);
      s.setBundle(new Bundle(new Bundle.ConfigMapSource("coded-hook-bundle"), null, null, null, null));
    })).create();
    Schedule stalled = awaitStatus("coded-hook", s -> s.getWebhook() != null && Conditions.isTrue(s.getConditions(), "Stalled"));
    Condition condition = Conditions.find(stalled.getStatus().getConditions(), "Stalled").orElseThrow();
    assertThat(condition.getReason()).isEqualTo("BundleNotFound");
    assertThat(condition.getMessage()).contains("kubectl -n " + client.getNamespace() + " create configmap coded-hook-bundle");
    await().atMost(TIMEOUT).until(() -> client.resources(Event.class).list().getItems().stream()
        .anyMatch(e -> e.getRegarding() != null && "coded-hook".equals(e.getRegarding().getName())
            && "BundleNotFound".equals(e.getReason())));
    String token = tokenOf("coded-hook");
    WebhookTrigger.Outcome refused = webhooks.fire(client.getNamespace(), "coded-hook", token, new byte[0]);
    assertThat(refused.kind()).isEqualTo(WebhookTrigger.Kind.NOT_READY);
    assertThat(refused.detail()).contains("BundleNotFound");

    Bundles.put(client, "coded-hook-bundle", Map.of("main.py", "print('deploying')\n",
        "orchagent.json", "{\"required_secrets\": [\"REPORT_TOKEN\"]}"));
    awaitStatus("coded-hook", s -> Conditions.isTrue(s.getConditions(), Conditions.READY));
    WebhookTrigger.Outcome started = webhooks.fire(client.getNamespace(), "coded-hook", token, new byte[0]);
    assertThat(started.kind()).isEqualTo(WebhookTrigger.Kind.STARTED);
    assertThat(client.batch().v1().jobs().withName(started.run()).get().getSpec().getTemplate().getSpec().getContainers().get(0)
        .getEnv()).as("the secret the bundle's orchagent.json requires").anySatisfy(e -> {
          assertThat(e.getName()).isEqualTo("REPORT_TOKEN");
          assertThat(e.getValueFrom().getSecretKeyRef().getKey()).isEqualTo("REPORT_TOKEN");
        });
  }

  /** Creates a webhook schedule, waits until it is ready and returns its token, read as a user would. */
  private String webhookSchedule(String name, Consumer<ScheduleSpec> customize) {
    client.resource(schedule(name, s -> {
      s.setType(ScheduleSpec.Type.WEBHOOK);
      customize.accept(s);
    })).create();
    awaitStatus(name, s -> s.getWebhook() != null && Conditions.isTrue(s.getConditions(), Conditions.READY));
    return tokenOf(name);
  }

  private String tokenOf(String name) {
    return WebhookTokens.of(client, name);
  }

  private void trigger(String name, String value) {
    edit(name, s -> s.getMetadata().setAnnotations(Map.of(MetadataKeys.TRIGGER, value)));
  }

  /** Waits for the schedule's {@code runs}-th run pod and ends it the way a kubelet would. */
  private void finishRun(String name, int runs, int exitCode, String output) {
    List<Pod> pods = await().atMost(TIMEOUT).until(() -> client.pods().withLabel(Labels.INSTANCE, name).list().getItems()
        .stream().filter(p -> p.getStatus() == null || p.getStatus().getPhase() == null || "Pending".equals(p.getStatus().getPhase())).toList(),
        list -> !list.isEmpty());
    Kubelet.finished(client, pods.get(0), exitCode, output);
  }

  /** Ends the pod of one Job the way a kubelet would. */
  private void finishJob(String job, int exitCode) {
    Pod pod = await().atMost(TIMEOUT).until(() -> client.pods().withLabel(RunHistory.JOB_NAME_LABEL, job).list().getItems(),
        list -> !list.isEmpty()).get(0);
    Kubelet.finished(client, pod, exitCode, "done\n");
  }

  private Schedule schedule(String name, Consumer<ScheduleSpec> customize) {
    ScheduleSpec spec = new ScheduleSpec();
    spec.setAgent("acme/reporter");
    spec.setBundle(new Bundle(null, "https://bundles.example.com/reporter.tar.gz", null, null, null));
    spec.setRequiredSecrets(List.of("REPORT_TOKEN"));
    spec.setType(ScheduleSpec.Type.CRON);
    customize.accept(spec);
    Schedule schedule = new Schedule();
    schedule.setMetadata(new ObjectMetaBuilder().withName(name).withNamespace(client.getNamespace()).build());
    schedule.setSpec(spec);
    return schedule;
  }

  private void edit(String name, Consumer<Schedule> change) {
    CustomResources.edit(client, Schedule.class, name, change, TIMEOUT);
  }

  private Schedule awaitStatus(String name, Predicate<ScheduleStatus> test) {
    return CustomResources.awaitStatus(client, Schedule.class, name, test, TIMEOUT);
  }
}
