package dev.orch.operator.sleep;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import java.time.Instant;
import java.util.Optional;

import org.junit.jupiter.api.Test;

import dev.orch.operator.core.status.EventRecorder.Notice;
import dev.orch.operator.sleep.SleepStatus.Phase;

class SleepDecisionTest {
  private static final Instant NOW = Instant.parse("2026-11-30T12:00:00Z");
  private static final SleepSpec FIFTEEN_MINUTES = SleepSpec.afterIdle("15m");
  private static final SleepRequests.Seen NO_REQUESTS = new SleepRequests.Seen(null, null, null, null);

  private static SleepStatus awake(Instant lastActivity) {
    return new SleepStatus(Phase.AWAKE, "2026-11-30T10:00:00Z", "created", lastActivity.toString(), null, null, null);
  }

  private static GatewayActivity lastRequest(Instant at, boolean busy) {
    return new GatewayActivity(Optional.of(at), busy, true);
  }

  @Test
  void sleepsOnlyWhenEveryGatewayAnsweredNothingIsInFlightAndTheLastRequestIsAfterIdleOld() {
    Instant sixteenMinutesAgo = NOW.minus(Duration.ofMinutes(16));
    var idle = SleepDecision.decide(FIFTEEN_MINUTES, true, NO_REQUESTS, awake(sixteenMinutesAgo),
        lastRequest(sixteenMinutesAgo, false), 1, NOW);
    assertThat(idle.status().phase()).isEqualTo(Phase.ASLEEP);
    assertThat(idle.status().reason()).isEqualTo("idle for 16m0s");
    assertThat(idle.notices()).extracting(Notice::reason).containsExactly("Sleeping");
    assertThat(idle.recheckIn()).isEmpty();

    var busy = SleepDecision.decide(FIFTEEN_MINUTES, true, NO_REQUESTS, awake(sixteenMinutesAgo),
        lastRequest(sixteenMinutesAgo, true), 1, NOW);
    assertThat(busy.status().phase()).as("a WebSocket open for an hour is in flight").isEqualTo(Phase.AWAKE);
    assertThat(busy.status().lastActivity()).isEqualTo(NOW.toString());

    var partly = SleepDecision.decide(FIFTEEN_MINUTES, true, NO_REQUESTS, awake(sixteenMinutesAgo),
        new GatewayActivity(Optional.of(sixteenMinutesAgo), false, false), 2, NOW);
    assertThat(partly.status().phase()).as("one pod did not answer").isEqualTo(Phase.AWAKE);

    var recent = SleepDecision.decide(FIFTEEN_MINUTES, true, NO_REQUESTS, awake(sixteenMinutesAgo),
        lastRequest(NOW.minus(Duration.ofMinutes(14)), false), 1, NOW);
    assertThat(recent.status().phase()).isEqualTo(Phase.AWAKE);
    assertThat(recent.recheckIn()).contains(Duration.ofSeconds(30));

    var noPort = SleepDecision.decide(FIFTEEN_MINUTES, false, NO_REQUESTS, awake(sixteenMinutesAgo),
        lastRequest(sixteenMinutesAgo, false), 1, NOW);
    assertThat(noPort.status().phase()).as("nothing could wake it").isEqualTo(Phase.AWAKE);
  }

  @Test
  void theStatusRemembersActivityAcrossGatewayAndOperatorRestarts() {
    // A restarted gateway reports no request but its own start; the operator's status keeps the older request.
    Instant restarted = NOW.minus(Duration.ofMinutes(5));
    var afterRestart = SleepDecision.decide(FIFTEEN_MINUTES, true, NO_REQUESTS, awake(NOW.minus(Duration.ofMinutes(20))),
        GatewayProbe.parse("orch_gateway_inflight_requests 0\norch_gateway_last_request_timestamp_seconds 0\n"
            + "orch_gateway_start_timestamp_seconds " + restarted.getEpochSecond() + "\n"), 1, NOW);
    assertThat(afterRestart.status().phase()).isEqualTo(Phase.AWAKE);
    assertThat(afterRestart.status().lastActivity()).isEqualTo(restarted.toString());
    assertThat(GatewayProbe.parse("orch_gateway_inflight_requests 0\n").complete())
        .as("a gateway without the counters is not understood").isFalse();
  }

  @Test
  void aWakeBeatsASleepByHandAndEachAnnotationValueIsActedOnOnce() {
    SleepStatus asleep = new SleepStatus(Phase.ASLEEP, "2026-11-30T11:00:00Z", "put to sleep by hand",
        "2026-11-30T10:00:00Z", "1", null, null);
    var both = SleepDecision.decide(SleepSpec.manual(), true, new SleepRequests.Seen("2", null, "req-1", null), asleep,
        GatewayActivity.UNKNOWN, 0, NOW);
    assertThat(both.status().phase()).isEqualTo(Phase.WAKING);
    assertThat(both.status().reason()).isEqualTo("woken by a request");
    assertThat(both.status().handledSleep()).isEqualTo("2");

    var again = SleepDecision.decide(SleepSpec.manual(), true, new SleepRequests.Seen("2", null, "req-1", null), both.status(),
        GatewayActivity.UNKNOWN, 1, NOW.plusSeconds(2));
    assertThat(again.status().phase()).isEqualTo(Phase.AWAKE);
    assertThat(again.notices()).singleElement().satisfies(n -> {
      assertThat(n.reason()).isEqualTo("Awake");
      assertThat(n.message()).contains("ready 2.0s after the wake (woken by a request)");
    });

    var kept = SleepDecision.decide(SleepSpec.manual(), true, new SleepRequests.Seen("2", null, "req-1", null), again.status(),
        GatewayActivity.UNKNOWN, 1, NOW.plusSeconds(60));
    assertThat(kept.status().phase()).as("the same values again are no new request").isEqualTo(Phase.AWAKE);
    assertThat(kept.notices()).isEmpty();
  }

  @Test
  void annotationsThatCameWithTheManifestAreNoRequestAndRemovingSleepWakes() {
    var created = SleepDecision.decide(SleepSpec.manual(), true, new SleepRequests.Seen("1", null, null, null), null,
        GatewayActivity.UNKNOWN, 0, NOW);
    assertThat(created.status().phase()).isEqualTo(Phase.AWAKE);
    assertThat(created.status().handledSleep()).isEqualTo("1");

    SleepStatus asleep = new SleepStatus(Phase.ASLEEP, NOW.toString(), "put to sleep by hand", NOW.toString(), "1", null, null);
    var removed = SleepDecision.decide(null, true, new SleepRequests.Seen("1", null, null, null), asleep, GatewayActivity.UNKNOWN, 0, NOW);
    assertThat(removed.status().phase()).isEqualTo(Phase.WAKING);
  }

  @Test
  void afterIdleReadsTheDurationsTheApiServerAccepts() {
    assertThat(SleepDecision.afterIdle(SleepSpec.afterIdle("1h30m"))).isEqualTo(Duration.ofMinutes(90));
    assertThat(SleepDecision.afterIdle(SleepSpec.afterIdle("10s"))).isEqualTo(Duration.ofSeconds(10));
    assertThat(SleepDecision.pollDelay(SleepSpec.afterIdle("10s"), true)).contains(Duration.ofSeconds(2));
    assertThat(SleepDecision.pollDelay(SleepSpec.afterIdle("1m"), true)).contains(Duration.ofSeconds(12));
  }
}
