package dev.orch.operator.schedule;

import java.time.Duration;
import java.time.Instant;
import java.util.Collection;
import java.util.Collections;
import java.util.Comparator;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.stream.Collectors;
import java.util.stream.Stream;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.orch.operator.agent.AgentPod;
import dev.orch.operator.core.MetadataKeys;
import dev.orch.operator.schedule.ScheduleStatus.Run;
import dev.orch.operator.schedule.ScheduleStatus.RunStatus;
import dev.orch.operator.schedule.ScheduleStatus.Trigger;
import io.fabric8.kubernetes.api.model.ContainerStateTerminated;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.batch.v1.Job;
import io.fabric8.kubernetes.api.model.batch.v1.JobCondition;

/**
 * The run history as a pure function of the runs already recorded and the Jobs (and their pods) now observed:
 * Jobs come and go with the CronJob's history limits, the recorded runs stay, newest first, trimmed to
 * historyLimit, each with a bounded output tail so the status stays small. A run still active is never trimmed
 * away, and the triggers skipped while it was active share one entry, so a burst of them cannot push it out.
 */
final class RunHistory {
  static final int OUTPUT_TAIL = 2048;
  /** The most entries status.runs may hold (the CRD's limit), even when more runs than historyLimit are active. */
  static final int MAX_RUNS = 50;
  static final String JOB_NAME_LABEL = "batch.kubernetes.io/job-name";
  /** On an active run's Job: the webhook calls skipped while it ran, as {@link SkippedCalls} JSON. */
  static final String VANISHED = "its Job was deleted before the run ended, so its outcome is unknown";
  private static final ObjectMapper JSON = new ObjectMapper();
  // Times are whole seconds: within one, the skipped calls came after the run that blocked them, so they go first.
  private static final Comparator<Run> NEWEST_FIRST = Comparator
      .comparing(Run::latestFiredAt, Comparator.nullsLast(Comparator.reverseOrder()))
      .thenComparing(r -> r.status() != RunStatus.SKIPPED).thenComparing(Run::id);

  private RunHistory() {
  }

  /**
   * The recorded runs updated from the Jobs that exist now. A run recorded as running whose Job is gone was
   * deleted before it ended (by hand, or by a CronJob in an older version of this operator); it becomes an error,
   * as it would otherwise stay running, and so in the history, for ever.
   */
  static List<Run> merge(List<Run> recorded, List<Job> jobs, List<Pod> pods, int limit) {
    Set<String> present = jobs.stream().map(job -> job.getMetadata().getName()).collect(Collectors.toSet());
    Map<String, Run> byId = new LinkedHashMap<>();
    for (Run run : recorded) {
      byId.put(run.id(), run.status() == RunStatus.RUNNING && !present.contains(run.id()) ? vanished(run) : run);
    }
    for (Job job : jobs) {
      Run run = fromJob(job, pods);
      byId.put(run.id(), run);
      SkippedCalls.of(job).ifPresent(calls -> byId.put(Run.skippedId(run.id()),
          Run.skipped(Trigger.WEBHOOK, run.id(), calls.count(), calls.first(), calls.last())));
    }
    return newestFirst(byId.values(), limit);
  }

  static Run fromJob(Job job, List<Pod> pods) {
    String name = job.getMetadata().getName();
    Optional<JobCondition> complete = condition(job, "Complete");
    Optional<JobCondition> failed = condition(job, "Failed");
    RunStatus status = complete.isPresent() ? RunStatus.SUCCESS
        : failed.map(c -> "DeadlineExceeded".equals(c.getReason()) ? RunStatus.TIMEOUT : RunStatus.FAILURE)
            .orElse(RunStatus.RUNNING);
    Optional<ContainerStateTerminated> agentEnd = pods.stream()
        .filter(p -> p.getMetadata().getLabels() != null && name.equals(p.getMetadata().getLabels().get(JOB_NAME_LABEL)))
        .flatMap(p -> p.getStatus() == null || p.getStatus().getContainerStatuses() == null ? Stream.empty()
            : p.getStatus().getContainerStatuses().stream())
        .filter(s -> AgentPod.AGENT_CONTAINER.equals(s.getName()) && s.getState() != null && s.getState().getTerminated() != null)
        .map(s -> s.getState().getTerminated()).findFirst();
    String started = job.getStatus() == null ? null : job.getStatus().getStartTime();
    String finished = job.getStatus() != null && job.getStatus().getCompletionTime() != null ? job.getStatus().getCompletionTime()
        : complete.or(() -> failed).map(JobCondition::getLastTransitionTime).orElse(null);
    Long duration = started != null && finished != null
        ? Duration.between(Instant.parse(started), Instant.parse(finished)).toMillis() : null;
    return new Run(name, triggerOf(job), status, agentEnd.map(ContainerStateTerminated::getExitCode).orElse(null), duration,
        job.getMetadata().getCreationTimestamp(), started, finished,
        agentEnd.map(ContainerStateTerminated::getMessage).map(RunHistory::tail).orElse(null), null, null, null);
  }

