package dev.orch.operator.sleep;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import java.time.Instant;
import java.util.Optional;

import org.junit.jupiter.api.Test;

import dev.orch.operator.core.status.EventRecorder.Notice;
import dev.orch.operator.sleep.SleepStatus.Phase;

/** How keep-awake windows and orch.dev/keep-awake change SleepDecision's answer. */
class KeepAwakeDecisionTest {
  private static final Instant NOON = Instant.parse("2026-11-30T12:00:00Z");
  private static final KeepAwakeWindow NOON_FOR_AN_HOUR = new KeepAwakeWindow("0 12 * * *", "1h");
  private static final SleepSpec IDLE_WITH_WINDOW = SleepSpec.afterIdle("15m").keptAwake(null, NOON_FOR_AN_HOUR);
  private static final SleepSpec MANUAL_WITH_WINDOW = SleepSpec.manual().keptAwake(null, NOON_FOR_AN_HOUR);
  private static final SleepRequests.Seen NO_REQUESTS = new SleepRequests.Seen(null, null, null, null);
  private static final GatewayActivity IDLE_SINCE_TEN = new GatewayActivity(Optional.of(Instant.parse("2026-11-30T10:00:00Z")),
      false, true);

  private static SleepStatus asleep() {
    return new SleepStatus(Phase.ASLEEP, "2026-11-30T11:00:00Z", "idle for 15m0s", "2026-11-30T10:00:00Z", null, null, null);
  }

  private static SleepStatus awake() {
    return new SleepStatus(Phase.AWAKE, "2026-11-30T09:00:00Z", "created", "2026-11-30T10:00:00Z", null, null, null);
  }

  @Test
  void aWindowWakesASleepingServiceAndSaysUntilWhen() {
    var woken = SleepDecision.decide(IDLE_WITH_WINDOW, true, NO_REQUESTS, asleep(), GatewayActivity.UNKNOWN, 0, NOON.plusSeconds(1));
    assertThat(woken.status().phase()).isEqualTo(Phase.WAKING);
    assertThat(woken.status().keptAwakeUntil()).isEqualTo("2026-11-30T13:00:00Z");
    assertThat(woken.status().keptAwakeBy()).isEqualTo("keep-awake window \"0 12 * * *\" for 1h (UTC)");
    assertThat(woken.status().reason()).isEqualTo("woken: keep-awake window \"0 12 * * *\" for 1h (UTC)");
    assertThat(woken.notices()).singleElement().satisfies(n -> {
      assertThat(n.reason()).isEqualTo("Waking");
      assertThat(n.message()).isEqualTo("woken: keep-awake window \"0 12 * * *\" for 1h (UTC) keeps it awake until"
          + " 2026-11-30T13:00:00Z; scaling up");
    });
    assertThat(woken.recheckIn()).as("back a second after the window ends").contains(Duration.ofMinutes(60));

    var before = SleepDecision.decide(IDLE_WITH_WINDOW, true, NO_REQUESTS, asleep(), GatewayActivity.UNKNOWN, 0,
        NOON.minusSeconds(90));
    assertThat(before.status().phase()).isEqualTo(Phase.ASLEEP);
    assertThat(before.recheckIn()).as("back a second after the window starts, not by polling").contains(Duration.ofSeconds(91));
  }

  @Test
  void insideAWindowIdlenessDoesNotPutItToSleepAndAfterItItDoes() {
    var inside = SleepDecision.decide(IDLE_WITH_WINDOW, true, NO_REQUESTS, awake(), IDLE_SINCE_TEN, 1, NOON.plusSeconds(1800));
    assertThat(inside.status().phase()).as("idle for two hours, but inside the window").isEqualTo(Phase.AWAKE);
    assertThat(inside.recheckIn()).as("no gateway polling while kept awake").contains(Duration.ofSeconds(1801));

    var after = SleepDecision.decide(IDLE_WITH_WINDOW, true, NO_REQUESTS, inside.status(), IDLE_SINCE_TEN, 1,
        Instant.parse("2026-11-30T13:00:01Z"));
    assertThat(after.status().phase()).isEqualTo(Phase.ASLEEP);
    assertThat(after.status().reason()).startsWith("idle for 3h");
    assertThat(after.status().keptAwakeUntil()).isNull();
  }

