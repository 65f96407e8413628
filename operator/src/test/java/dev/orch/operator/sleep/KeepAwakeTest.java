package dev.orch.operator.sleep;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.time.Instant;

import org.junit.jupiter.api.Test;

class KeepAwakeTest {
  private static final SleepSpec OFFICE_HOURS = SleepSpec.afterIdle("15m").keptAwake("Europe/Berlin",
      new KeepAwakeWindow("0 8 * * 1-5", "10h"));

  @Test
  void anOfficeHoursWindowCoversWeekdaysFromEightForTenHoursInItsZone() {
    // Monday 30 November 2026, Berlin is UTC+1: the window runs 07:00-17:00 UTC.
    assertThat(KeepAwake.window(OFFICE_HOURS, Instant.parse("2026-11-30T06:59:59Z"))).isEmpty();
    assertThat(KeepAwake.window(OFFICE_HOURS, Instant.parse("2026-11-30T07:00:00Z")))
        .hasValueSatisfying(p -> {
          assertThat(p.until()).isEqualTo(Instant.parse("2026-11-30T17:00:00Z"));
          assertThat(p.by()).isEqualTo("keep-awake window \"0 8 * * 1-5\" for 10h (Europe/Berlin)");
        });
    assertThat(KeepAwake.window(OFFICE_HOURS, Instant.parse("2026-11-30T16:59:59Z"))).isPresent();
    assertThat(KeepAwake.window(OFFICE_HOURS, Instant.parse("2026-11-30T17:00:00Z"))).as("the end is outside").isEmpty();
    assertThat(KeepAwake.nextStart(OFFICE_HOURS, Instant.parse("2026-11-30T17:00:00Z")))
        .contains(Instant.parse("2026-12-01T07:00:00Z"));
    // Saturday 5 December: the next window is Monday's.
    assertThat(KeepAwake.window(OFFICE_HOURS, Instant.parse("2026-12-05T09:00:00Z"))).isEmpty();
    assertThat(KeepAwake.nextStart(OFFICE_HOURS, Instant.parse("2026-12-05T09:00:00Z")))
        .contains(Instant.parse("2026-12-07T07:00:00Z"));
  }

  @Test
  void aWindowSpanningMidnightCoversTheNextMorning() {
    SleepSpec nightly = SleepSpec.manual().keptAwake(null, new KeepAwakeWindow("0 22 * * *", "8h"));
    assertThat(KeepAwake.window(nightly, Instant.parse("2026-12-01T03:00:00Z")))
        .hasValueSatisfying(p -> assertThat(p.until()).isEqualTo(Instant.parse("2026-12-01T06:00:00Z")));
    assertThat(KeepAwake.window(nightly, Instant.parse("2026-12-01T06:00:00Z"))).isEmpty();
    assertThat(KeepAwake.window(nightly, Instant.parse("2026-11-30T21:59:00Z"))).isEmpty();
    assertThat(KeepAwake.nextStart(nightly, Instant.parse("2026-12-01T03:00:00Z")))
        .contains(Instant.parse("2026-12-01T22:00:00Z"));
  }

  @Test
  void aDaylightSavingChangeMovesTheStartWithTheWallClockAndTheDurationIsElapsedTime() {
    // Europe/Berlin springs forward on Sunday 29 March 2026 at 02:00 (UTC+1 -> UTC+2).
    SleepSpec daily = SleepSpec.manual().keptAwake("Europe/Berlin", new KeepAwakeWindow("0 8 * * *", "10h"));
    assertThat(KeepAwake.nextStart(daily, Instant.parse("2026-03-28T12:00:00Z")))
        .as("08:00 CEST is 06:00 UTC").contains(Instant.parse("2026-03-29T06:00:00Z"));
    assertThat(KeepAwake.window(daily, Instant.parse("2026-03-28T16:59:00Z")))
        .hasValueSatisfying(p -> assertThat(p.until()).isEqualTo(Instant.parse("2026-03-28T17:00:00Z")));
    assertThat(KeepAwake.window(daily, Instant.parse("2026-03-29T06:30:00Z")))
        .hasValueSatisfying(p -> assertThat(p.until()).isEqualTo(Instant.parse("2026-03-29T16:00:00Z")));

    // A window across the change lasts its ten hours: 22:00 CET + 10h is 09:00 CEST on the wall clock.
    SleepSpec overnight = SleepSpec.manual().keptAwake("Europe/Berlin", new KeepAwakeWindow("0 22 * * *", "10h"));
    assertThat(KeepAwake.window(overnight, Instant.parse("2026-03-29T06:30:00Z")))
        .hasValueSatisfying(p -> assertThat(p.until()).isEqualTo(Instant.parse("2026-03-29T07:00:00Z")));

    // 02:30 does not exist on 29 March: that day has no window; it occurs twice on 25 October: one window.
    SleepSpec early = SleepSpec.manual().keptAwake("Europe/Berlin", new KeepAwakeWindow("30 2 * * *", "1h"));
    assertThat(KeepAwake.nextStart(early, Instant.parse("2026-03-28T12:00:00Z")))
        .contains(Instant.parse("2026-03-30T00:30:00Z"));
    assertThat(KeepAwake.nextStart(early, Instant.parse("2026-10-24T12:00:00Z")))
        .as("the first 02:30, still CEST").contains(Instant.parse("2026-10-25T00:30:00Z"));
    assertThat(KeepAwake.nextStart(early, Instant.parse("2026-10-25T00:30:00Z")))
        .contains(Instant.parse("2026-10-26T01:30:00Z"));
  }

