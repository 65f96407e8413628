package dev.orch.operator.agentservice.rollout;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;

import dev.orch.operator.agentservice.AgentService;
import dev.orch.operator.agentservice.AgentServiceSpec;
import dev.orch.operator.agentservice.rollout.RolloutStatus.Phase;
import dev.orch.operator.agentservice.rollout.RolloutStatus.Revision;
import dev.orch.operator.core.MetadataKeys;
import dev.orch.operator.core.status.Conditions.Verdict;
import dev.orch.operator.core.crashloop.CrashLoop;
import dev.orch.operator.core.status.EventRecorder.Notice;
import dev.orch.operator.agent.AgentPod;
import io.fabric8.kubernetes.api.model.Container;
import io.fabric8.kubernetes.api.model.IntOrString;
import io.fabric8.kubernetes.api.model.PodTemplateSpec;
import io.fabric8.kubernetes.api.model.ProbeBuilder;
import io.fabric8.kubernetes.api.model.apps.Deployment;
import io.fabric8.kubernetes.api.model.apps.DeploymentBuilder;
import io.fabric8.kubernetes.client.utils.Serialization;

/**
 * The Deployments a service's rollout wants and the rollout's status, as a pure function of the service, the
 * Deployment its spec asks for, and what is observed. Without a traffic router the canary's weight is a pod
 * ratio behind the one Service: the stable Deployment ({@code NAME}) keeps its pod template and serves, a canary
 * Deployment ({@code NAME-canary}) runs the new template, and the service's instances are split between them by
 * the current step's weight.
 *
 * <p>Only the canary strategy holds a new template back; the others hand it to the stable Deployment at once.
 * Every strategy records the stable revisions, so {@code orch.dev/rollback} knows where to go back to.
 */
public final class CanaryRollout {
  public static final String CANARY_TRACK = "canary";
  public static final String ROLLOUT_ABORTED_EVENT = "service.rollout_aborted";
  static final int HISTORY = 10;
  static final Duration DEFAULT_UNREADY_LIMIT = Duration.ofMinutes(5);

  private CanaryRollout() {
  }

  /**
   * What the reconciler observed.
   *
   * @param stable the Deployment named like the service
   * @param canary the Deployment {@code NAME-canary}
   * @param canaryCrashes the canary pods' crash-loop counters, tracked from the previous status's
   * @param previousTemplate the pod template of the revision a rollback pins, from the stable Deployment's
   *     ReplicaSets ({@link #rollbackHash})
   */
  public record Observed(Optional<Deployment> stable, Optional<Deployment> canary, CrashLoop.Counters canaryCrashes,
      Optional<PodTemplateSpec> previousTemplate, Instant now) {
  }

  /**
   * @param deployments keyed by name: the stable one always, the canary while there is one
   * @param autoscalerAllowed false while a canary splits the instances (the split sets the stable Deployment's
   *     replicas, which an autoscaler would fight over)
   * @param stableTrackOnly the main Service selects the stable track only: an aborted canary's pods stay, out of it
   * @param verdict what the rollout says about the service's conditions, when it is not settled
   * @param abortedBecause set when the health gate aborted the canary just now (the alert's reason)
   */
  public record Decision(Map<String, Deployment> deployments, boolean autoscalerAllowed, boolean stableTrackOnly,
      RolloutStatus status,
      List<Notice> notices, Optional<Verdict> verdict, Optional<Duration> recheckIn, Optional<String> abortedBecause) {
  }

  public static String canaryName(AgentService service) {
    return service.getMetadata().getName() + "-canary";
  }

  public static String hash(PodTemplateSpec template) {
    return digest(Serialization.asJson(template));
  }

  /** The first 10 hex digits of the text's SHA-256. */
  static String digest(String text) {
    try {
      byte[] digest = MessageDigest.getInstance("SHA-256").digest(text.getBytes(StandardCharsets.UTF_8));
      return HexFormat.of().formatHex(digest, 0, 5);
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException(e);
    }
  }

