package dev.orch.operator.swarm;

import java.util.HashMap;
import java.util.Map;
import java.util.Optional;

import dev.orch.operator.core.MetadataKeys;
import dev.orch.operator.core.reconcile.RestartRequest;

/**
 * The restart of one replica: the annotation {@code orch.dev/restartedAt.INDEX}, set the way
 * {@code orch.dev/restartedAt} restarts them all. A new value rolls that replica's pod alone, resets its crash-loop
 * counters and resumes it when it was paused. Each value is acted on once (the member's lastRestartAt), so
 * re-applying a manifest that still carries it restarts nothing, and several replicas can be restarted at once,
 * one annotation each.
 */
final class ReplicaRestart {
  private ReplicaRestart() {
  }

  static String annotation(int index) {
    return MetadataKeys.RESTARTED_AT + "." + index;
  }

  /** The replica's requested restart time, or null when none was ever requested. */
  static String requestedAt(Swarm swarm, int index) {
    Map<String, String> annotations = swarm.getMetadata().getAnnotations();
    return annotations == null ? null : annotations.get(annotation(index));
  }

  /** True for a request not yet acted on; one present before the replica's first status is part of its start. */
  static boolean isNew(Swarm swarm, int index) {
    String requested = requestedAt(swarm, index);
    return requested != null && member(swarm.getStatus(), index).filter(m -> !requested.equals(m.lastRestartAt())).isPresent();
  }

  /** What the member's status keeps: the request just seen, else the one acted on before. */
  static String actedOn(Swarm swarm, int index) {
    String requested = requestedAt(swarm, index);
    return requested != null ? requested : member(swarm.getStatus(), index).map(SwarmStatus.Member::lastRestartAt).orElse(null);
  }

  /** The swarm-wide and this replica's requests in the pod template, so that a new value of either rolls the pod. */
  static Map<String, String> podAnnotations(Swarm swarm, int index) {
    Map<String, String> annotations = new HashMap<>(RestartRequest.podAnnotations(swarm));
    Optional.ofNullable(requestedAt(swarm, index)).ifPresent(at -> annotations.put(annotation(index), at));
    return annotations;
  }

  static String command(Swarm swarm, int index) {
    return RestartRequest.command(swarm, annotation(index));
  }

  static Optional<SwarmStatus.Member> member(SwarmStatus status, int index) {
    return Optional.ofNullable(status).flatMap(s -> s.getMembers().stream().filter(m -> m.replicaIndex() == index).findFirst());
  }
}