  /**
   * Adds the cron fires that met a cron run still active under skipIfRunning, one entry per such run. The CronJob
   * controller (concurrency Forbid) creates nothing for them and records nothing, so they are worked out from the
   * schedule: a fire counts as skipped when a cron run was active at that moment and no run carries the fire's
   * Job name (the controller names Jobs NAME-MINUTES), so a fire whose Job is merely late stops counting when the
   * Job appears. Worked out afresh from the blocking run on every call, so no fire is counted twice; a run lasts
   * at most a day (timeoutSeconds), which bounds the work.
   */
  static List<Run> withSkippedCronFires(String cronJobName, String schedule, String timeZone, List<Run> runs,
      Instant until, int limit) {
    Set<String> known = runs.stream().map(Run::id).collect(Collectors.toSet());
    Map<String, Run> byId = new LinkedHashMap<>();
    runs.forEach(run -> byId.put(run.id(), run));
    for (Run run : runs) {
      boolean timed = run.status() == RunStatus.RUNNING || run.finishedAt() != null;
      if (run.trigger() != Trigger.CRON || run.status() == RunStatus.SKIPPED || run.firedAt() == null || !timed) {
        continue;
      }
      Instant end = run.finishedAt() == null ? until : Collections.min(List.of(Instant.parse(run.finishedAt()), until));
      List<Instant> fires = NextFire.between(schedule, timeZone, Instant.parse(run.firedAt()), end).stream()
          .filter(fire -> !known.contains(cronJobName + "-" + fire.getEpochSecond() / 60)).toList();
      if (fires.isEmpty()) {
        byId.remove(Run.skippedId(run.id()));
      } else {
        byId.put(Run.skippedId(run.id()), Run.skipped(Trigger.CRON, run.id(), fires.size(),
            fires.get(0).toString(), fires.get(fires.size() - 1).toString()));
      }
    }
    return newestFirst(byId.values(), limit);
  }

  /** Newest first: every running run (up to {@link #MAX_RUNS}), then the newest others, up to limit in all. */
  static List<Run> newestFirst(Collection<Run> runs, int limit) {
    List<Run> running = runs.stream().filter(r -> r.status() == RunStatus.RUNNING).sorted(NEWEST_FIRST).limit(MAX_RUNS).toList();
    Stream<Run> others = runs.stream().filter(r -> r.status() != RunStatus.RUNNING).sorted(NEWEST_FIRST)
        .limit(Math.max(0, limit - running.size()));
    return Stream.concat(running.stream(), others).sorted(NEWEST_FIRST).toList();
  }

  private static Run vanished(Run run) {
    return new Run(run.id(), run.trigger(), RunStatus.ERROR, null, null, run.firedAt(), run.startedAt(), null, VANISHED,
        null, null, null);
  }

  static boolean isCronRun(Job job) {
    return triggerOf(job) == Trigger.CRON;
  }

  /** From the run's trigger label; the CronJob's Jobs carry it through the job template. */
  private static Trigger triggerOf(Job job) {
    return Optional.ofNullable(job.getMetadata().getLabels()).map(l -> l.get(MetadataKeys.RUN_TRIGGER))
        .map(t -> Trigger.valueOf(t.toUpperCase(Locale.ROOT))).orElse(Trigger.CRON);
  }

  static boolean isActive(Job job) {
    return condition(job, "Complete").isEmpty() && condition(job, "Failed").isEmpty();
  }

  private static Optional<JobCondition> condition(Job job, String type) {
    if (job.getStatus() == null || job.getStatus().getConditions() == null) {
      return Optional.empty();
    }
    return job.getStatus().getConditions().stream().filter(c -> type.equals(c.getType()) && "True".equals(c.getStatus())).findFirst();
  }

  static String tail(String output) {
    return output.length() <= OUTPUT_TAIL ? output : "…" + output.substring(output.length() - OUTPUT_TAIL + 1);
  }

  /**
   * The webhook calls skipped while a run was active, counted on that run's Job by whichever operator replica took
   * them (with the Job's resourceVersion, so concurrent calls are all counted): they belong to the run that caused
   * them, go with its Job, and are read afresh on every reconcile, so none is counted twice.
   */
  record SkippedCalls(int count, String first, String last) {
    static Optional<SkippedCalls> of(Job job) {
      String value = Optional.ofNullable(job.getMetadata().getAnnotations()).map(a -> a.get(MetadataKeys.SKIPPED_CALLS)).orElse(null);
      if (value == null) {
        return Optional.empty();
      }
      try {
        return Optional.of(JSON.readValue(value, SkippedCalls.class));
      } catch (JsonProcessingException e) {
        return Optional.empty(); // edited by hand into something else: there is nothing to count
      }
    }

    /** {@code job} with one more skipped call, made at {@code at}. */
    static Job counted(Job job, Instant at) {
      String now = at.toString();
      SkippedCalls calls = of(job).map(c -> new SkippedCalls(c.count() + 1, c.first(), now)).orElse(new SkippedCalls(1, now, now));
      Map<String, String> annotations = new HashMap<>(Optional.ofNullable(job.getMetadata().getAnnotations()).orElse(Map.of()));
      try {
        annotations.put(MetadataKeys.SKIPPED_CALLS, JSON.writeValueAsString(calls));
      } catch (JsonProcessingException e) {
        throw new IllegalStateException(e);
      }
      job.getMetadata().setAnnotations(annotations);
      return job;
    }
  }
}