  /**
   * The revision whose pod template a rollback needs: the one before stable when {@code orch.dev/rollback} is new,
   * or the one already pinned.
   */
  public static Optional<String> rollbackHash(AgentService service) {
    RolloutStatus status = service.getStatus() == null ? null : service.getStatus().getRollout();
    if (status == null) {
      return Optional.empty();
    }
    boolean asked = RolloutCommands.fresh(service, MetadataKeys.ROLLBACK,
        status.handled() == null ? null : status.handled().rollback()).isPresent();
    if (asked && status.revisions() != null && status.revisions().size() >= 2) {
      return Optional.of(status.revisions().get(status.revisions().size() - 2).templateHash());
    }
    return Optional.ofNullable(status.pinned()).map(p -> p.revision().templateHash());
  }

  /**
   * Whether the spec says the agent serves HTTP: an {@code http} block that is not disabled. Without the block the
   * defaults give it a port too, but a bot or worker written without one never listens and must still be Ready.
   */
  static boolean declaresHttp(AgentServiceSpec spec) {
    return spec.getHttp() != null && !Boolean.FALSE.equals(spec.getHttp().enabled());
  }

  /** Whether the service uses the canary strategy. */
  public static boolean isCanary(AgentServiceSpec spec) {
    return spec.getRollout() != null && spec.getRollout().strategy() == AgentServiceSpec.RolloutStrategy.CANARY;
  }

  /**
   * @param desired the stable Deployment the spec asks for, as {@link dev.orch.operator.agentservice.AgentServicePlan} made it
   * @param stopped paused or crash-loop paused: no canary advances; the pods stop whichever track they are on
   */
  public static Decision decide(AgentService service, Deployment desired, boolean stopped, Observed seen) {
    Decision decision = new Step(service, desired, stopped, seen).decide();
    if (isCanary(service.getSpec()) || declaresHttp(service.getSpec())) {
      decision.deployments().values().forEach(d -> readyOnlyWhenServing(d.getSpec().getTemplate()));
    }
    return decision;
  }

  /** One decision's working state. */
  private static final class Step {
    private final AgentService service;
    private final AgentServiceSpec spec;
    private final Deployment desired;
    private final boolean stopped;
    private final Observed seen;
    private final RolloutStatus before;
    private final String now;
    private final List<Notice> notices = new ArrayList<>();
    private final List<AgentServiceSpec.Step> steps;
    private Phase phase;
    private int step;
    private String startedAt;
    private String stepStartedAt;
    private String unreadySince;
    private String message;
    private Revision canaryRevision;
    private RolloutStatus.Pin pinned;
    private String abortedBecause;
    private Duration recheckIn;
    private CrashLoop.Counters canaryCrashes;
    /** The aborted canary's pods that stay for their logs, out of the main Service; null when there are none. */
    private Integer keptCanary;

    Step(AgentService service, Deployment desired, boolean stopped, Observed seen) {
      this.service = service;
      this.spec = service.getSpec();
      this.desired = desired;
      this.stopped = stopped;
      this.seen = seen;
      this.before = service.getStatus() == null || service.getStatus().getRollout() == null ? RolloutStatus.none()
          : service.getStatus().getRollout();
      this.now = seen.now().toString();
      this.steps = isCanary(spec) ? spec.getRollout().steps() : List.of();
      this.phase = before.phase();
      this.step = before.step() == null ? 0 : before.step() - 1;
      this.startedAt = before.startedAt();
      this.stepStartedAt = before.stepStartedAt();
      this.unreadySince = before.canaryUnreadySince();
      this.message = before.message();
      this.canaryRevision = before.canary();
      this.pinned = before.pinned();
      this.canaryCrashes = seen.canaryCrashes();
    }

