package dev.orch.operator.core.reconcile;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;

import org.junit.jupiter.api.Test;

import dev.orch.operator.core.crashloop.CrashLoop;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.PodBuilder;

class OwnedResourcesTest {
  private static final Instant NOW = Instant.parse("2026-11-23T12:00:00Z");

  /** A pod as the kubelet reports a crash-looping agent, with the spec and status fields nothing reads. */
  private static Pod crashLooping() {
    return new PodBuilder()
        .withNewMetadata().withName("bot-7d9-x2").withNamespace("team-a").withUid("u-1").withResourceVersion("42")
        .withLabels(Map.of(Labels.INSTANCE, "bot", "batch.kubernetes.io/job-name", "run-1"))
        .withDeletionTimestamp("2026-11-23T11:59:00Z").withGenerateName("bot-7d9-").endMetadata()
        .withNewSpec().addNewContainer().withName("agent").withImage("runner").addNewEnv().withName("A").withValue("b").endEnv()
        .endContainer().endSpec()
        .withNewStatus().withPhase("Running").addNewCondition().withType("Ready").withStatus("False").endCondition()
        .addNewContainerStatus().withName("agent").withImage("runner").withImageID("sha256:1").withRestartCount(3).withReady(false)
        .withNewState().withNewRunning().withStartedAt("2026-11-23T11:58:00Z").endRunning().endState()
        .withNewLastState().withNewTerminated().withExitCode(1).withReason("Error").withMessage("KeyError: 'TOKEN'")
        .endTerminated().endLastState().endContainerStatus()
        .endStatus().build();
  }

  @Test
  void aCachedPodKeepsWhatCrashTrackingAndRunHistoryReadAndNoSpec() {
    Pod kept = OwnedResources.trackedPart(crashLooping());

    assertThat(kept.getSpec()).isNull();
    assertThat(kept.getMetadata().getGenerateName()).isNull();
    assertThat(kept.getStatus().getPhase()).isNull();
    assertThat(kept.getMetadata().getLabels()).isEqualTo(crashLooping().getMetadata().getLabels());
    assertThat(kept.getMetadata().getDeletionTimestamp()).isEqualTo("2026-11-23T11:59:00Z");
    var tracked = CrashLoop.track(CrashLoop.Counters.none(), List.of(kept), "agent", 5, false, Duration.ofMinutes(10), NOW);
    var fromWholePod = CrashLoop.track(CrashLoop.Counters.none(), List.of(crashLooping()), "agent", 5, false,
        Duration.ofMinutes(10), NOW);
    assertThat(tracked).usingRecursiveComparison().isEqualTo(fromWholePod);
    assertThat(tracked.counters().lastError()).isEqualTo("Error (exit code 1): KeyError: 'TOKEN'");
  }

  @Test
  void aPodWithoutContainerStatusesStaysReadable() {
    Pod pending = new PodBuilder().withNewMetadata().withName("p").withNamespace("n").endMetadata().build();
    assertThat(OwnedResources.trackedPart(pending).getStatus().getContainerStatuses()).isEmpty();
  }
}
