package dev.orch.kubectl;

import java.util.List;
import java.util.Map;
import java.util.Set;

import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/**
 * An AgentService's canary rollout (spec.rollout.strategy: canary), named as `kubectl argo rollouts` names its
 * verbs. Each command is an annotation the operator acts on once, never a spec edit.
 */
@Command(name = "rollout", mixinStandardHelpOptions = true,
    description = "Follow and steer an AgentService's rollout: status, promote, abort, undo.",
    subcommands = {RolloutCommand.Status.class, RolloutCommand.Promote.class, RolloutCommand.Abort.class,
        RolloutCommand.Undo.class})
public final class RolloutCommand implements Runnable {
  @CommandLine.Spec
  CommandSpec spec;

  @Override
  public void run() {
    throw new CommandLine.ParameterException(spec.commandLine(), "a verb is needed: status, promote, abort or undo");
  }

  /** What the rollout verbs share: one AgentService and its status.rollout. */
  abstract static class RolloutVerb extends Verb {
    @Parameters(index = "0", paramLabel = "NAME", description = "The AgentService.")
    String reference;

    /** The AgentService's name, once {@link #service()} has read it. */
    String name;

    Map<String, Object> service() {
      if (Kind.ofReference(reference) != Kind.AGENT_SERVICE) {
        throw new UserError("rollouts are an AgentService's; a Swarm rolls its replicas one at a time and a Schedule"
            + " starts each run from its spec. Name an AgentService: kubectl orch rollout status NAME");
      }
      name = Kind.nameOf(reference);
      return require(Kind.AGENT_SERVICE, name);
    }

    static String phase(Map<String, Object> service) {
      return Fields.string(service, "status", "rollout", "phase");
    }

    /**
     * Refuses a command the operator would not act on now. It keeps a command it has not acted on, and would act on
     * it at the next canary: a promote sent between canaries would skip the next one's first step.
     */
    void requirePhase(Map<String, Object> service, Set<String> phases, String what) {
      String phase = phase(service);
      if (!phases.contains(phase)) {
        throw new UserError("agentservice/" + name + " has no canary to " + what + " (rollout phase " + (phase == null
            ? "unset: spec.rollout.strategy is not canary, or the operator has not written status.rollout yet" : phase)
            + "); a canary starts when the pod template changes under spec.rollout.strategy: canary. See where it"
            + " stands with kubectl orch rollout status " + name);
      }
    }

    void printed(String line) {
      out().println(line);
      out().flush();
    }
  }

  @Command(name = "status", mixinStandardHelpOptions = true,
      description = "Where the rollout stands (status.rollout): phase, step, weight, the stable and canary revisions"
          + " and the last transition.",
      footerHeading = "%nExamples:%n",
      footer = {"  kubectl orch rollout status discord-bot", "  kubectl orch rollout status discord-bot -o yaml"})
  public static final class Status extends RolloutVerb {
    @Option(names = {"-o", "--output"}, paramLabel = "json|yaml", description = "Print status.rollout itself.")
    String output;

    @Override
    protected boolean readsOnly() {
      return true;
    }

    @Override
    public Integer call() {
      Map<String, Object> rollout = Fields.object(service(), "status", "rollout");
      if (rollout == null) {
        throw new UserError("agentservice/" + name + " has no status.rollout yet: the operator writes it once it has"
            + " deployed the service (is orch-operator running? see kubectl orch info " + name + ")");
      }
      if (output != null) {
        Printer.printDocument(out(), output, rollout);
        return 0;
      }
      Long step = Fields.number(rollout, "step");
      Long steps = Fields.number(rollout, "steps");
      Long weight = Fields.number(rollout, "weight");
      Long canaryPods = Fields.number(rollout, "canaryReplicas");
      Long stablePods = Fields.number(rollout, "stableReplicas");
      new Table("PHASE", "STEP", "WEIGHT", "STABLE", "CANARY").row(Fields.string(rollout, "phase"),
          step == null ? null : step > steps ? "done" : step + "/" + steps,
          weight == null ? null : weight + "%" + (canaryPods == null || stablePods == null ? ""
              : " (" + canaryPods + " of " + (canaryPods + stablePods) + " pods)"),
          revision(Fields.object(rollout, "stable")), revision(Fields.object(rollout, "canary"))).print(out());
      Map<String, Object> pinned = Fields.object(rollout, "pinned");
      if (pinned != null) {
        out().println("pinned to revision " + Fields.string(pinned, "revision", "templateHash") + " by orch.dev/rollback"
            + " until the spec changes");
      }
      if (Fields.string(rollout, "message") != null) {
        out().println("message: " + Fields.string(rollout, "message"));
      }
      String next = switch (String.valueOf(Fields.string(rollout, "phase"))) {
        case "Progressing", "Paused" -> "next step: kubectl orch rollout promote " + name + " (--full for every step);"
            + " back to stable: kubectl orch rollout abort " + name;
        case "Aborted" -> "retry the canary: kubectl orch rollout promote " + name;
        default -> null;
      };
      if (next != null) {
        out().println(next);
      }
      out().flush();
      return 0;
    }

