package dev.orch.kubectl;

import io.fabric8.kubernetes.api.model.ConfigMap;
import picocli.CommandLine.Command;
import picocli.CommandLine.Parameters;

@Command(name = "delete", mixinStandardHelpOptions = true,
    description = "Delete an AgentService (or swarm/NAME, schedule/NAME) and everything the operator made for it,"
        + " with the bundle ConfigMap deploy made for it.",
    footerHeading = "%nExamples:%n",
    footer = {"  kubectl orch delete discord-bot", "  kubectl orch delete schedule/daily-report"})
public final class DeleteCommand extends Verb {
  @Parameters(index = "0", paramLabel = "NAME|swarm/NAME|schedule/NAME", description = "What to delete.")
  String reference;

  @Override
  public Integer call() {
    Kind kind = Kind.ofReference(reference);
    String name = Kind.nameOf(reference);
    String uid = Fields.string(require(kind, name), "metadata", "uid");
    kind.in(client()).inNamespace(namespace()).withName(name).delete();
    // The garbage collector would delete it too, by its owner reference; deleting it here makes it go at once.
    ConfigMap bundle = client().configMaps().inNamespace(namespace()).withName(AgentOptions.bundleName(name)).get();
    boolean ownedBundle = bundle != null && bundle.getMetadata().getOwnerReferences().stream()
        .anyMatch(owner -> owner.getUid().equals(uid));
    if (ownedBundle) {
      client().configMaps().inNamespace(namespace()).withName(AgentOptions.bundleName(name)).delete();
    }
    out().println(kind.lowerCase() + "/" + name + " deleted" + (ownedBundle ? " with configmap/"
        + AgentOptions.bundleName(name) : ""));
    out().flush();
    return 0;
  }
}
