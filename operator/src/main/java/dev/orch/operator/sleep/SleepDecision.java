package dev.orch.operator.sleep;

import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Comparator;
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
 * none has a request or WebSocket open, and the latest activity is {@code afterIdle} old. A keep-awake window or
 * request ({@link KeepAwake}) wakes a sleeping one, holds off idleness and refuses a sleep by hand; when it ends, a
 * resource that idleness cannot put to sleep goes back to sleep.
 */
public final class SleepDecision {
  static final Duration MIN_POLL = Duration.ofSeconds(2);
  static final Duration MAX_POLL = Duration.ofSeconds(30);
  private static final java.util.regex.Pattern DURATION = java.util.regex.Pattern.compile("^(?:(\\d+)h)?(?:(\\d+)m)?(?:(\\d+)s)?$");

  private SleepDecision() {
  }

  /** The new sleep status, the events its change deserves, and when to look at it again. */
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
      Optional<KeepAwake.Period> window = KeepAwake.window(spec, now);
      SleepStatus created = new SleepStatus(Phase.AWAKE, now.toString(), "created", now.toString(), seen.sleep(),
          seen.wake(), seen.wakeOnRequest(), window.map(p -> p.until().toString()).orElse(null),
          window.map(KeepAwake.Period::by).orElse(null), null, seen.keepAwake());
      return new Outcome(created, notices, recheckIn(spec, idleCanWake, created, now));
    }
    boolean newSleep = seen.sleep() != null && !seen.sleep().equals(previous.handledSleep());
    boolean newWake = seen.wake() != null && !seen.wake().equals(previous.handledWake());
    boolean newRequest = seen.wakeOnRequest() != null && !seen.wakeOnRequest().equals(previous.handledWakeOnRequest());
    boolean newKeepAwake = seen.keepAwake() != null && !seen.keepAwake().equals(previous.handledKeepAwake());

    Instant byHandUntil = Optional.ofNullable(previous.awakeByHandUntil()).map(Instant::parse).filter(now::isBefore)
        .orElse(null);
    if (newKeepAwake) {
      byHandUntil = keptAwakeByHand(seen.keepAwake(), now, notices).orElse(byHandUntil);
    }
    Optional<KeepAwake.Period> window = spec == null ? Optional.empty() : KeepAwake.window(spec, now);
    if (newSleep && !newKeepAwake && window.isEmpty()) {
      // A later sleep by hand ends a keep-awake by hand: both are the user's word, the latest counts.
      byHandUntil = null;
    }
    Optional<KeepAwake.Period> kept = longest(window, byHandUntil);

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
    } else if ((newWake || newRequest || kept.isPresent()) && phase == Phase.ASLEEP) {
      phase = Phase.WAKING;
      since = now.toString();
      // The reason stays within status.sleep.reason's 256 characters; the event also says until when.
      reason = newRequest ? "woken by a request" : newWake ? "woken by hand" : "woken: " + kept.get().by();
      notices.add(Notice.normal("Waking", reason + (newRequest || newWake ? "" : " keeps it awake until "
          + kept.get().until()) + "; scaling up"));
    } else if (newSleep && phase != Phase.ASLEEP && !newWake && !newRequest) {
      if (kept.isPresent()) {
        notices.add(Notice.warning("SleepRefused", "orch.dev/sleep=" + seen.sleep() + " ignored: " + kept.get().by()
            + " keeps it awake until " + kept.get().until() + "; to put it to sleep now, " + (window.isPresent()
                ? "change or remove spec.sleep.keepAwake and set orch.dev/sleep again"
                : "set orch.dev/sleep again (a sleep by hand after orch.dev/keep-awake ends it)")));
      } else {
        phase = Phase.ASLEEP;
        since = now.toString();
        reason = "put to sleep by hand";
        notices.add(Notice.normal("Sleeping", reason + "; scaled to zero"));
      }
    } else if (phase == Phase.AWAKE && kept.isEmpty() && idleCanWake && spec.afterIdle() != null && activity.complete()
        && !activity.busy() && !Duration.between(lastActivity, now).minus(afterIdle(spec)).isNegative()) {
      phase = Phase.ASLEEP;
      since = now.toString();
      reason = "idle for " + human(Duration.between(lastActivity, now));
      notices.add(Notice.normal("Sleeping", reason + " (afterIdle " + spec.afterIdle() + "); scaled to zero, the next"
          + " request wakes it"));
    } else if (phase != Phase.ASLEEP && kept.isEmpty() && keepAwakeEnded(previous, now) && !sleepsWhenIdle(spec, idleCanWake)
        && !newWake && !newRequest) {
      // Nothing else would put it to sleep: the window (or request) it was kept awake by was its time awake.
      phase = Phase.ASLEEP;
      since = now.toString();
      reason = previous.keptAwakeBy() + " ended";
      notices.add(Notice.normal("Sleeping", reason + " at " + previous.keptAwakeUntil() + "; scaled to zero"));
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
        seen.wakeOnRequest(), kept.map(p -> p.until().toString()).orElse(null), kept.map(KeepAwake.Period::by).orElse(null),
        byHandUntil == null ? null : byHandUntil.toString(), seen.keepAwake());
    return new Outcome(status, notices, recheckIn(spec, idleCanWake, status, now));
  }

  /** A new orch.dev/keep-awake value's end, or a warning saying why it keeps nothing awake. */
  private static Optional<Instant> keptAwakeByHand(String value, Instant now, List<Notice> notices) {
    try {
      Instant until = KeepAwake.byHandUntil(value, now);
      if (until.isAfter(now)) {
        return Optional.of(until);
      }
      notices.add(Notice.warning("KeepAwakeRefused", "orch.dev/keep-awake=" + value + " ended before the operator saw it"
          + " (" + now + "); give a later time or a duration such as 2h"));
    } catch (IllegalArgumentException e) {
      notices.add(Notice.warning("KeepAwakeRefused", e.getMessage()));
    }
    return Optional.empty();
  }

  private static Optional<KeepAwake.Period> longest(Optional<KeepAwake.Period> window, Instant byHandUntil) {
    if (byHandUntil == null || window.isPresent() && !window.get().until().isBefore(byHandUntil)) {
      return window;
    }
    return Optional.of(new KeepAwake.Period(byHandUntil, KeepAwake.BY_HAND));
  }

  private static boolean keepAwakeEnded(SleepStatus previous, Instant now) {
    // Its end reached, not merely gone from the status because the spec's windows were removed meanwhile.
    return previous.keptAwakeUntil() != null && !now.isBefore(Instant.parse(previous.keptAwakeUntil()));
  }

  private static boolean sleepsWhenIdle(SleepSpec spec, boolean idleCanWake) {
    return spec != null && spec.afterIdle() != null && idleCanWake;
  }

  /**
   * When to look again: the gateways every poll period while idleness could put it to sleep, the end of the period
   * it is kept awake (a second late, so the edge has surely passed), and the next window's start.
   */
  static Optional<Duration> recheckIn(SleepSpec spec, boolean idleCanWake, SleepStatus status, Instant now) {
    Optional<Duration> poll = status.phase() == Phase.AWAKE && status.keptAwakeUntil() == null
        ? pollDelay(spec, idleCanWake) : Optional.empty();
    Optional<Instant> keptUntil = Optional.ofNullable(status.keptAwakeUntil()).map(Instant::parse);
    Optional<Instant> nextStart = KeepAwake.nextStart(spec, now);
    return java.util.stream.Stream.concat(poll.stream(), java.util.stream.Stream.of(keptUntil, nextStart)
            .flatMap(Optional::stream).map(edge -> Duration.between(now, edge).plusSeconds(1)))
        .min(Comparator.naturalOrder());
  }

  /** How often the gateways are asked: a fifth of afterIdle, between 2 and 30 seconds. */
  static Optional<Duration> pollDelay(SleepSpec spec, boolean idleCanWake) {
    if (!sleepsWhenIdle(spec, idleCanWake)) {
      return Optional.empty();
    }
    Duration fifth = afterIdle(spec).dividedBy(5);
    return Optional.of(fifth.compareTo(MIN_POLL) < 0 ? MIN_POLL : fifth.compareTo(MAX_POLL) > 0 ? MAX_POLL : fifth);
  }

  /** Go-style h/m/s duration as the API server validated it. */
  public static Duration afterIdle(SleepSpec spec) {
    return duration("sleep.afterIdle", spec.afterIdle());
  }

  static boolean isDuration(String text) {
    return !text.isEmpty() && DURATION.matcher(text).matches();
  }

  /** A duration written with h, m and s (1h30m); {@code field} names it in the error. */
  static Duration duration(String field, String text) {
    Matcher m = DURATION.matcher(text);
    if (text.isEmpty() || !m.matches()) {
      throw new IllegalArgumentException(field + " " + text + " is not a duration like 15m");
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