    Decision decide() {
      String handledPromote = before.handled() == null ? null : before.handled().promote();
      String handledAbort = before.handled() == null ? null : before.handled().abort();
      String handledRollback = before.handled() == null ? null : before.handled().rollback();
      Optional<String> promote = RolloutCommands.fresh(service, MetadataKeys.PROMOTE, handledPromote);
      Optional<String> abort = RolloutCommands.fresh(service, MetadataKeys.ABORT, handledAbort);
      Optional<String> rollback = RolloutCommands.fresh(service, MetadataKeys.ROLLBACK, handledRollback);

      long generation = service.getMetadata().getGeneration() == null ? 0 : service.getMetadata().getGeneration();
      if (pinned != null && !Objects.equals(pinned.generation(), generation)) {
        notices.add(Notice.normal("RollbackReleased", "the spec changed (generation " + generation + "); the pin to"
            + " revision " + pinned.revision().templateHash() + " ends"));
        pinned = null;
      }
      if (rollback.isPresent()) {
        rollBack(generation);
      }
      Optional<Deployment> stable = seen.stable();
      String stableHash = stable.map(CanaryRollout::templateHash).orElse(null);
      PodTemplateSpec target = desired.getSpec().getTemplate();
      String targetHash = hash(target);
      if (pinned != null) {
        String pinnedHash = pinned.revision().templateHash();
        if (pinnedHash.equals(stableHash)) {
          target = stable.get().getSpec().getTemplate();
          targetHash = pinnedHash;
        } else if (seen.previousTemplate().isPresent()) {
          target = seen.previousTemplate().get();
          targetHash = pinnedHash;
        } else {
          message = "revision " + pinnedHash + " has no ReplicaSet left to roll back to; the pin ends";
          notices.add(Notice.warning("RollbackFailed", message));
          pinned = null;
        }
      }
      Revision targetRevision = pinned != null ? pinned.revision() : revision(targetHash);

      Map<String, Deployment> deployments = new LinkedHashMap<>();
      boolean autoscalerAllowed = true;
      Verdict verdict = null;
      // A rollback goes straight to stable: it returns to a revision that already served.
      boolean canary = isCanary(spec) && stable.isPresent() && !targetHash.equals(stableHash) && pinned == null;
      if (stopped && stable.isPresent() && isCanary(spec)) {
        // Paused: the pods stop, the rollout stays where it is and resumes with the service.
        deployments.put(desired.getMetadata().getName(), withTemplate(desired, stable.get().getSpec().getTemplate(),
            stableHash, desired.getSpec().getReplicas()));
        seen.canary().ifPresent(c -> deployments.put(canaryName(service), canary(c.getSpec().getTemplate(), 0)));
        return new Decision(deployments, true, false, status(revisionOf(stable.get(), stableHash), null, null, null), notices,
            Optional.empty(), Optional.empty(), Optional.empty());
      }
      if (!canary) {
        Revision stableRevision = before.stable() != null && targetHash.equals(before.stable().templateHash())
            ? before.stable() : targetRevision;
        boolean promoting = phase == Phase.Promoted && seen.canary().isPresent() && !complete(stable, desired);
        deployments.put(desired.getMetadata().getName(), withTemplate(desired, target, targetHash,
            desired.getSpec().getReplicas()));
        if (promoting) {
          // Desired as it is, not the observed object: server-side apply refuses one with managedFields.
          Deployment running = seen.canary().get();
          deployments.put(canaryName(service), canary(running.getSpec().getTemplate(),
              Objects.requireNonNullElse(running.getSpec().getReplicas(), 1)));
          autoscalerAllowed = false;
          verdict = Verdict.progressing("CanaryPromoted", message);
        } else if (!isCanary(spec)) {
          // The strategy changed away from canary: whatever canary there was is gone with it.
          phase = null;
          canaryRevision = null;
        } else {
          if (phase == Phase.Promoted) {
            notices.add(Notice.normal("CanaryPromoted", "revision " + targetHash + " (" + spec.getAgent()
                + ") serves all traffic"));
            message = "revision " + targetHash + " promoted at " + now;
          } else if (phase == Phase.Progressing || phase == Phase.Paused) {
            message = "the spec went back to the stable revision " + targetHash + "; canary " + canaryRevision.templateHash()
                + " removed";
            notices.add(Notice.normal("CanaryWithdrawn", message));
          }
          phase = Phase.Healthy;
          canaryRevision = null;
        }
        return new Decision(deployments, autoscalerAllowed, false, status(stableRevision, handledPromote, handledAbort,
            rollback.orElse(handledRollback)), notices, Optional.ofNullable(verdict), Optional.empty(), Optional.empty());
      }

      Revision stableRevision = revisionOf(stable.get(), stableHash);
      boolean fresh = canaryRevision == null || !targetHash.equals(canaryRevision.templateHash())
          || phase == null || phase == Phase.Healthy;
      if (fresh) {
        start(targetRevision, stableRevision, "");
      }
      if (abort.isPresent() && phase != Phase.Aborted) {
        abort("aborted by " + MetadataKeys.ABORT + "=" + abort.get(), false);
      }
      if (promote.isPresent()) {
        if (phase == Phase.Aborted) {
          start(targetRevision, stableRevision, "retried by " + MetadataKeys.PROMOTE + "; ");
        } else if (RolloutCommands.isFull(promote.get())) {
          phase = Phase.Promoted;
          message = "promoted in full by " + MetadataKeys.PROMOTE + "=" + promote.get();
          notices.add(Notice.normal("PromoteRequested", message));
        } else if (phase != Phase.Promoted) {
          notices.add(Notice.normal("PromoteRequested", "skipping to the next step by " + MetadataKeys.PROMOTE));
          advance();
        }
      }

      int instances = desired.getSpec().getReplicas() != null ? desired.getSpec().getReplicas() : spec.getMinInstances();
      if (phase == Phase.Progressing || phase == Phase.Paused) {
        healthGate(instances);
      }
      if (phase == Phase.Progressing || phase == Phase.Paused) {
        walkSteps(instances);
      }

      String name = desired.getMetadata().getName();
      PodTemplateSpec stableTemplate = stable.get().getSpec().getTemplate();
      switch (phase) {
        case Aborted -> {
          deployments.put(name, withTemplate(desired, stableTemplate, stableHash, desired.getSpec().getReplicas()));
          int kept = keptCanaryPods();
          keptCanary = kept > 0 ? kept : null;
          deployments.put(canaryName(service), canary(target, kept));
          verdict = Verdict.stalled("CanaryAborted", message + "; stable revision " + stableHash
              + " serves all traffic. Retry the canary with " + RolloutCommands.command(service, MetadataKeys.PROMOTE)
              + ", or apply a fixed version");
        }
        case Promoted -> {
          deployments.put(name, withTemplate(desired, target, targetHash, desired.getSpec().getReplicas()));
          int canaryReplicas = before.canaryReplicas() == null ? split(instances, weight()).canary() : before.canaryReplicas();
          deployments.put(canaryName(service), canary(target, canaryReplicas));
          autoscalerAllowed = false;
          verdict = Verdict.progressing("CanaryPromoted", "replacing the stable pods with revision " + targetHash);
        }
        default -> {
          Split split = split(instances, weight());
          deployments.put(name, withTemplate(desired, stableTemplate, stableHash, split.stable()));
          deployments.put(canaryName(service), canary(target, split.canary()));
          autoscalerAllowed = false;
          String at = "step " + (step + 1) + "/" + steps.size() + ": canary " + targetHash + " at weight " + weight()
              + "% (" + split.canary() + " of " + (split.canary() + split.stable()) + " pods)";
          verdict = phase == Phase.Paused
              ? Verdict.progressing("CanaryPaused", at + ", paused until promoted: "
                  + RolloutCommands.command(service, MetadataKeys.PROMOTE))
              : Verdict.progressing("CanaryProgressing", at);
        }
      }
      RolloutStatus status = status(stableRevision, promote.orElse(handledPromote), abort.orElse(handledAbort),
          rollback.orElse(handledRollback));
      return new Decision(deployments, autoscalerAllowed, keptCanary != null, status, notices, Optional.ofNullable(verdict),
          Optional.ofNullable(recheckIn), Optional.ofNullable(abortedBecause));
    }

