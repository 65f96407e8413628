package dev.orch.operator.schedule;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Instant;
import java.util.List;
import java.util.stream.IntStream;
import java.util.stream.Stream;

import org.junit.jupiter.api.Test;

import dev.orch.operator.core.MetadataKeys;
import dev.orch.operator.schedule.ScheduleStatus.Run;
import dev.orch.operator.schedule.ScheduleStatus.RunStatus;
import dev.orch.operator.schedule.ScheduleStatus.Trigger;
import io.fabric8.kubernetes.api.model.batch.v1.Job;
import io.fabric8.kubernetes.api.model.batch.v1.JobBuilder;

class RunHistoryTest {
  private static final Instant NOW = Instant.parse("2026-11-23T10:30:00Z");

  @Test
  void firesDuringAnActiveCronRunAreOneSkippedEntryWithCountAndFirstAndLastFire() {
    Run longRun = run("nightly-29389080", Trigger.CRON, RunStatus.RUNNING, "2026-11-23T10:00:01Z", null);
    List<Run> runs = RunHistory.withSkippedCronFires("nightly", "*/10 * * * *", null, List.of(longRun), NOW, 20);
    assertThat(runs).hasSize(2);
    Run skipped = runs.get(0);
    assertThat(skipped.id()).isEqualTo("nightly-29389080-skipped");
    assertThat(skipped.status()).isEqualTo(RunStatus.SKIPPED);
    assertThat(skipped.trigger()).isEqualTo(Trigger.CRON);
    assertThat(skipped.count()).isEqualTo(3);
    assertThat(skipped.firedAt()).isEqualTo("2026-11-23T10:10:00Z");
    assertThat(skipped.lastFiredAt()).isEqualTo("2026-11-23T10:30:00Z");
    assertThat(skipped.blockedBy()).isEqualTo("nightly-29389080");

    assertThat(RunHistory.withSkippedCronFires("nightly", "*/10 * * * *", null, runs, NOW, 20))
        .as("worked out afresh: a second pass counts nothing twice").isEqualTo(runs);
  }

  @Test
  void onlyFiresBeforeTheRunEndedCountAndFiresWithAJobAreNotSkipped() {
    Run finished = run("nightly-1", Trigger.CRON, RunStatus.SUCCESS, "2026-11-23T10:00:01Z", "2026-11-23T10:15:00Z");
    String laterJob = "nightly-" + Instant.parse("2026-11-23T10:10:00Z").getEpochSecond() / 60;
    List<Run> once = RunHistory.withSkippedCronFires("nightly", "*/10 * * * *", null, List.of(finished), NOW, 20);
    assertThat(once).extracting(Run::id, Run::count).containsExactly(
        org.assertj.core.groups.Tuple.tuple("nightly-1-skipped", 1), org.assertj.core.groups.Tuple.tuple("nightly-1", null));
    Run late = run(laterJob, Trigger.CRON, RunStatus.SUCCESS, "2026-11-23T10:10:02Z", "2026-11-23T10:11:00Z");
    assertThat(RunHistory.withSkippedCronFires("nightly", "*/10 * * * *", null,
        Stream.concat(once.stream(), Stream.of(late)).toList(), NOW, 20))
        .as("the fire's Job turned up late: no longer skipped").extracting(Run::id).containsExactly(laterJob, "nightly-1");
  }

  @Test
  void manualRunsDoNotBlockCronFiresBecauseTheCronJobDoesNotSeeThem() {
    Run manual = run("nightly-manual-abc", Trigger.MANUAL, RunStatus.RUNNING, "2026-11-23T10:00:01Z", null);
    assertThat(RunHistory.withSkippedCronFires("nightly", "*/10 * * * *", null, List.of(manual), NOW, 20))
        .containsExactly(manual);
  }

  @Test
  void activeRunsAreNeverTrimmedForNewerOnes() {
    Run active = run("hook-webhook-1", Trigger.WEBHOOK, RunStatus.RUNNING, "2026-11-23T09:00:00Z", null);
    List<Run> newer = IntStream.range(0, 5).mapToObj(i -> run("hook-manual-" + i, Trigger.MANUAL, RunStatus.SUCCESS,
        "2026-11-23T10:0" + i + ":00Z", "2026-11-23T10:0" + i + ":30Z")).toList();
    List<Run> kept = RunHistory.newestFirst(Stream.concat(Stream.of(active), newer.stream()).toList(), 3);
    assertThat(kept).extracting(Run::id).containsExactly("hook-manual-4", "hook-manual-3", "hook-webhook-1");
  }

  @Test
  void skippedWebhookCallsAreCountedOnTheActiveRunsJobAndReadBackAsOneEntry() {
    Job active = new JobBuilder().withNewMetadata().withName("hook-webhook-1").withCreationTimestamp("2026-11-23T10:00:00Z")
        .addToLabels(MetadataKeys.RUN_TRIGGER, "webhook").endMetadata().build();
    for (int second = 1; second <= 4; second++) {
      RunHistory.SkippedCalls.counted(active, Instant.parse("2026-11-23T10:00:0" + second + "Z"));
    }
    List<Run> runs = RunHistory.merge(List.of(), List.of(active), List.of(), 1);
    assertThat(runs).extracting(Run::id).as("the active run stays; the skipped calls take no slot from it")
        .containsExactly("hook-webhook-1");
    Run skipped = RunHistory.merge(List.of(), List.of(active), List.of(), 20).get(0);
    assertThat(skipped).isEqualTo(Run.skipped(Trigger.WEBHOOK, "hook-webhook-1", 4, "2026-11-23T10:00:01Z", "2026-11-23T10:00:04Z"));
  }

  @Test
  void aRunWhoseJobWasDeletedWhileRunningBecomesAnErrorInsteadOfRunningForEver() {
    Run running = run("hook-manual-1", Trigger.MANUAL, RunStatus.RUNNING, "2026-11-23T10:00:00Z", null);
    Run gone = RunHistory.merge(List.of(running), List.of(), List.of(), 20).get(0);
    assertThat(gone.status()).isEqualTo(RunStatus.ERROR);
    assertThat(gone.output()).isEqualTo(RunHistory.VANISHED);
  }

  @Test
  void cronExpressionsAndZonesAreCheckedWithAFix() {
    assertThat(NextFire.problem("0 9 * * 1-5", "Europe/Berlin")).isEmpty();
    assertThat(NextFire.problem("@hourly", null)).isEmpty();
    assertThat(NextFire.problem("0 25 * * *", null)).get().asString()
        .contains("\"0 25 * * *\" is not a valid cron expression").contains("e.g. \"0 9 * * 1-5\"");
    assertThat(NextFire.problem("0 9 * * *", "Mars/Olympus")).get().asString()
        .contains("timeZone \"Mars/Olympus\" is not a known IANA time zone");
  }

  private static Run run(String id, Trigger trigger, RunStatus status, String firedAt, String finishedAt) {
    return new Run(id, trigger, status, null, null, firedAt, firedAt, finishedAt, null, null, null, null);
  }
}
