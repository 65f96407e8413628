package dev.orch.operator.swarm;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

import org.junit.jupiter.api.Test;

import dev.orch.operator.core.bundle.BundleCheck;
import dev.orch.operator.core.crashloop.CrashLoop;
import dev.orch.operator.core.crashloop.CrashLoopRecord;
import dev.orch.operator.core.secrets.SecretCheck;
import dev.orch.operator.core.status.Conditions;
import io.fabric8.kubernetes.api.model.ObjectMetaBuilder;
import io.fabric8.kubernetes.api.model.apps.Deployment;
import io.fabric8.kubernetes.api.model.apps.DeploymentBuilder;

/** The Swarm's counts and kstatus verdict for the outcomes reference 004 describes, without a cluster. */
class SwarmStatusCalculatorTest {

  @Test
  void failedReplicasWithinMaxFailedReplicasAreReadyAndNamedBeyondItStalled() {
    SwarmStatus within = compute(swarm(5, 2), Set.of(3, 4), Set.of(0, 1, 2));
    assertThat(within.getDeployed()).isEqualTo(3);
    assertThat(within.getFailedCount()).isEqualTo(2);
    assertThat(Conditions.find(within.getConditions(), Conditions.READY).orElseThrow())
        .satisfies(c -> assertThat(c.getStatus()).isEqualTo("True"))
        .satisfies(c -> assertThat(c.getReason()).isEqualTo("ReplicasFailedWithinTolerance"))
        .satisfies(c -> assertThat(c.getMessage()).startsWith("3/5 replicas ready; 2 failed (3: CrashLoop, 4: CrashLoop)")
            .contains("kubectl -n team annotate swarm crawlers orch.dev/restartedAt.3=$(date -u +%Y-%m-%dT%H:%M:%SZ) --overwrite"));
    assertThat(Conditions.isTrue(within.getConditions(), Conditions.STALLED)).isFalse();
    assertThat(within.getFailed().get(1).message()).contains("orch.dev/restartedAt.4=");

    SwarmStatus beyond = compute(swarm(5, 1), Set.of(3, 4), Set.of(0, 1, 2));
    assertThat(Conditions.find(beyond.getConditions(), Conditions.STALLED).orElseThrow())
        .satisfies(c -> assertThat(c.getStatus()).isEqualTo("True"))
        .satisfies(c -> assertThat(c.getReason()).isEqualTo("ReplicasFailed"));
    assertThat(Conditions.isTrue(beyond.getConditions(), Conditions.READY)).isFalse();
  }

  @Test
  void toleratedFailuresWaitForTheOthersToBeReady() {
    SwarmStatus starting = compute(swarm(4, 1), Set.of(0), Set.of(1, 2));
    assertThat(starting.getDeployed()).as("replica 3 is starting: deployed, not ready").isEqualTo(3);
    assertThat(Conditions.isTrue(starting.getConditions(), Conditions.RECONCILING)).isTrue();
    assertThat(Conditions.isTrue(starting.getConditions(), Conditions.READY)).isFalse();
  }

  @Test
  void aReplicaRestartIsNewOnlyUntilActedOn() {
    Swarm swarm = swarm(3, 0);
    swarm.getMetadata().setAnnotations(Map.of("orch.dev/restartedAt.1", "2026-11-30T03:00:00Z"));
    assertThat(ReplicaRestart.isNew(swarm, 1)).as("present before the first status: part of the start").isFalse();
    swarm.setStatus(compute(swarm, Set.of(), Set.of(0, 1, 2)));
    assertThat(swarm.getStatus().getMembers().get(1).lastRestartAt()).isEqualTo("2026-11-30T03:00:00Z");
    assertThat(ReplicaRestart.isNew(swarm, 1)).isFalse();
    swarm.getMetadata().setAnnotations(Map.of("orch.dev/restartedAt.1", "2026-11-30T04:00:00Z"));
    assertThat(ReplicaRestart.isNew(swarm, 1)).isTrue();
    assertThat(ReplicaRestart.isNew(swarm, 0)).isFalse();
    assertThat(ReplicaRestart.podAnnotations(swarm, 1)).containsEntry("orch.dev/restartedAt.1", "2026-11-30T04:00:00Z");
    assertThat(ReplicaRestart.podAnnotations(swarm, 0)).isEmpty();
  }

  private static SwarmStatus compute(Swarm swarm, Set<Integer> failed, Set<Integer> ready) {
    Map<String, Deployment> deployments = new HashMap<>();
    Map<Integer, CrashLoop.Counters> crashes = new HashMap<>();
    for (int index = 0; index < swarm.getSpec().getReplicas(); index++) {
      deployments.put(Integer.toString(index), new DeploymentBuilder().withNewMetadata().withName("crawlers-" + index)
          .endMetadata().withNewStatus().withReadyReplicas(ready.contains(index) ? 1 : 0).endStatus().build());
      CrashLoopRecord record = new CrashLoopRecord();
      record.setAutoPaused(failed.contains(index));
      crashes.put(index, new CrashLoop.Counters(failed.contains(index) ? 5 : 0, failed.contains(index) ? 5 : 0,
          failed.contains(index) ? "Error (exit code 1): queue unreachable" : null, record));
    }
    var seen = new SwarmStatusCalculator.Observation(deployments, Map.of(), crashes, java.util.Set.of(), BundleCheck.notAConfigMap(),
        SecretCheck.of("team", "orch-secrets", List.of(), Set.of(), true), "2026-11-30T03:00:00Z");
    return SwarmStatusCalculator.compute(swarm, seen);
  }

  private static Swarm swarm(int replicas, int maxFailedReplicas) {
    SwarmSpec spec = new SwarmSpec();
    spec.setAgent("acme/crawler");
    spec.setReplicas(replicas);
    spec.setMaxFailedReplicas(maxFailedReplicas);
    Swarm swarm = new Swarm();
    swarm.setMetadata(new ObjectMetaBuilder().withName("crawlers").withNamespace("team").withGeneration(1L).build());
    swarm.setSpec(spec);
    swarm.setStatus(new SwarmStatus());
    return swarm;
  }
}