    private void rollBack(long generation) {
      List<Revision> revisions = before.revisions() == null ? List.of() : before.revisions();
      if (revisions.size() < 2) {
        message = "nothing to roll back to: no revision before the stable one";
        notices.add(Notice.warning("RollbackRefused", message));
        return;
      }
      Revision previous = revisions.get(revisions.size() - 2);
      pinned = new RolloutStatus.Pin(previous, generation);
      message = "rolled back to revision " + previous.templateHash() + " (" + previous.agent() + ") by "
          + MetadataKeys.ROLLBACK + "; pinned until the spec changes";
      notices.add(Notice.normal("RolledBack", message));
    }

    private void start(Revision target, Revision stableRevision, String why) {
      phase = Phase.Progressing;
      step = 0;
      startedAt = now;
      stepStartedAt = now;
      unreadySince = null;
      canaryRevision = target;
      canaryCrashes = CrashLoop.Counters.none();
      message = why + "canary " + target.templateHash() + " (" + target.agent() + ") started beside stable "
          + stableRevision.templateHash();
      notices.add(Notice.normal("CanaryStarted", message + "; step 1/" + steps.size() + ", weight " + weight() + "%"));
    }

    private void abort(String why, boolean automatic) {
      phase = Phase.Aborted;
      message = why + (keptCanaryPods() > 0 ? "; the canary's pods stay, out of the Service, until the next change;"
          + " their logs: " + StableTrack.canaryLogsCommand(service)
          : !StableTrack.allPodsLabelled(seen.stable()) ? "; the canary is scaled to 0 because the stable pods do not"
              + " all carry " + StableTrack.LABEL + " yet (they get it with the next template change), so the Service"
              + " cannot leave the canary out" : "");
      unreadySince = null;
      notices.add(Notice.warning("CanaryAborted", message + "; all traffic back on stable"));
      if (automatic) {
        abortedBecause = message;
      }
    }

