package dev.orch.kubectl;

import java.util.Map;

import picocli.CommandLine.Command;
import picocli.CommandLine.Parameters;

@Command(name = "pause", mixinStandardHelpOptions = true,
    description = "Scale an AgentService (or swarm/NAME) to zero and keep its configuration (spec.paused: true).",
    footerHeading = "%nExamples:%n",
    footer = {"  kubectl orch pause discord-bot", "  kubectl orch pause swarm/issue-shards"})
public final class PauseCommand extends Verb {
  @Parameters(index = "0", paramLabel = "NAME|swarm/NAME", description = "What to pause.")
  String reference;

  @Override
  public Integer call() {
    Kind kind = pausable(reference);
    String name = Kind.nameOf(reference);
    require(kind, name);
    Patches.merge(client(), kind, namespace(), name, Map.of("spec", Map.of("paused", true)));
    out().println(kind.lowerCase() + "/" + name + " paused; resume it with kubectl orch resume " + reference);
    out().flush();
    return 0;
  }

  static Kind pausable(String reference) {
    Kind kind = Kind.ofReference(reference);
    if (kind == Kind.SCHEDULE) {
      throw new UserError("a Schedule is switched off with spec.enabled: kubectl patch schedule "
          + Kind.nameOf(reference) + " --type merge -p '{\"spec\":{\"enabled\":false}}'");
    }
    return kind;
  }
}