    private static String revision(Map<String, Object> revision) {
      return revision == null ? null : Fields.string(revision, "templateHash") + (Fields.string(revision, "agent") == null
          ? "" : " (" + Fields.string(revision, "agent") + ")");
    }
  }

  @Command(name = "promote", mixinStandardHelpOptions = true,
      description = {"Move the canary to its next step now, skipping a pause (annotation orch.dev/promote), or with"
          + " --full skip every remaining step: the stable pods take the canary's version.",
          "On an aborted canary, promote starts it again at step 1."},
      footerHeading = "%nExamples:%n",
      footer = {"  kubectl orch rollout promote discord-bot", "  kubectl orch rollout promote discord-bot --full"})
  public static final class Promote extends RolloutVerb {
    @Option(names = "--full", description = "Skip every remaining step and pause.")
    boolean full;

    @Override
    public Integer call() {
      Map<String, Object> service = service();
      requirePhase(service, Set.of("Progressing", "Paused", "Aborted"), "promote");
      boolean retry = "Aborted".equals(phase(service));
      // The operator takes full and full-ANYTHING as a full promote; the time keeps each request new.
      String value = requestNow(Kind.AGENT_SERVICE, name, "orch.dev/promote", full ? "full-" : "");
      printed("agentservice/" + name + ": promote requested (orch.dev/promote=" + value + "): " + (retry
          ? "the aborted canary starts again at step 1" : full ? "the stable pods take the canary's version"
          : "the canary moves to its next step") + "; follow it with kubectl orch rollout status " + name);
      return 0;
    }
  }

  @Command(name = "abort", mixinStandardHelpOptions = true,
      description = "Send all traffic back to the stable version (annotation orch.dev/abort): the canary's pods stay"
          + " with no traffic, for their logs (kubectl orch logs NAME --canary), and the service is Stalled until a"
          + " promote retries it or a fixed version is applied.",
      footerHeading = "%nExamples:%n",
      footer = {"  kubectl orch rollout abort discord-bot"})
  public static final class Abort extends RolloutVerb {
    @Override
    public Integer call() {
      requirePhase(service(), Set.of("Progressing", "Paused"), "abort");
      String value = requestNow(Kind.AGENT_SERVICE, name, "orch.dev/abort");
      printed("agentservice/" + name + " aborting (orch.dev/abort=" + value + "): the stable version takes all traffic"
          + " and the canary's pods get none (their logs: kubectl orch logs " + name + " --canary); retry it with"
          + " kubectl orch rollout promote " + name + ", follow it with"
          + " kubectl orch rollout status " + name);
      return 0;
    }
  }

  @Command(name = "undo", aliases = "rollback", mixinStandardHelpOptions = true,
      description = {"Roll back to the revision before the stable one (annotation orch.dev/rollback), straight to the"
          + " stable pods without a canary; the service stays there until its spec changes.",
          "undo as in kubectl rollout undo and kubectl argo rollouts undo; rollback, the annotation's name, works too."},
      footerHeading = "%nExamples:%n",
      footer = {"  kubectl orch rollout undo discord-bot", "  kubectl orch rollout rollback discord-bot"})
  public static final class Undo extends RolloutVerb {
    @Override
    public Integer call() {
      List<Map<String, Object>> revisions = Fields.objects(service(), "status", "rollout", "revisions");
      if (revisions.size() < 2) {
        throw new UserError("agentservice/" + name + " has no revision before the stable one to roll back to"
            + " (status.rollout.revisions has " + revisions.size() + "); see them with kubectl orch rollout status "
            + name + " -o yaml");
      }
      Map<String, Object> previous = revisions.get(revisions.size() - 2);
      String value = requestNow(Kind.AGENT_SERVICE, name, "orch.dev/rollback");
      printed("agentservice/" + name + " rolling back (orch.dev/rollback=" + value + ") to revision "
          + Status.revision(previous) + ": its pods roll to it without a canary and stay there until the spec changes;"
          + " follow it with kubectl orch rollout status " + name);
      return 0;
    }
  }
}
