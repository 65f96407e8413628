package dev.orch.operator.schedule;

import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collections;
import java.util.Comparator;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.stream.Collectors;

import dev.orch.operator.agent.AgentPod;
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
 * historyLimit, each with a bounded output tail so the status stays small.
 */
final class RunHistory {
  static final int OUTPUT_TAIL = 2048;
  static final String JOB_NAME_LABEL = "batch.kubernetes.io/job-name";

  private RunHistory() {
  }

  static List<Run> merge(List<Run> recorded, List<Job> jobs, List<Pod> pods, int limit) {
    Map<String, Run> byId = new LinkedHashMap<>();
    recorded.forEach(run -> byId.put(run.id(), run));
    for (Job job : jobs) {
      byId.put(job.getMetadata().getName(), fromJob(job, pods));
    }
    List<Run> runs = new ArrayList<>(byId.values());
    runs.sort(Comparator.comparing(Run::firedAt, Comparator.nullsLast(Comparator.reverseOrder())).thenComparing(Run::id));
    return List.copyOf(runs.subList(0, Math.min(limit, runs.size())));
  }

  static Run fromJob(Job job, List<Pod> pods) {
    String name = job.getMetadata().getName();
    Trigger trigger = triggerOf(job);
    if (isSkipped(job)) {
      String at = job.getMetadata().getCreationTimestamp();
      return new Run(name, trigger, RunStatus.SKIPPED, null, 0L, at, null, at,
          job.getMetadata().getAnnotations().get(SchedulePlan.SKIPPED_ANNOTATION));
    }
    Optional<JobCondition> complete = condition(job, "Complete");
    Optional<JobCondition> failed = condition(job, "Failed");
    RunStatus status = complete.isPresent() ? RunStatus.SUCCESS
        : failed.map(c -> "DeadlineExceeded".equals(c.getReason()) ? RunStatus.TIMEOUT : RunStatus.FAILURE)
            .orElse(RunStatus.RUNNING);
    Optional<ContainerStateTerminated> agentEnd = pods.stream()
        .filter(p -> p.getMetadata().getLabels() != null && name.equals(p.getMetadata().getLabels().get(JOB_NAME_LABEL)))
        .flatMap(p -> p.getStatus() == null || p.getStatus().getContainerStatuses() == null ? java.util.stream.Stream.empty()
            : p.getStatus().getContainerStatuses().stream())
        .filter(s -> AgentPod.AGENT_CONTAINER.equals(s.getName()) && s.getState() != null && s.getState().getTerminated() != null)
        .map(s -> s.getState().getTerminated()).findFirst();
    String started = job.getStatus() == null ? null : job.getStatus().getStartTime();
    String finished = job.getStatus() != null && job.getStatus().getCompletionTime() != null ? job.getStatus().getCompletionTime()
        : complete.or(() -> failed).map(JobCondition::getLastTransitionTime).orElse(null);
    Long duration = started != null && finished != null
        ? Duration.between(Instant.parse(started), Instant.parse(finished)).toMillis() : null;
    return new Run(name, trigger, status, agentEnd.map(ContainerStateTerminated::getExitCode).orElse(null), duration,
        job.getMetadata().getCreationTimestamp(), started, finished,
        agentEnd.map(ContainerStateTerminated::getMessage).map(RunHistory::tail).orElse(null));
  }

  /**
   * Cron fires that met a cron run still active under skipIfRunning. The CronJob controller (concurrency Forbid)
   * creates nothing for them and records nothing, so they are worked out from the schedule: a fire counts as
   * skipped when a cron run was active at that moment and no Job carries the fire's name (the controller names
   * Jobs NAME-MINUTES). A fire whose Job is merely late is replaced by that Job when it appears: same id.
   */
  static List<Run> skippedCronFires(String cronJobName, String schedule, String timeZone, List<Run> runs,
      Instant until, int limit) {
    Set<String> known = runs.stream().map(Run::id).collect(Collectors.toCollection(HashSet::new));
    List<Run> skipped = new ArrayList<>();
    for (Run run : runs) {
      if (run.trigger() != Trigger.CRON || run.status() == RunStatus.SKIPPED || run.firedAt() == null) {
        continue;
      }
      Instant end = run.finishedAt() == null ? until : Collections.min(List.of(Instant.parse(run.finishedAt()), until));
      for (Instant fire : NextFire.between(schedule, timeZone, Instant.parse(run.firedAt()), end, limit)) {
        String id = cronJobName + "-" + fire.getEpochSecond() / 60;
        if (known.add(id)) {
          skipped.add(new Run(id, Trigger.CRON, RunStatus.SKIPPED, null, 0L, fire.toString(), null, fire.toString(),
              "run " + run.id() + " was still active"));
        }
      }
    }
    return skipped;
  }

  static boolean isCronRun(Job job) {
    return triggerOf(job) == Trigger.CRON;
  }

  /** From the run's trigger label; the CronJob's Jobs carry it through the job template. */
  private static Trigger triggerOf(Job job) {
    return Optional.ofNullable(job.getMetadata().getLabels()).map(l -> l.get(SchedulePlan.TRIGGER_LABEL))
        .map(t -> Trigger.valueOf(t.toUpperCase(Locale.ROOT))).orElse(Trigger.CRON);
  }

  static boolean isSkipped(Job job) {
    return job.getMetadata().getAnnotations() != null && job.getMetadata().getAnnotations().containsKey(SchedulePlan.SKIPPED_ANNOTATION);
  }

  static boolean isActive(Job job) {
    return !isSkipped(job) && condition(job, "Complete").isEmpty() && condition(job, "Failed").isEmpty();
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
}
