package dev.orch.operator.schedule;

import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.time.ZonedDateTime;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.stream.Collectors;

import dev.orch.operator.core.bundle.BundleCheck;
import dev.orch.operator.core.reconcile.Verdicts;
import dev.orch.operator.core.secrets.SecretCheck;
import dev.orch.operator.core.status.Conditions;
import dev.orch.operator.core.status.Conditions.Verdict;
import dev.orch.operator.core.status.EventRecorder.Notice;
import dev.orch.operator.schedule.ScheduleStatus.Run;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.batch.v1.Job;

/**
 * A Schedule's status, the events its change deserves and when to look again, as pure functions of what the
 * reconciler observed and did (the webhook token it keeps, the manual run it started).
 */
final class ScheduleStatusCalculator {
  /** How late the CronJob controller may create a fire's Job before the fire counts as skipped. */
  static final Duration CRON_GRACE = Duration.ofSeconds(10);

  private ScheduleStatusCalculator() {
  }

  /**
   * @param webhook the webhook's path and token digest; null for a cron schedule
   * @param lastManualTrigger the manual-trigger request acted on so far
   */
  record Observation(ScheduleStatus.Webhook webhook, String lastManualTrigger, BundleCheck bundle, SecretCheck secrets,
      List<Job> jobs, List<Pod> pods, Instant now) {
  }

  /** Why the cron expression or time zone cannot be used, for a cron schedule. */
  static Optional<String> invalidSchedule(ScheduleSpec spec) {
    return spec.getType() == ScheduleSpec.Type.CRON ? NextFire.problem(spec.getSchedule(), spec.getTimeZone())
        : Optional.empty();
  }

  static ScheduleStatus compute(Schedule schedule, Observation seen) {
    ScheduleSpec spec = schedule.getSpec();
    ScheduleStatus previous = schedule.getStatus();
    Instant now = seen.now().truncatedTo(ChronoUnit.SECONDS);
    boolean enabled = Boolean.TRUE.equals(spec.getEnabled());
    boolean cron = spec.getType() == ScheduleSpec.Type.CRON;
    Optional<String> invalidSchedule = invalidSchedule(spec);
    ScheduleStatus status = new ScheduleStatus();
    status.setLastManualTrigger(seen.lastManualTrigger());
    status.setWebhook(seen.webhook());

    Verdict verdict = invalidSchedule.map(problem -> Verdict.stalled("InvalidSchedule", problem))
        .or(() -> Verdicts.blocker(seen.bundle(), seen.secrets()))
        .orElseGet(() -> !enabled ? Verdict.idle("Disabled", cron
            ? "spec.enabled is false: no scheduled runs; a manual trigger still runs"
            : "spec.enabled is false: webhook calls are refused; a manual trigger still runs")
            : Verdict.ready("Scheduled", cron ? "runs on \"" + spec.getSchedule() + "\" ("
                + NextFire.zoneName(spec.getTimeZone()) + ")" : "runs when its webhook is called"));

    List<Run> observed = RunHistory.merge(previous.getRuns(), seen.jobs(), seen.pods(), spec.getHistoryLimit());
    List<Run> runs = skipsCronFires(spec) ? RunHistory.withSkippedCronFires(schedule.getMetadata().getName(),
        spec.getSchedule(), spec.getTimeZone(), observed, now.minus(CRON_GRACE), spec.getHistoryLimit()) : observed;
    status.setRuns(runs);
    if (!runs.isEmpty()) {
      status.setLastFiredAt(runs.get(0).latestFiredAt());
      status.setLastRunStatus(runs.get(0).status());
    }
    Optional<Instant> nextFire = cron && enabled && invalidSchedule.isEmpty()
        ? NextFire.after(spec.getSchedule(), spec.getTimeZone(), seen.now().atZone(ZoneOffset.UTC))
            .map(ZonedDateTime::toInstant)
        : Optional.empty();
    status.setNextFireAt(nextFire.map(Instant::toString).orElse(null));
    long generation = Conditions.generation(schedule);
    status.setObservedGeneration(generation);
    status.setConditions(Conditions.merge(previous.getConditions(), verdict, generation, now.toString()));
    return status;
  }

  /** A fire that meets an active run leaves no trace in the cluster, so look again just after it. */
  static Optional<Duration> recheckIn(Schedule schedule, ScheduleStatus status, Instant now) {
    boolean running = status.getRuns().stream().anyMatch(r -> r.status() == ScheduleStatus.RunStatus.RUNNING);
    return skipsCronFires(schedule.getSpec()) && running && status.getNextFireAt() != null
        ? Optional.of(Duration.between(now.truncatedTo(ChronoUnit.SECONDS),
            Instant.parse(status.getNextFireAt()).plus(CRON_GRACE)))
        : Optional.empty();
  }

  private static boolean skipsCronFires(ScheduleSpec spec) {
    return spec.getType() == ScheduleSpec.Type.CRON && Boolean.TRUE.equals(spec.getEnabled())
        && invalidSchedule(spec).isEmpty() && Boolean.TRUE.equals(spec.getSkipIfRunning());
  }

  /** An event for every run that ended, and for every skipped entry whose count grew. */
  static List<Notice> events(List<Run> before, List<Run> runs) {
    Map<String, Run> previous = before.stream().collect(Collectors.toMap(Run::id, run -> run, (a, b) -> a));
    List<Notice> notices = new ArrayList<>();
    for (Run run : runs) {
      Run was = previous.get(run.id());
      boolean news = run.status() != ScheduleStatus.RunStatus.RUNNING
          && (was == null || was.status() != run.status() || !Objects.equals(was.count(), run.count()));
      if (!news) {
        continue;
      }
      notices.add(switch (run.status()) {
        case SUCCESS -> Notice.normal("RunSucceeded", "run " + run.id() + " succeeded in " + run.durationMs() + " ms");
        case SKIPPED -> Notice.normal("RunSkipped", run.count() + (run.trigger() == ScheduleStatus.Trigger.CRON
            ? " cron fire(s)" : " webhook call(s)") + " skipped since " + run.firedAt() + ": run " + run.blockedBy()
            + " was still active (skipIfRunning)");
        case ERROR -> Notice.warning("RunError", "run " + run.id() + ": " + run.output());
        default -> Notice.warning("Run" + capitalized(run.status().name()), "run " + run.id() + " ended "
            + run.status().name().toLowerCase(Locale.ROOT) + (run.exitCode() != null ? " with exit code " + run.exitCode() : ""));
      });
    }
    return notices;
  }

  private static String capitalized(String value) {
    return value.charAt(0) + value.substring(1).toLowerCase(Locale.ROOT);
  }
}
