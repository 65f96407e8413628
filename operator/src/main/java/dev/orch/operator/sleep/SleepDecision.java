package dev.orch.operator.sleep;

import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.Optional;
import java.util.regex.Matcher;

import dev.orch.operator.core.status.EventRecorder.Notice;
import dev.orch.operator.sleep.SleepStatus.Phase;

/**
 * Whether a resource should sleep, wake or stay as it is, as a pure function of its spec, its sleep/wake
 * annotations, its previous sleep status, what its gateways reported and how many pods are ready. The leader's
 * reconciler calls it and applies the result; tests call it without a cluster.
 *
 * <p>Order of precedence: a wake (by hand or by a request) beats a sleep by hand that arrives at the same
 * time, because a request must never be held for a service that stays asleep; a sleep by hand beats
 * idleness; a waking service turns awake when a pod is ready; an awake one sleeps when every gateway answered,
 * none has a request or WebSocket open, and the latest activity is {@code afterIdle} old.
 */
public final class SleepDecision {
  static final Duration MIN_POLL = Duration.ofSeconds(2);
  static final Duration MAX_POLL = Duration.ofSeconds(30);
  private static final java.util.regex.Pattern DURATION = java.util.regex.Pattern.compile("^(?:(\\d+)h)?(?:(\\d+)m)?(?:(\\d+)s)?$");

  private SleepDecision() {
  }

  /** The new sleep status, the events its change deserves, and when to look at the gateways again. */
  public record Outcome(SleepStatus status, List<Notice> notices, Optional<Duration> recheckIn) {
  }

  /**
   * @param spec {@code spec.sleep}; null: the resource never sleeps (one asleep wakes) and the annotations are ignored
   * @param idleCanWake whether a request can wake it (it has a Service): only then may it sleep by idleness
   */
  public static Outcome decide(SleepSpec spec, boolean idleCanWake, SleepRequests.Seen seen, SleepStatus previous,
      GatewayActivity activity, int readyPods, Instant now) {
    List<Notice> notices = new ArrayList<>();
    if (previous == null) {
      // Annotations present before the first status came with the manifest: they are no request.
      return new Outcome(new SleepStatus(Phase.AWAKE, now.toString(), "created", now.toString(), seen.sleep(), seen.wake(),
          seen.wakeOnRequest()), notices, pollDelay(spec, idleCanWake));
    }
    boolean newSleep = seen.sleep() != null && !seen.sleep().equals(previous.handledSleep());
    boolean newWake = seen.wake() != null && !seen.wake().equals(previous.handledWake());
    boolean newRequest = seen.wakeOnRequest() != null && !seen.wakeOnRequest().equals(previous.handledWakeOnRequest());

    Instant lastActivity = latest(parse(previous.lastActivity()), activity.latest().orElse(null));
    if (activity.busy() || newWake || newRequest) {
      lastActivity = now;
    }
    Phase phase = previous.phase();
    String since = previous.since();
    String reason = previous.reason();

    if (spec == null) {
      if (phase == Phase.ASLEEP) {
        phase = Phase.WAKING;
        since = now.toString();
        reason = "spec.sleep was removed";
        notices.add(Notice.normal("Waking", "spec.sleep was removed; scaling back up"));
      }
    } else if ((newWake || newRequest) && phase == Phase.ASLEEP) {
      phase = Phase.WAKING;
      since = now.toString();
      reason = newRequest ? "woken by a request" : "woken by hand";
      notices.add(Notice.normal("Waking", reason + "; scaling up"));
    } else if (newSleep && phase != Phase.ASLEEP && !newWake && !newRequest) {
      phase = Phase.ASLEEP;
      since = now.toString();
      reason = "put to sleep by hand";
      notices.add(Notice.normal("Sleeping", reason + "; scaled to zero"));
    } else if (phase == Phase.AWAKE && idleCanWake && spec.afterIdle() != null && activity.complete() && !activity.busy()
        && !Duration.between(lastActivity, now).minus(afterIdle(spec)).isNegative()) {
      phase = Phase.ASLEEP;
      since = now.toString();
      reason = "idle for " + human(Duration.between(lastActivity, now));
      notices.add(Notice.normal("Sleeping", reason + " (afterIdle " + spec.afterIdle() + "); scaled to zero, the next"
          + " request wakes it"));
    }
    if (phase == Phase.WAKING && readyPods > 0) {
      String waking = since;
      phase = Phase.AWAKE;
      since = now.toString();
      notices.add(Notice.normal("Awake", readyPods + " instance(s) ready " + human(Duration.between(parse(waking), now))
          + " after the wake (" + reason + ")"));
      lastActivity = now;
    }
    SleepStatus status = new SleepStatus(phase, since, reason, lastActivity.toString(), seen.sleep(), seen.wake(),
        seen.wakeOnRequest());
    return new Outcome(status, notices, phase == Phase.AWAKE ? pollDelay(spec, idleCanWake) : Optional.empty());
  }

  /** How often the gateways are asked: a fifth of afterIdle, between 2 and 30 seconds. */
  static Optional<Duration> pollDelay(SleepSpec spec, boolean idleCanWake) {
    if (spec == null || spec.afterIdle() == null || !idleCanWake) {
      return Optional.empty();
    }
    Duration fifth = afterIdle(spec).dividedBy(5);
    return Optional.of(fifth.compareTo(MIN_POLL) < 0 ? MIN_POLL : fifth.compareTo(MAX_POLL) > 0 ? MAX_POLL : fifth);
  }

  /** Go-style h/m/s duration as the API server validated it. */
  public static Duration afterIdle(SleepSpec spec) {
    Matcher m = DURATION.matcher(spec.afterIdle());
    if (!m.matches()) {
      throw new IllegalArgumentException("sleep.afterIdle " + spec.afterIdle() + " is not a duration like 15m");
    }
    return Duration.ofHours(number(m.group(1))).plusMinutes(number(m.group(2))).plusSeconds(number(m.group(3)));
  }

  private static long number(String digits) {
    return digits == null ? 0 : Long.parseLong(digits);
  }

  static String human(Duration duration) {
    long seconds = Math.max(0, duration.toMillis()) / 1000;
    if (seconds < 60) {
      return duration.toMillis() < 10_000 ? String.format(java.util.Locale.ROOT, "%.1fs", duration.toMillis() / 1000.0)
          : seconds + "s";
    }
    return seconds >= 3600 ? seconds / 3600 + "h" + seconds % 3600 / 60 + "m" : seconds / 60 + "m" + seconds % 60 + "s";
  }

  private static Instant parse(String time) {
    return time == null ? Instant.EPOCH : Instant.parse(time);
  }

  private static Instant latest(Instant a, Instant b) {
    return b == null || Objects.requireNonNull(a).isAfter(b) ? a : b;
  }
}