  @Test
  void aSleepByHandInsideAWindowIsRefusedOnceWithAWarning() {
    var refused = SleepDecision.decide(IDLE_WITH_WINDOW, true, new SleepRequests.Seen("s1", null, null, null), awake(),
        IDLE_SINCE_TEN, 1, NOON.plusSeconds(60));
    assertThat(refused.status().phase()).isEqualTo(Phase.AWAKE);
    assertThat(refused.status().handledSleep()).as("refused, not deferred").isEqualTo("s1");
    assertThat(refused.notices()).singleElement().satisfies(n -> {
      assertThat(n.type()).hasToString("Warning");
      assertThat(n.reason()).isEqualTo("SleepRefused");
      assertThat(n.message()).isEqualTo("orch.dev/sleep=s1 ignored: keep-awake window \"0 12 * * *\" for 1h (UTC) keeps"
          + " it awake until 2026-11-30T13:00:00Z; to put it to sleep now, change or remove spec.sleep.keepAwake and set"
          + " orch.dev/sleep again");
    });
    var later = SleepDecision.decide(MANUAL_WITH_WINDOW, true, new SleepRequests.Seen("s1", null, null, null),
        refused.status(), GatewayActivity.UNKNOWN, 1, Instant.parse("2026-11-30T12:30:00Z"));
    assertThat(later.notices()).isEmpty();
  }

  @Test
  void withoutAfterIdleOrForASwarmTheEndOfAWindowPutsItBackToSleep() {
    var woken = SleepDecision.decide(MANUAL_WITH_WINDOW, false, NO_REQUESTS, asleep(), GatewayActivity.UNKNOWN, 0, NOON);
    var awakeInside = SleepDecision.decide(MANUAL_WITH_WINDOW, false, NO_REQUESTS, woken.status(), GatewayActivity.UNKNOWN,
        2, NOON.plusSeconds(20));
    assertThat(awakeInside.status().phase()).isEqualTo(Phase.AWAKE);
    assertThat(awakeInside.notices()).extracting(Notice::reason).containsExactly("Awake");

    var ended = SleepDecision.decide(MANUAL_WITH_WINDOW, false, NO_REQUESTS, awakeInside.status(), GatewayActivity.UNKNOWN,
        2, Instant.parse("2026-11-30T13:00:01Z"));
    assertThat(ended.status().phase()).isEqualTo(Phase.ASLEEP);
    assertThat(ended.status().reason()).isEqualTo("keep-awake window \"0 12 * * *\" for 1h (UTC) ended");
    assertThat(ended.notices()).singleElement().satisfies(n -> assertThat(n.message())
        .isEqualTo("keep-awake window \"0 12 * * *\" for 1h (UTC) ended at 2026-11-30T13:00:00Z; scaled to zero"));
    assertThat(ended.recheckIn()).as("until tomorrow's window").contains(Duration.ofHours(23));

    var removedMeanwhile = SleepDecision.decide(SleepSpec.manual(), false, NO_REQUESTS, awakeInside.status(),
        GatewayActivity.UNKNOWN, 2, NOON.plusSeconds(600));
    assertThat(removedMeanwhile.status().phase()).as("a window removed before its end puts nothing to sleep")
        .isEqualTo(Phase.AWAKE);
  }