    /**
     * How many of the aborted canary's pods stay, out of the main Service: all it runs, when every stable pod
     * carries the stable track label (else the Service could not leave them out) and the service runs at all (not
     * asleep). Decided once, at the abort: the stable Deployment takes back every instance just after it, and
     * until its controller has seen that generation its pods cannot be told labelled.
     */
    private int keptCanaryPods() {
      if (Objects.equals(desired.getSpec().getReplicas(), 0)) {
        return 0;
      }
      if (before.phase() == Phase.Aborted) {
        return Objects.requireNonNullElse(before.canaryReplicas(), 0);
      }
      return StableTrack.allPodsLabelled(seen.stable())
          ? seen.canary().map(c -> Objects.requireNonNullElse(c.getSpec().getReplicas(), 0)).orElse(0) : 0;
    }

    /** Crash loops and pods that stay unready abort the canary (the health gate). */
    private void healthGate(int instances) {
      int threshold = spec.getMaxRestartFailures();
      if (canaryCrashes.consecutiveFailures() >= threshold) {
        abort("the canary's agent failed " + canaryCrashes.consecutiveFailures() + " restarts in a row"
            + " (maxRestartFailures " + threshold + "); last error: " + canaryCrashes.lastError(), true);
        return;
      }
      int wanted = split(instances, weight()).canary();
      int ready = seen.canary().filter(c -> canaryRevision.templateHash().equals(templateHash(c))).map(CanaryRollout::readyReplicas).orElse(0);
      if (ready >= wanted) {
        unreadySince = null;
        return;
      }
      if (unreadySince == null) {
        unreadySince = now;
      }
      Duration limit = spec.getRollout().abortIfUnreadyFor() == null ? DEFAULT_UNREADY_LIMIT
          : Durations.parse(spec.getRollout().abortIfUnreadyFor());
      Duration unready = Duration.between(Instant.parse(unreadySince), seen.now());
      if (unready.compareTo(limit) >= 0) {
        abort("the canary had " + ready + " of " + wanted + " pods ready for " + unready.toSeconds() + "s (abortIfUnreadyFor "
            + limit.toSeconds() + "s)", true);
      } else {
        recheck(limit.minus(unready));
      }
    }

