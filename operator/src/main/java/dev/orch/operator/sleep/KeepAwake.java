package dev.orch.operator.sleep;

import java.time.Duration;
import java.time.Instant;
import java.time.OffsetDateTime;
import java.time.ZoneOffset;
import java.time.format.DateTimeParseException;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Optional;
import java.util.stream.IntStream;

import dev.orch.operator.core.status.Conditions;
import dev.orch.operator.core.status.Conditions.Verdict;
import dev.orch.operator.core.status.EventRecorder.Notice;
import dev.orch.operator.core.status.OrchStatus;
import dev.orch.operator.schedule.NextFire;
import io.fabric8.kubernetes.api.model.Condition;

/**
 * Keep-awake arithmetic, as pure functions: the windows of {@code spec.sleep.keepAwake} (a cron start read in
 * {@code spec.sleep.timeZone} the way a CronJob reads it, then a duration of elapsed time) and the by-hand
 * {@code orch.dev/keep-awake} request. Zone rules come from java.time, so a daylight-saving change moves a window's
 * start with the wall clock; a start that does not exist that day (spring forward) is skipped that day, one that
 * occurs twice (fall back) starts the window once, at its first occurrence.
 */
public final class KeepAwake {
  /** The reason of the Stalled condition and of the warning when the windows cannot be read. */
  public static final String INVALID = "InvalidKeepAwake";
  /** What a by-hand keep-awake is called in the status and events. */
  static final String BY_HAND = "orch.dev/keep-awake (by hand)";
  /**
   * Overlapping windows are joined into one period; a chain longer than this (windows longer than the time between
   * their starts never end) is cut, and the operator, which looks again at the period's end, joins the next ones then.
   */
  private static final int MAX_JOINED = 8;

  private KeepAwake() {
  }

  /** Kept awake until {@code until} by {@code by} (a window, or the by-hand request). */
  public record Period(Instant until, String by) {
  }

  /**
   * The period the windows keep awake at {@code now}, overlapping and adjacent windows joined; empty outside every
   * window, and when the windows cannot be read ({@link #problem}).
   */
  public static Optional<Period> window(SleepSpec spec, Instant now) {
    if (spec == null || spec.windows().isEmpty() || problem(spec).isPresent()) {
      return Optional.empty();
    }
    Instant until = now;
    String by = null;
    for (int joined = 0; joined < MAX_JOINED; joined++) {
      Instant reached = until;
      for (KeepAwakeWindow window : spec.windows()) {
        // The latest start at or before the point reached gives the window's latest end: all its windows last as long.
        Optional<Instant> start = NextFire.atOrBefore(window.schedule(), spec.timeZone(), reached);
        Instant end = start.map(s -> s.plus(duration(window))).orElse(reached);
        if (end.isAfter(until)) {
          until = end;
          by = by == null ? describe(window, spec) : by;
        }
      }
      if (until.equals(reached)) {
        break;
      }
    }
    return by == null ? Optional.empty() : Optional.of(new Period(until, by));
  }

  /** When the next window starts after {@code now}; empty without (readable) windows. */
  public static Optional<Instant> nextStart(SleepSpec spec, Instant now) {
    if (spec == null || spec.windows().isEmpty() || problem(spec).isPresent()) {
      return Optional.empty();
    }
    return spec.windows().stream()
        .flatMap(w -> NextFire.after(w.schedule(), spec.timeZone(), now.atZone(ZoneOffset.UTC)).stream())
        .map(t -> t.toInstant()).min(Comparator.naturalOrder());
  }

  /**
   * Why a window cannot be used (a cron expression or time zone the API server's rules let through), with the fix;
   * empty when every window can.
   */
  public static Optional<String> problem(SleepSpec spec) {
    if (spec == null) {
      return Optional.empty();
    }
    List<KeepAwakeWindow> windows = spec.windows();
    return IntStream.range(0, windows.size()).boxed()
        .flatMap(i -> NextFire.problem(windows.get(i).schedule(), spec.timeZone())
            .map(p -> "spec.sleep.keepAwake[" + i + "]: " + p + "; until it is fixed the windows do not keep it awake")
            .stream())
        .findFirst();
  }

  /** The Stalled verdict while the windows cannot be read. */
  public static Optional<Verdict> stalled(SleepSpec spec) {
    return problem(spec).map(p -> Verdict.stalled(INVALID, p));
  }

  /**
   * Shows the sleep phase ({@code showPhase}), then stalls the resource while its windows cannot be read, unless
   * something else stalls it already; the state the phase set stays.
   */
  public static void showPhaseStallingOnUnreadableWindows(SleepSpec spec, OrchStatus status, List<Condition> previous,
      String now, Runnable showPhase) {
    Optional<Verdict> unreadable = stalled(spec).filter(stalled -> !Conditions.isTrue(status.getConditions(), Conditions.STALLED));
    showPhase.run();
    unreadable.ifPresent(stalled -> status.setConditions(Conditions.merge(previous, stalled, status.getObservedGeneration(), now)));
  }

  /** The notices, plus a warning when the windows cannot be read and the previous conditions did not say so yet. */
  public static List<Notice> withWarning(List<Notice> notices, SleepSpec spec, List<Condition> previous) {
    Optional<String> unsaid = problem(spec).filter(p -> Conditions.find(previous, Conditions.STALLED)
        .filter(c -> "True".equals(c.getStatus()) && p.equals(c.getMessage())).isEmpty());
    if (unsaid.isEmpty()) {
      return notices;
    }
    List<Notice> all = new ArrayList<>(notices);
    all.add(Notice.warning(INVALID, unsaid.get()));
    return all;
  }

  /**
   * Until when an {@code orch.dev/keep-awake} value keeps it awake: a duration (2h, 1h30m) counts from
   * {@code now}, when the operator acts on it; an RFC 3339 time is that time.
   *
   * @throws IllegalArgumentException saying what is wrong and what to write instead
   */
  public static Instant byHandUntil(String value, Instant now) {
    String trimmed = value.strip();
    if (SleepDecision.isDuration(trimmed)) {
      return now.plus(SleepDecision.duration("orch.dev/keep-awake", trimmed));
    }
    try {
      return OffsetDateTime.parse(trimmed).toInstant();
    } catch (DateTimeParseException e) {
      throw new IllegalArgumentException("orch.dev/keep-awake=" + value + " is neither a duration nor a time; write a"
          + " duration such as 2h or 1h30m, or an RFC 3339 time such as 2026-12-01T18:00:00Z");
    }
  }

  static String describe(KeepAwakeWindow window, SleepSpec spec) {
    return "keep-awake window \"" + window.schedule() + "\" for " + window.duration() + " ("
        + NextFire.zoneName(spec.timeZone()) + ")";
  }

  private static Duration duration(KeepAwakeWindow window) {
    return SleepDecision.duration("keepAwake duration", window.duration());
  }
}
