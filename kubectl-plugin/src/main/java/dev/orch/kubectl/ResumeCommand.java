package dev.orch.kubectl;

import java.util.Map;

import picocli.CommandLine.Command;
import picocli.CommandLine.Parameters;

@Command(name = "resume", mixinStandardHelpOptions = true,
    description = "Run a paused AgentService (or swarm/NAME) again; a service the crash-loop guard paused is also"
        + " restarted, which clears its failure streak.",
    footerHeading = "%nExamples:%n",
    footer = {"  kubectl orch resume discord-bot"})
public final class ResumeCommand extends Verb {
  @Parameters(index = "0", paramLabel = "NAME|swarm/NAME", description = "What to resume.")
  String reference;

  @Override
  public Integer call() {
    Kind kind = PauseCommand.pausable(reference);
    String name = Kind.nameOf(reference);
    Map<String, Object> resource = require(kind, name);
    Patches.merge(client(), kind, namespace(), name, Map.of("spec", Map.of("paused", false)));
    boolean crashLooped = Fields.isTrue(resource, "status", "crashLoop", "autoPaused");
    if (crashLooped) {
      requestNow(kind, name, RestartCommand.ANNOTATION);
    }
    out().println(kind.lowerCase() + "/" + name + " resumed" + (crashLooped ? " and restarted (it was paused after a"
        + " crash loop; watch it with kubectl orch logs " + reference + " --follow)" : ""));
    out().flush();
    return 0;
  }
}