    /** Moves through the steps whose weight is reached and whose pause is over. */
    private void walkSteps(int instances) {
      while (phase == Phase.Progressing || phase == Phase.Paused) {
        if (step >= steps.size()) {
          phase = Phase.Promoted;
          message = "every step done; promoting revision " + canaryRevision.templateHash();
          notices.add(Notice.normal("CanaryPromoting", message));
          return;
        }
        if (unreadySince != null) {
          phase = Phase.Progressing;
          return; // the canary's pods at this weight are not all ready yet
        }
        AgentServiceSpec.Pause pause = steps.get(step).pause();
        if (pause != null && pause.duration() == null) {
          if (phase != Phase.Paused) {
            phase = Phase.Paused;
            message = "step " + (step + 1) + "/" + steps.size() + " waits until promoted";
            notices.add(Notice.normal("CanaryPaused", message + ": " + RolloutCommands.command(service, MetadataKeys.PROMOTE)));
          }
          return;
        }
        if (pause != null) {
          Duration left = Duration.between(seen.now(), Instant.parse(stepStartedAt).plus(Durations.parse(pause.duration())));
          if (!left.isNegative() && !left.isZero()) {
            recheck(left);
            return;
          }
        }
        advance();
        // The new weight needs its pods before the next step counts.
        int wanted = split(instances, weight()).canary();
        int ready = seen.canary().map(CanaryRollout::readyReplicas).orElse(0);
        if (step < steps.size() && ready < wanted) {
          return;
        }
      }
    }

    private void advance() {
      step++;
      stepStartedAt = now;
      phase = Phase.Progressing;
      if (step < steps.size()) {
        message = "step " + (step + 1) + "/" + steps.size() + ": weight " + weight() + "%";
        notices.add(Notice.normal("CanaryStep", message));
      }
    }

    /** The weight in force at the current step: the last one set at or before it. */
    private int weight() {
      int weight = 0;
      for (int i = 0; i <= Math.min(step, steps.size() - 1); i++) {
        if (steps.get(i).weight() != null) {
          weight = steps.get(i).weight();
        }
      }
      return weight;
    }

    private void recheck(Duration wait) {
      recheckIn = recheckIn == null || wait.compareTo(recheckIn) < 0 ? wait : recheckIn;
    }

    private Revision revision(String hash) {
      return new Revision(hash, spec.getAgent(), now);
    }

    private Revision revisionOf(Deployment stable, String stableHash) {
      if (before.stable() != null && Objects.equals(before.stable().templateHash(), stableHash)) {
        return before.stable();
      }
      return new Revision(stableHash == null ? "unknown" : stableHash, agentOf(stable), now);
    }

    private RolloutStatus status(Revision stableRevision, String promote, String abort, String rollback) {
      List<Revision> revisions = new ArrayList<>(before.revisions() == null ? List.of() : before.revisions());
      if (revisions.isEmpty() || !revisions.get(revisions.size() - 1).templateHash().equals(stableRevision.templateHash())) {
        revisions.removeIf(r -> r.templateHash().equals(stableRevision.templateHash()));
        revisions.add(stableRevision);
      }
      while (revisions.size() > HISTORY) {
        revisions.remove(0);
      }
      boolean inFlight = phase == Phase.Progressing || phase == Phase.Paused || phase == Phase.Promoted || phase == Phase.Aborted;
      boolean split = phase == Phase.Progressing || phase == Phase.Paused;
      int instances = desired.getSpec().getReplicas() != null ? desired.getSpec().getReplicas() : spec.getMinInstances();
      Split pods = split ? split(instances, weight()) : null;
      var commands = promote == null && abort == null && rollback == null ? null
          : new RolloutStatus.Commands(promote, abort, rollback);
      Integer weight = split ? Integer.valueOf(weight()) : phase == Phase.Promoted ? Integer.valueOf(100)
          : phase == Phase.Aborted ? Integer.valueOf(0) : null;
      Integer canaryReplicas = pods != null ? Integer.valueOf(pods.canary()) : phase == Phase.Promoted ? before.canaryReplicas()
          : phase == Phase.Aborted ? Objects.requireNonNullElse(keptCanary, 0) : null;
      return new RolloutStatus(isCanary(spec) ? phase : null, inFlight ? Integer.valueOf(step + 1) : null,
          inFlight ? Integer.valueOf(steps.size()) : null, weight, canaryReplicas,
          pods != null ? Integer.valueOf(pods.stable()) : null, stableRevision, inFlight ? canaryRevision : null,
          inFlight ? startedAt : null, split ? stepStartedAt : null, split ? unreadySince : null,
          inFlight ? Integer.valueOf(canaryCrashes.consecutiveFailures()) : null, inFlight ? canaryCrashes.record() : null,
          message,
          revisions, commands, pinned);
    }

