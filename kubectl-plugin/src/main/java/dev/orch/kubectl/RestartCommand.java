package dev.orch.kubectl;

import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

@Command(name = "restart", mixinStandardHelpOptions = true,
    description = {"Roll fresh pods: sets the annotation orch.dev/restartedAt to now, which also resets the failure"
        + " streak and resumes a service the crash-loop guard paused.",
        "swarm/NAME restarts every replica, or one with --replica N."},
    footerHeading = "%nExamples:%n",
    footer = {"  kubectl orch restart discord-bot", "  kubectl orch restart swarm/issue-shards --replica 12"})
public final class RestartCommand extends Verb {
  static final String ANNOTATION = "orch.dev/restartedAt";

  @Parameters(index = "0", paramLabel = "NAME|swarm/NAME", description = "What to restart.")
  String reference;

  @Option(names = "--replica", paramLabel = "N", description = "Only this replica of a Swarm.")
  Integer replica;

  @Override
  public Integer call() {
    Kind kind = Kind.ofReference(reference);
    String name = Kind.nameOf(reference);
    if (kind == Kind.SCHEDULE) {
      throw new UserError("a Schedule has no running pods to restart; start a run with kubectl orch schedule trigger "
          + name);
    }
    if (replica != null && kind != Kind.SWARM) {
      throw new UserError("--replica restarts one replica of a Swarm; write swarm/" + name + " or drop --replica");
    }
    require(kind, name);
    String annotation = replica == null ? ANNOTATION : ANNOTATION + "." + replica;
    requestNow(kind, name, annotation);
    out().println(kind.lowerCase() + "/" + name + (replica == null ? "" : " replica " + replica) + " restarting ("
        + annotation + " set); follow it with kubectl orch info " + (kind == Kind.AGENT_SERVICE ? name : reference));
    out().flush();
    return 0;
  }
}
