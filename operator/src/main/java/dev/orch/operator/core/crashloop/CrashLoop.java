package dev.orch.operator.core.crashloop;

import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.stream.Collectors;

import io.fabric8.kubernetes.api.model.ContainerStateTerminated;
import io.fabric8.kubernetes.api.model.ContainerStatus;
import io.fabric8.kubernetes.api.model.Pod;

/**
 * Crash-loop counting as the hosted product defines it, as a pure function of the previous counters and the
 * pods now observed: every new restart of the agent container is a failed run; half the threshold (rounded
 * up) raises a warning, the threshold pauses the workload; a restart request or a run that stays up for
 * {@code stableAfter} clears the streak.
 */
public final class CrashLoop {
  public static final String WARNING = "warning";
  public static final String CRITICAL = "critical";

  private CrashLoop() {
  }

  /** The counters as status keeps them. */
  public record Counters(long restartCount, int consecutiveFailures, String lastError, CrashLoopRecord record) {
    /** Counters as a status stores them, where a field never written is null. */
    public static Counters of(Long restartCount, Integer consecutiveFailures, String lastError, CrashLoopRecord record) {
      return new Counters(restartCount == null ? 0 : restartCount, consecutiveFailures == null ? 0 : consecutiveFailures,
          lastError, record == null ? new CrashLoopRecord() : record);
    }

    public static Counters none() {
      return of(null, null, null, null);
    }
  }

  /**
   * New counters plus the alert level this observation crossed, if any (each level once per streak), and whether
   * the previous counters had already paused the workload.
   */
  public record Result(Counters counters, Optional<String> crossed, Optional<Duration> recheckIn, boolean pausedBefore) {
    /**
     * Whether the workload is to be held at zero now: only once a status write has recorded the pause. Scaling down
     * deletes the pods whose restart counts are the evidence, so an operator stopped between the scale-down and the
     * status write would find no crash left to count and start the workload again.
     */
    public boolean pauseRecorded() {
      return pausedBefore && counters.record().isAutoPaused();
    }

    /**
     * When to reconcile again: at once after a new pause, which the next reconcile applies once this one has written
     * it; otherwise a second after a run that stays up has been up long enough to clear the streak.
     */
    public Optional<Duration> lookAgainIn() {
      if (counters.record().isAutoPaused() && !pausedBefore) {
        return Optional.of(Duration.ZERO);
      }
      return recheckIn.map(wait -> wait.plusSeconds(1));
    }
  }

  public static int warningAt(int threshold) {
    return (threshold + 1) / 2;
  }

  public static Result track(Counters previous, List<Pod> pods, String container, int threshold,
      boolean restartRequested, Duration stableAfter, Instant now) {
    CrashLoopRecord record = new CrashLoopRecord();
    Map<String, Integer> counted = previous.record().getPods().stream()
        .collect(Collectors.toMap(CrashLoopRecord.PodRestarts::uid, CrashLoopRecord.PodRestarts::restarts, (a, b) -> a));
    long restarts = previous.restartCount();
    int consecutive = previous.consecutiveFailures();
    String lastError = previous.lastError();
    List<String> alerted = new ArrayList<>(previous.record().getAlerted());
    boolean autoPaused = previous.record().isAutoPaused();
    if (restartRequested) {
      consecutive = 0;
      alerted.clear();
      autoPaused = false;
    }

    Optional<Instant> oldestStableStart = Optional.empty();
    boolean anyNewRestart = false;
    for (Pod pod : pods) {
      Optional<ContainerStatus> status = agentStatus(pod, container);
      int observed = status.map(ContainerStatus::getRestartCount).orElse(0);
      int before = counted.getOrDefault(pod.getMetadata().getUid(), 0);
      if (observed > before) {
        int added = observed - before;
        restarts += added;
        consecutive += added;
        anyNewRestart = true;
        lastError = status.map(CrashLoop::describeLastTermination).orElse(lastError);
      }
      // A pod that has not restarted counts as absent does (0): recording it would cost a status write for every
      // new pod, which at a thousand services starting at once is a thousand writes that say nothing.
      if (Math.max(observed, before) > 0) {
        record.getPods().add(new CrashLoopRecord.PodRestarts(pod.getMetadata().getName(), pod.getMetadata().getUid(),
            Math.max(observed, before)));
      }
      Optional<Instant> runningSince = status.filter(s -> s.getState() != null && s.getState().getRunning() != null)
          .map(s -> s.getState().getRunning().getStartedAt()).map(Instant::parse);
      if (runningSince.isPresent() && (oldestStableStart.isEmpty() || runningSince.get().isBefore(oldestStableStart.get()))) {
        oldestStableStart = runningSince;
      }
    }

    Optional<Duration> recheckIn = Optional.empty();
    if (!anyNewRestart && consecutive > 0 && !autoPaused && oldestStableStart.isPresent()) {
      Duration up = Duration.between(oldestStableStart.get(), now);
      if (up.compareTo(stableAfter) >= 0) {
        consecutive = 0;
        alerted.clear();
      } else {
        recheckIn = Optional.of(stableAfter.minus(up));
      }
    }

    Optional<String> crossed = Optional.empty();
    if (consecutive >= threshold && !alerted.contains(CRITICAL)) {
      crossed = Optional.of(CRITICAL);
      alerted.add(CRITICAL);
      if (!alerted.contains(WARNING)) {
        alerted.add(0, WARNING);
      }
    } else if (consecutive >= warningAt(threshold) && !alerted.contains(WARNING)) {
      crossed = Optional.of(WARNING);
      alerted.add(WARNING);
    }
    if (consecutive >= threshold) {
      autoPaused = true;
    }
    record.setAlerted(alerted);
    record.setAutoPaused(autoPaused);
    record.setLastAlert(previous.record().getLastAlert());
    return new Result(new Counters(restarts, consecutive, lastError, record), crossed, recheckIn,
        previous.record().isAutoPaused());
  }

  private static Optional<ContainerStatus> agentStatus(Pod pod, String container) {
    if (pod.getStatus() == null || pod.getStatus().getContainerStatuses() == null) {
      return Optional.empty();
    }
    return pod.getStatus().getContainerStatuses().stream().filter(s -> container.equals(s.getName())).findFirst();
  }

  /** "Error (exit code 1): Traceback ... KeyError: 'TOKEN'" from the kubelet's record of the last run. */
  static String describeLastTermination(ContainerStatus status) {
    ContainerStateTerminated terminated = status.getLastState() == null ? null : status.getLastState().getTerminated();
    if (terminated == null) {
      return "restarted without a recorded termination";
    }
    String message = terminated.getMessage() == null ? "" : ": " + terminated.getMessage().strip();
    String text = (terminated.getReason() == null ? "Terminated" : terminated.getReason()) + " (exit code "
        + terminated.getExitCode() + ")" + message;
    return text.length() <= 4000 ? text : text.substring(0, 3997) + "...";
  }
}
