package dev.orch.kubectl;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Parameters;

@Command(name = "secret", mixinStandardHelpOptions = true,
    description = "Which vault keys an agent gets as environment variables (spec.secrets): names only, the values"
        + " stay in the vault Secret (kubectl orch secrets set KEY).",
    subcommands = {SecretCommand.Add.class, SecretCommand.Remove.class})
public final class SecretCommand implements Runnable {

  @CommandLine.Spec
  CommandSpec spec;

  @Override
  public void run() {
    throw new CommandLine.ParameterException(spec.commandLine(), "a verb is needed: add or remove");
  }

  @Command(name = "add", mixinStandardHelpOptions = true, description = "Give the agent these vault keys.",
      footerHeading = "%nExamples:%n", footer = "  kubectl orch secret add my-bot MONITORING_TOKEN")
  public static final class Add extends Verb {
    @Parameters(index = "0", paramLabel = "NAME", description = "The agent (NAME, swarm/NAME or schedule/NAME).")
    String reference;

    @Parameters(index = "1..*", arity = "1..*", paramLabel = "KEY", description = "Vault keys.")
    List<String> keys;

    @Mixin
    Vault vault;

    @Override
    public Integer call() {
      keys.forEach(SecretCommand::checkKey);
      Kind kind = Kind.ofReference(reference);
      String name = Kind.nameOf(reference);
      Patches.editSpec(client(), kind, namespace(), name, live -> {
        List<String> secrets = new ArrayList<>(Fields.strings(live, "spec", "secrets"));
        keys.stream().filter(k -> !secrets.contains(k)).forEach(secrets::add);
        return secrets.equals(Fields.strings(live, "spec", "secrets")) ? null : Map.of("secrets", secrets);
      });
      out().println(kind.lowerCase() + "/" + name + ": secrets " + String.join(", ", keys) + " added");
      out().flush();
      Set<String> present = vault.keys(this);
      for (String key : keys) {
        if (!present.contains(key)) {
          err().println("warning: " + key + " is not in the vault Secret " + vault.secretName + " yet, so "
              + kind.lowerCase() + "/" + name + " waits (Stalled: MissingSecrets); add it with kubectl orch secrets set "
              + key + (namespace().equals("default") ? "" : " -n " + namespace()));
        }
      }
      err().flush();
      return 0;
    }
  }

  @Command(name = "remove", aliases = "rm", mixinStandardHelpOptions = true, description = "Take vault keys away from the agent.",
      footerHeading = "%nExamples:%n", footer = "  kubectl orch secret remove my-bot MONITORING_TOKEN")
  public static final class Remove extends Verb {
    @Parameters(index = "0", paramLabel = "NAME", description = "The agent (NAME, swarm/NAME or schedule/NAME).")
    String reference;

    @Parameters(index = "1..*", arity = "1..*", paramLabel = "KEY", description = "Vault keys.")
    List<String> keys;

    @Override
    public Integer call() {
      Kind kind = Kind.ofReference(reference);
      String name = Kind.nameOf(reference);
      List<String> required = new ArrayList<>();
      List<String> absent = new ArrayList<>();
      Patches.editSpec(client(), kind, namespace(), name, live -> {
        List<String> current = Fields.strings(live, "spec", "secrets");
        required.clear();
        absent.clear();
        keys.stream().filter(k -> !current.contains(k)).forEach(absent::add);
        Fields.strings(live, "spec", "requiredSecrets").stream().filter(keys::contains).forEach(required::add);
        List<String> kept = current.stream().filter(k -> !keys.contains(k)).toList();
        Map<String, Object> spec = new LinkedHashMap<>();
        spec.put("secrets", kept.isEmpty() ? null : kept);
        return kept.size() == current.size() ? null : spec;
      });
      for (String key : required) {
        err().println("warning: " + key + " is also in spec.requiredSecrets, so the agent still gets it; the manifest"
            + " that set it (kubectl orch deploy --required-secret) decides there");
      }
      err().flush();
      if (absent.size() == keys.size()) {
        throw new UserError(kind.lowerCase() + "/" + name + " has no secret " + String.join(", ", absent) + " in"
            + " spec.secrets; see them with kubectl orch info " + reference);
      }
      out().println(kind.lowerCase() + "/" + name + ": secrets " + String.join(", ", keys.stream()
          .filter(k -> !absent.contains(k)).toList()) + " removed");
      out().flush();
      return 0;
    }
  }

  static void checkKey(String key) {
    if (!AgentOptions.ENV_NAME.matcher(key).matches()) {
      throw new UserError(key + " is not a vault key name: use letters, digits and '_', e.g. DISCORD_BOT_TOKEN");
    }
  }
}
