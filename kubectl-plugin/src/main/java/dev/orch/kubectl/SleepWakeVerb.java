package dev.orch.kubectl;

import picocli.CommandLine.Command;
import picocli.CommandLine.Parameters;

/**
 * sleep and wake: each sets its annotation to now, which the operator acts on once. Annotations rather than a spec
 * field (as pause is), so that a GitOps source owning the spec does not undo them.
 */
public abstract class SleepWakeVerb extends Verb {
  @Parameters(index = "0", paramLabel = "NAME|swarm/NAME", description = "The AgentService, or swarm/NAME.")
  String reference;

  abstract String annotation();

  /** What the resource is doing now, after "agentservice/NAME ". */
  abstract String doing();

  /** What the operator does next. */
  abstract String next();

  @Override
  public Integer call() {
    Kind kind = PauseCommand.pausable(reference);
    String name = Kind.nameOf(reference);
    require(kind, name);
    requestNow(kind, name, annotation());
    out().println(kind.lowerCase() + "/" + name + " " + doing() + " (" + annotation() + " set): " + next()
        + "; follow it with kubectl orch info " + reference);
    out().flush();
    return 0;
  }

  @Command(name = "sleep", mixinStandardHelpOptions = true,
      description = {"Put an AgentService (or swarm/NAME) to sleep: sets the annotation orch.dev/sleep to now; the"
          + " operator stops its pods, keeps its configuration and shows state sleeping until kubectl orch wake.",
          "Unlike pause it leaves the spec alone, so a GitOps source that owns the spec does not undo it."},
      footerHeading = "%nExamples:%n",
      footer = {"  kubectl orch sleep discord-bot", "  kubectl orch sleep swarm/issue-shards"})
  public static final class Sleep extends SleepWakeVerb {
    @Override
    String annotation() {
      return "orch.dev/sleep";
    }

    @Override
    String doing() {
      return "going to sleep";
    }

    @Override
    String next() {
      return "its pods stop and it shows SLEEPING until kubectl orch wake " + reference;
    }
  }

  @Command(name = "wake", mixinStandardHelpOptions = true,
      description = "Wake a sleeping AgentService (or swarm/NAME): sets the annotation orch.dev/wake to now; the"
          + " operator starts its pods again.",
      footerHeading = "%nExamples:%n",
      footer = {"  kubectl orch wake discord-bot", "  kubectl orch wake swarm/issue-shards"})
  public static final class Wake extends SleepWakeVerb {
    @Override
    String annotation() {
      return "orch.dev/wake";
    }

    @Override
    String doing() {
      return "waking up";
    }

    @Override
    String next() {
      return "its pods start again";
    }
  }
}
