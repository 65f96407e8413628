package dev.orch.operator.swarm;

import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;

import dev.orch.operator.agent.AgentDeployment;
import dev.orch.operator.agentservice.rollout.CanaryRollout;
import dev.orch.operator.core.MetadataKeys;
import io.fabric8.kubernetes.api.model.apps.Deployment;
import io.fabric8.kubernetes.api.model.apps.DeploymentBuilder;

/**
 * A rolling update across a Swarm's members: with {@code rollout.maxUnavailable}, a new template reaches at most
 * that many running replicas at a time; the others keep the template they run until an updated one is ready.
 * Replicas that serve nothing anyway (not ready, paused, crash-looped) take the new template at once: waiting
 * would only keep a broken version.
 */
final class MemberRollout {
  private MemberRollout() {
  }

  /** The members to apply, and the replicas still held on their previous template. */
  record Result(Map<String, Deployment> members, Set<Integer> outdated) {
  }

  static Result limit(Swarm swarm, Map<String, Deployment> desired, Map<String, Deployment> observed) {
    Map<String, Deployment> members = new LinkedHashMap<>();
    desired.forEach((key, member) -> members.put(key, withHash(member)));
    Integer maxUnavailable = swarm.getSpec().getRollout() == null ? null : swarm.getSpec().getRollout().maxUnavailable();
    Set<Integer> outdated = new TreeSet<>();
    if (maxUnavailable == null) {
      return new Result(members, outdated);
    }
    int unavailable = 0;
    for (var entry : members.entrySet()) {
      Deployment now = observed.get(entry.getKey());
      if (now != null && hash(now).equals(hash(entry.getValue())) && running(entry.getValue()) && !available(now)) {
        unavailable++; // updated, not rolled out and ready yet
      }
    }
    int budget = maxUnavailable - unavailable;
    for (var entry : members.entrySet()) {
      Deployment now = observed.get(entry.getKey());
      Deployment wanted = entry.getValue();
      if (now == null || hash(now).equals(hash(wanted)) || !running(wanted) || AgentDeployment.readyReplicas(now) < 1) {
        continue;
      }
      if (budget > 0) {
        budget--;
      } else {
        outdated.add(Integer.parseInt(entry.getKey()));
        entry.setValue(new DeploymentBuilder(wanted).editSpec().withTemplate(now.getSpec().getTemplate()).endSpec()
            .editMetadata().addToAnnotations(MetadataKeys.TEMPLATE_HASH, hash(now)).endMetadata().build());
      }
    }
    return new Result(members, outdated);
  }

  /** Rolled out to its current template (the controller saw the latest generation) and ready. */
  private static boolean available(Deployment member) {
    var status = member.getStatus();
    if (status == null || status.getObservedGeneration() == null || member.getMetadata().getGeneration() == null) {
      return false;
    }
    int updated = status.getUpdatedReplicas() == null ? 0 : status.getUpdatedReplicas();
    int total = status.getReplicas() == null ? 0 : status.getReplicas();
    return status.getObservedGeneration() >= member.getMetadata().getGeneration() && updated == total
        && AgentDeployment.readyReplicas(member) >= 1;
  }

  private static boolean running(Deployment member) {
    return member.getSpec().getReplicas() != null && member.getSpec().getReplicas() > 0;
  }

  private static Deployment withHash(Deployment member) {
    return new DeploymentBuilder(member).editMetadata()
        .addToAnnotations(MetadataKeys.TEMPLATE_HASH, CanaryRollout.hash(member.getSpec().getTemplate())).endMetadata().build();
  }

  private static String hash(Deployment member) {
    Map<String, String> annotations = member.getMetadata().getAnnotations();
    String hash = annotations == null ? null : annotations.get(MetadataKeys.TEMPLATE_HASH);
    return hash == null ? "" : hash;
  }
}