    private Deployment canary(PodTemplateSpec template, int replicas) {
      Deployment canary = withTemplate(desired, template, hash(template), replicas);
      canary.getMetadata().setName(canaryName(service));
      canary.getMetadata().getLabels().put(MetadataKeys.TRACK, CANARY_TRACK);
      canary.getSpec().getSelector().getMatchLabels().put(MetadataKeys.TRACK, CANARY_TRACK);
      canary.getSpec().getTemplate().getMetadata().getLabels().put(MetadataKeys.TRACK, CANARY_TRACK);
      if (startedAt != null) {
        // An aborted canary's pods stay with their restart history; a retry must not inherit it (the health gate
        // would count their old restarts as new) nor their crash-loop back-off.
        Map<String, String> annotations = new LinkedHashMap<>(Objects.requireNonNullElse(
            canary.getSpec().getTemplate().getMetadata().getAnnotations(), Map.of()));
        annotations.put(MetadataKeys.CANARY_STARTED, startedAt);
        canary.getSpec().getTemplate().getMetadata().setAnnotations(annotations);
      }
      // Replicas are set, never an autoscaler's; a canary never recreates (the stable pods keep serving).
      canary.getSpec().setStrategy(new io.fabric8.kubernetes.api.model.apps.DeploymentStrategyBuilder()
          .withType("RollingUpdate").withNewRollingUpdate().withMaxSurge(new io.fabric8.kubernetes.api.model.IntOrString(1))
          .withMaxUnavailable(new io.fabric8.kubernetes.api.model.IntOrString(0)).endRollingUpdate().build());
      return canary;
    }
  }

  /**
   * The pods of a canary service or of one that declares HTTP ({@link #declaresHttp}; every strategy, both canary
   * tracks) take traffic only once the agent accepts connections on its port; others keep the gateway's readiness.
   * The gateway's /health calls a run healthy before the port first opens (a worker never opens one), so on the
   * real node a canary that crashes at start was Ready for a moment after each restart, and a rolling update's or
   * a promotion's new pods before they listened; the requests sent to them then failed with 502. The probe is on
   * the agent container, beside the gateway's (spec.probes), which keeps its /health liveness. Added after the
   * template hash annotations are taken, so they still name the spec's template (and a service made before the
   * probe starts no canary for it).
   */
  static void readyOnlyWhenServing(PodTemplateSpec template) {
    template.getSpec().getContainers().stream().filter(c -> AgentPod.AGENT_CONTAINER.equals(c.getName())).findFirst()
        .ifPresent(agent -> httpPort(agent).ifPresent(port -> agent.setReadinessProbe(new ProbeBuilder()
            .withNewTcpSocket().withPort(new IntOrString(port)).endTcpSocket()
            .withPeriodSeconds(2).withTimeoutSeconds(1).withFailureThreshold(1).build())));
  }

