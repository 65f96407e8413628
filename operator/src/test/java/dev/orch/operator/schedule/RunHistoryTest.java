package dev.orch.operator.schedule;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Instant;
import java.util.List;

import org.junit.jupiter.api.Test;

import dev.orch.operator.schedule.ScheduleStatus.Run;
import dev.orch.operator.schedule.ScheduleStatus.RunStatus;
import dev.orch.operator.schedule.ScheduleStatus.Trigger;

class RunHistoryTest {
  private static final Instant NOW = Instant.parse("2026-11-23T10:30:00Z");

  @Test
  void firesDuringAnActiveCronRunAreSkippedAndNamedLikeTheJobsTheyReplace() {
    Run longRun = run("nightly-29389080", Trigger.CRON, RunStatus.RUNNING, "2026-11-23T10:00:01Z", null);
    List<Run> skipped = RunHistory.skippedCronFires("nightly", "*/10 * * * *", null, List.of(longRun), NOW, 20);
    assertThat(skipped).extracting(Run::firedAt)
        .containsExactly("2026-11-23T10:10:00Z", "2026-11-23T10:20:00Z", "2026-11-23T10:30:00Z");
    assertThat(skipped).allSatisfy(r -> {
      assertThat(r.status()).isEqualTo(RunStatus.SKIPPED);
      assertThat(r.trigger()).isEqualTo(Trigger.CRON);
      assertThat(r.output()).isEqualTo("run nightly-29389080 was still active");
    });
    assertThat(skipped.get(0).id()).isEqualTo("nightly-" + Instant.parse("2026-11-23T10:10:00Z").getEpochSecond() / 60);
  }

  @Test
  void onlyFiresBeforeTheRunEndedCountAndFiresWithAJobAreNotSkipped() {
    Run finished = run("nightly-1", Trigger.CRON, RunStatus.SUCCESS, "2026-11-23T10:00:01Z", "2026-11-23T10:15:00Z");
    String laterJob = "nightly-" + Instant.parse("2026-11-23T10:10:00Z").getEpochSecond() / 60;
    assertThat(RunHistory.skippedCronFires("nightly", "*/10 * * * *", null,
        List.of(finished), NOW, 20)).extracting(Run::firedAt).containsExactly("2026-11-23T10:10:00Z");
    assertThat(RunHistory.skippedCronFires("nightly", "*/10 * * * *", null,
        List.of(finished, run(laterJob, Trigger.CRON, RunStatus.SUCCESS, "2026-11-23T10:10:02Z", "2026-11-23T10:11:00Z")),
        NOW, 20)).isEmpty();
  }

  @Test
  void manualRunsDoNotBlockCronFiresBecauseTheCronJobDoesNotSeeThem() {
    Run manual = run("nightly-manual-abc", Trigger.MANUAL, RunStatus.RUNNING, "2026-11-23T10:00:01Z", null);
    assertThat(RunHistory.skippedCronFires("nightly", "*/10 * * * *", null, List.of(manual), NOW, 20)).isEmpty();
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
    return new Run(id, trigger, status, null, null, firedAt, firedAt, finishedAt, null);
  }
}