  @Test
  void overlappingAndAdjacentWindowsAreOnePeriod() {
    SleepSpec split = SleepSpec.manual().keptAwake(null, new KeepAwakeWindow("0 8 * * *", "4h"),
        new KeepAwakeWindow("0 12 * * *", "2h"), new KeepAwakeWindow("0 13 * * *", "3h"));
    assertThat(KeepAwake.window(split, Instant.parse("2026-11-30T09:00:00Z")))
        .hasValueSatisfying(p -> {
          assertThat(p.until()).isEqualTo(Instant.parse("2026-11-30T16:00:00Z"));
          assertThat(p.by()).contains("\"0 8 * * *\"");
        });
    SleepSpec always = SleepSpec.manual().keptAwake(null, new KeepAwakeWindow("@hourly", "90m"));
    Instant cut = KeepAwake.window(always, Instant.parse("2026-11-30T09:10:00Z")).orElseThrow().until();
    assertThat(cut).as("a chain of windows is cut").isAfter(Instant.parse("2026-11-30T15:00:00Z"));
    assertThat(KeepAwake.window(always, cut)).as("the operator joins the next ones when it gets there")
        .hasValueSatisfying(p -> assertThat(p.until()).isAfter(cut.plusSeconds(6 * 3600)));
  }

  @Test
  void aWindowTheApiServerCannotCheckIsAProblemWithItsFixAndKeepsNothingAwake() {
    SleepSpec badCron = SleepSpec.manual().keptAwake(null, new KeepAwakeWindow("0 8 * * 1-5", "1h"),
        new KeepAwakeWindow("61 8 * * *", "1h"));
    assertThat(KeepAwake.problem(badCron)).hasValueSatisfying(p -> assertThat(p)
        .startsWith("spec.sleep.keepAwake[1]: schedule \"61 8 * * *\" is not a valid cron expression")
        .contains("e.g. \"0 9 * * 1-5\""));
    assertThat(KeepAwake.window(badCron, Instant.parse("2026-11-30T08:30:00Z"))).isEmpty();
    assertThat(KeepAwake.stalled(badCron)).hasValueSatisfying(v -> assertThat(v.reason()).isEqualTo("InvalidKeepAwake"));

    SleepSpec badZone = SleepSpec.manual().keptAwake("Europe/Atlantis", new KeepAwakeWindow("0 8 * * *", "1h"));
    assertThat(KeepAwake.problem(badZone)).hasValueSatisfying(p -> assertThat(p)
        .contains("timeZone \"Europe/Atlantis\" is not a known IANA time zone", "Europe/Berlin"));
    assertThat(KeepAwake.problem(OFFICE_HOURS)).isEmpty();
    assertThat(KeepAwake.problem(SleepSpec.manual())).isEmpty();
  }

  @Test
  void byHandADurationCountsFromNowAndATimeIsThatTime() {
    Instant now = Instant.parse("2026-11-30T12:00:00Z");
    assertThat(KeepAwake.byHandUntil("2h", now)).isEqualTo(Instant.parse("2026-11-30T14:00:00Z"));
    assertThat(KeepAwake.byHandUntil("1h30m", now)).isEqualTo(Instant.parse("2026-11-30T13:30:00Z"));
    assertThat(KeepAwake.byHandUntil("2026-11-30T19:00:00+01:00", now)).isEqualTo(Instant.parse("2026-11-30T18:00:00Z"));
    assertThatThrownBy(() -> KeepAwake.byHandUntil("soon", now)).hasMessageContaining("orch.dev/keep-awake=soon is"
        + " neither a duration nor a time; write a duration such as 2h");
    assertThatThrownBy(() -> KeepAwake.byHandUntil("", now)).isInstanceOf(IllegalArgumentException.class);
  }
}