  private static Optional<Integer> httpPort(Container agent) {
    return agent.getEnv() == null ? Optional.empty() : agent.getEnv().stream()
        .filter(e -> "ORCHAGENT_HTTP_PORT".equals(e.getName()) && e.getValue() != null)
        .map(e -> Integer.valueOf(e.getValue())).findFirst();
  }

  /** A copy of {@code base} running {@code template}, annotated with its hash. */
  static Deployment withTemplate(Deployment base, PodTemplateSpec template, String templateHash, Integer replicas) {
    Deployment copy = new DeploymentBuilder(base).editSpec().withReplicas(replicas).endSpec().build();
    copy.getSpec().setTemplate(Serialization.clone(template));
    copy.getMetadata().setLabels(new LinkedHashMap<>(base.getMetadata().getLabels()));
    copy.getSpec().getSelector().setMatchLabels(new LinkedHashMap<>(base.getSpec().getSelector().getMatchLabels()));
    copy.getSpec().getTemplate().getMetadata().setLabels(new LinkedHashMap<>(template.getMetadata().getLabels()));
    Map<String, String> annotations = new LinkedHashMap<>(base.getMetadata().getAnnotations() == null ? Map.of()
        : base.getMetadata().getAnnotations());
    if (templateHash != null) {
      annotations.put(MetadataKeys.TEMPLATE_HASH, templateHash);
    }
    copy.getMetadata().setAnnotations(annotations.isEmpty() ? null : annotations);
    return copy;
  }

  /** The stable Deployment the spec asks for, annotated with its template's hash. */
  public static Deployment annotated(Deployment desired) {
    return withTemplate(desired, desired.getSpec().getTemplate(), hash(desired.getSpec().getTemplate()),
        desired.getSpec().getReplicas());
  }

  /** The instances split by weight: each track keeps at least one pod while both run. */
  record Split(int stable, int canary) {
  }

  static Split split(int instances, int weight) {
    if (weight == 0) {
      return new Split(instances, 0);
    }
    if (instances <= 1) {
      return new Split(1, 1);
    }
    int canary = Math.max(1, Math.min(instances - 1, (int) Math.round(instances * weight / 100.0)));
    return new Split(instances - canary, canary);
  }

  static String templateHash(Deployment deployment) {
    Map<String, String> annotations = deployment.getMetadata().getAnnotations();
    return annotations == null ? null : annotations.get(MetadataKeys.TEMPLATE_HASH);
  }

  static int readyReplicas(Deployment deployment) {
    return deployment.getStatus() == null || deployment.getStatus().getReadyReplicas() == null ? 0
        : deployment.getStatus().getReadyReplicas();
  }

  private static String agentOf(Deployment deployment) {
    return deployment.getSpec().getTemplate().getSpec().getContainers().stream()
        .flatMap(c -> c.getEnv() == null ? java.util.stream.Stream.empty() : c.getEnv().stream())
        .filter(e -> "ORCH_AGENT".equals(e.getName())).map(io.fabric8.kubernetes.api.model.EnvVar::getValue)
        .findFirst().orElse(null);
  }

  /** The stable Deployment has rolled out {@code desired}'s template to every wanted pod. */
  private static boolean complete(Optional<Deployment> stable, Deployment desired) {
    if (stable.isEmpty() || stable.get().getStatus() == null) {
      return false;
    }
    Deployment d = stable.get();
    var status = d.getStatus();
    int wanted = desired.getSpec().getReplicas() == null ? 1 : desired.getSpec().getReplicas();
    boolean observed = status.getObservedGeneration() != null && d.getMetadata().getGeneration() != null
        && status.getObservedGeneration() >= d.getMetadata().getGeneration();
    int updated = status.getUpdatedReplicas() == null ? 0 : status.getUpdatedReplicas();
    int ready = status.getReadyReplicas() == null ? 0 : status.getReadyReplicas();
    int total = status.getReplicas() == null ? 0 : status.getReplicas();
    return observed && hash(desired.getSpec().getTemplate()).equals(templateHash(d)) && updated >= wanted
        && ready >= wanted && total == updated;
  }
}
