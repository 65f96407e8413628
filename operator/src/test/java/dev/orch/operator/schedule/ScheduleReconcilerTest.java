package dev.orch.operator.schedule;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.function.Consumer;
import java.util.function.Predicate;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;

import dev.orch.localcluster.WithKubernetes;
import dev.orch.operator.agent.Bundle;
import dev.orch.operator.core.OperatorSettings;
import dev.orch.operator.schedule.ScheduleStatus.RunStatus;
import dev.orch.operator.testing.Kubelet;
import dev.orch.operator.testing.RunningOperator;
import io.fabric8.kubernetes.api.model.ObjectMetaBuilder;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.SecretBuilder;
import io.fabric8.kubernetes.api.model.batch.v1.CronJob;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientException;

/** Schedules against a real API server with the Job and CronJob controllers running; the test plays the kubelet. */
@WithKubernetes(controllerManager = true)
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class ScheduleReconcilerTest {
  private static final Duration TIMEOUT = Duration.ofSeconds(40);
  private final KubernetesClient client;
  private RunningOperator<Schedule> operator;

  ScheduleReconcilerTest(KubernetesClient client) {
    this.client = client;
  }

  @BeforeAll
  void start() {
    client.resource(new SecretBuilder().withNewMetadata().withName("orch-secrets").endMetadata()
        .withStringData(Map.of("REPORT_TOKEN", "x")).build()).create();
    operator = RunningOperator.start(client, meters -> new ScheduleReconciler(OperatorSettings.defaults(), meters));
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

  private void trigger(String name, String value) {
    edit(name, s -> s.getMetadata().setAnnotations(Map.of(ScheduleReconciler.TRIGGER_ANNOTATION, value)));
  }

  /** Waits for the schedule's {@code runs}-th run pod and ends it the way a kubelet would. */
  private void finishRun(String name, int runs, int exitCode, String output) {
    List<Pod> pods = await().atMost(TIMEOUT).until(() -> client.pods().withLabel("app.kubernetes.io/instance", name).list().getItems()
        .stream().filter(p -> p.getStatus() == null || p.getStatus().getPhase() == null || "Pending".equals(p.getStatus().getPhase())).toList(),
        list -> !list.isEmpty());
    Kubelet.finished(client, pods.get(0), exitCode, output);
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
    await().atMost(TIMEOUT).ignoreExceptionsInstanceOf(KubernetesClientException.class).until(() -> {
      client.resources(Schedule.class).withName(name).edit(s -> {
        change.accept(s);
        return s;
      });
      return true;
    });
  }

  private Schedule awaitStatus(String name, Predicate<ScheduleStatus> test) {
    return await().atMost(TIMEOUT).until(() -> client.resources(Schedule.class).withName(name).get(),
        s -> s != null && s.getStatus() != null && test.test(s.getStatus()));
  }
}
