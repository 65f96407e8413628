package dev.orch.operator.core.crashloop;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import java.time.Instant;
import java.util.List;

import org.junit.jupiter.api.Test;

import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.PodBuilder;

class CrashLoopTest {
  private static final Instant NOW = Instant.parse("2026-11-23T12:00:00Z");
  private static final Duration STABLE = Duration.ofMinutes(10);
  private static final CrashLoop.Counters FRESH = new CrashLoop.Counters(0, 0, null, new CrashLoopRecord());

  @Test
  void warningAtHalfRoundedUpThenCriticalAndPauseAtTheThreshold() {
    assertThat(CrashLoop.warningAt(5)).isEqualTo(3);
    assertThat(CrashLoop.warningAt(4)).isEqualTo(2);
    assertThat(CrashLoop.warningAt(1)).isEqualTo(1);

    CrashLoop.Result two = track(FRESH, crashed("a", 2));
    assertThat(two.counters().consecutiveFailures()).isEqualTo(2);
    assertThat(two.crossed()).isEmpty();
    CrashLoop.Result three = track(two.counters(), crashed("a", 3));
    assertThat(three.crossed()).contains(CrashLoop.WARNING);
    CrashLoop.Result four = track(three.counters(), crashed("a", 4));
    assertThat(four.crossed()).as("each level alerts once").isEmpty();
    CrashLoop.Result five = track(four.counters(), crashed("a", 5));
    assertThat(five.crossed()).contains(CrashLoop.CRITICAL);
    assertThat(five.counters().record().isAutoPaused()).isTrue();
    assertThat(five.counters().lastError()).isEqualTo("Error (exit code 1): KeyError: 'TOKEN'");
    assertThat(track(five.counters(), crashed("a", 5)).crossed()).as("re-observing does not alert again").isEmpty();
  }

  @Test
  void aNewPauseIsHeldOnlyOnceStatusRecordsItSoAStoppedOperatorCannotLoseTheCrashes() {
    CrashLoop.Result crossed = track(FRESH, crashed("a", 5));
    assertThat(crossed.counters().record().isAutoPaused()).isTrue();
    assertThat(crossed.pauseRecorded()).as("the pods that show the crashes stay until status records them").isFalse();
    assertThat(crossed.lookAgainIn()).as("the next reconcile applies the pause").contains(Duration.ZERO);

    CrashLoop.Result recorded = track(crossed.counters(), crashed("a", 5));
    assertThat(recorded.pauseRecorded()).isTrue();
    assertThat(recorded.lookAgainIn()).isEmpty();
    assertThat(CrashLoop.track(recorded.counters(), List.of(), "agent", 5, true, STABLE, NOW).pauseRecorded())
        .as("a restart request resumes at once").isFalse();
  }

  @Test
  void restartsSurviveReplacedPods() {
    CrashLoop.Result first = track(FRESH, crashed("a", 2));
    CrashLoop.Result replaced = track(first.counters(), crashed("b", 1));
    assertThat(replaced.counters().restartCount()).isEqualTo(3);
    assertThat(replaced.counters().record().getPods()).extracting(CrashLoopRecord.PodRestarts::uid).containsExactly("b");
  }

  @Test
  void aPodThatNeverRestartedLeavesTheRecordAsItWas() {
    CrashLoop.Result started = track(FRESH, running("a", 0, NOW.minusSeconds(5)));
    assertThat(started.counters().record().getPods()).as("nothing to write to status for a new pod").isEmpty();
    assertThat(started.counters().restartCount()).isZero();
    CrashLoop.Result crashed = track(started.counters(), crashed("a", 1));
    assertThat(crashed.counters().restartCount()).isEqualTo(1);
    assertThat(crashed.counters().record().getPods()).extracting(CrashLoopRecord.PodRestarts::uid).containsExactly("a");
  }

  @Test
  void aRestartRequestClearsTheStreakAndResumes() {
    CrashLoop.Result paused = track(FRESH, crashed("a", 5));
    CrashLoop.Result restarted = CrashLoop.track(paused.counters(), List.of(), "agent", 5, true, STABLE, NOW);
    assertThat(restarted.counters().consecutiveFailures()).isZero();
    assertThat(restarted.counters().record().isAutoPaused()).isFalse();
    assertThat(restarted.counters().restartCount()).as("total restarts are history, not reset").isEqualTo(5);
  }

  @Test
  void aLongEnoughHealthyRunClearsTheStreak() {
    CrashLoop.Result failing = track(FRESH, crashed("a", 2));
    CrashLoop.Result young = track(failing.counters(), running("a", 2, NOW.minusSeconds(60)));
    assertThat(young.counters().consecutiveFailures()).isEqualTo(2);
    assertThat(young.recheckIn()).contains(Duration.ofMinutes(9));
    CrashLoop.Result stable = track(failing.counters(), running("a", 2, NOW.minus(STABLE)));
    assertThat(stable.counters().consecutiveFailures()).isZero();
  }

  private static CrashLoop.Result track(CrashLoop.Counters previous, Pod pod) {
    return CrashLoop.track(previous, List.of(pod), "agent", 5, false, STABLE, NOW);
  }

  private static Pod crashed(String uid, int restarts) {
    return new PodBuilder().withNewMetadata().withName("pod-" + uid).withUid(uid).endMetadata()
        .withNewStatus().addNewContainerStatus().withName("agent").withRestartCount(restarts)
        .withNewState().withNewWaiting().withReason("CrashLoopBackOff").endWaiting().endState()
        .withNewLastState().withNewTerminated().withExitCode(1).withReason("Error").withMessage("KeyError: 'TOKEN'\n")
        .endTerminated().endLastState().endContainerStatus().endStatus().build();
  }

  private static Pod running(String uid, int restarts, Instant since) {
    return new PodBuilder().withNewMetadata().withName("pod-" + uid).withUid(uid).endMetadata()
        .withNewStatus().addNewContainerStatus().withName("agent").withRestartCount(restarts)
        .withNewState().withNewRunning().withStartedAt(since.toString()).endRunning().endState()
        .endContainerStatus().endStatus().build();
  }
}