  @Test
  void keepAwakeByHandWakesForItsDurationOnceAndALaterSleepByHandEndsIt() {
    var kept = SleepDecision.decide(SleepSpec.manual(), false, new SleepRequests.Seen(null, null, null, "2h"), asleep(),
        GatewayActivity.UNKNOWN, 0, NOON);
    assertThat(kept.status().phase()).isEqualTo(Phase.WAKING);
    assertThat(kept.status().keptAwakeUntil()).isEqualTo("2026-11-30T14:00:00Z");
    assertThat(kept.status().awakeByHandUntil()).isEqualTo("2026-11-30T14:00:00Z");
    assertThat(kept.status().reason()).isEqualTo("woken: orch.dev/keep-awake (by hand)");

    var sameValueLater = SleepDecision.decide(SleepSpec.manual(), false, new SleepRequests.Seen(null, null, null, "2h"),
        kept.status(), GatewayActivity.UNKNOWN, 1, NOON.plusSeconds(3600));
    assertThat(sameValueLater.status().keptAwakeUntil()).as("acted on once: the end does not move")
        .isEqualTo("2026-11-30T14:00:00Z");

    var slept = SleepDecision.decide(SleepSpec.manual(), false, new SleepRequests.Seen("s1", null, null, "2h"),
        sameValueLater.status(), GatewayActivity.UNKNOWN, 1, NOON.plusSeconds(3660));
    assertThat(slept.status().phase()).isEqualTo(Phase.ASLEEP);
    assertThat(slept.status().reason()).isEqualTo("put to sleep by hand");
    assertThat(slept.status().keptAwakeUntil()).isNull();
    assertThat(slept.status().awakeByHandUntil()).isNull();
  }

  @Test
  void aKeepAwakeValueThatKeepsNothingAwakeIsAWarning() {
    var wrong = SleepDecision.decide(SleepSpec.manual(), true, new SleepRequests.Seen(null, null, null, "tomorrow"), awake(),
        GatewayActivity.UNKNOWN, 1, NOON);
    assertThat(wrong.notices()).singleElement().satisfies(n -> {
      assertThat(n.reason()).isEqualTo("KeepAwakeRefused");
      assertThat(n.message()).contains("orch.dev/keep-awake=tomorrow is neither a duration nor a time");
    });
    assertThat(wrong.status().handledKeepAwake()).isEqualTo("tomorrow");
    var past = SleepDecision.decide(SleepSpec.manual(), true, new SleepRequests.Seen(null, null, null, "2026-11-30T11:00:00Z"),
        awake(), GatewayActivity.UNKNOWN, 1, NOON);
    assertThat(past.notices()).extracting(Notice::reason).containsExactly("KeepAwakeRefused");
    assertThat(past.status().keptAwakeUntil()).isNull();
  }

  @Test
  void theLongestWindowTheApiServerAcceptsFitsTheStatusFields() {
    StringBuilder minutes = new StringBuilder("0");
    for (int minute = 1; minutes.length() + (",0" + minute).length() + " 12 * * *".length() <= 128; minute++) {
      minutes.append(',').append(minute);
    }
    String schedule = minutes + " 12 * * *";
    SleepSpec longest = SleepSpec.manual().keptAwake("America/Argentina/ComodRivadavia",
        new KeepAwakeWindow(schedule, "100h59m59s"));
    var woken = SleepDecision.decide(longest, false, NO_REQUESTS, asleep(), GatewayActivity.UNKNOWN, 0,
        Instant.parse("2026-11-30T15:30:00Z"));
    assertThat(woken.status().phase()).isEqualTo(Phase.WAKING);
    assertThat(woken.status().reason()).hasSizeLessThanOrEqualTo(256);
    assertThat(woken.status().keptAwakeBy()).hasSizeLessThanOrEqualTo(256);
    assertThat(schedule).hasSizeGreaterThan(120);
  }

  @Test
  void aServiceCreatedInsideAWindowShowsIt() {
    var created = SleepDecision.decide(IDLE_WITH_WINDOW, true, NO_REQUESTS, null, GatewayActivity.UNKNOWN, 0, NOON.plusSeconds(5));
    assertThat(created.status().keptAwakeUntil()).isEqualTo("2026-11-30T13:00:00Z");
  }
}
