package dev.orch.kubectl;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

@Command(name = "env", mixinStandardHelpOptions = true,
    description = "Environment variables of an agent (spec.env); a change rolls fresh pods. Works on NAME, swarm/NAME"
        + " and schedule/NAME. Secrets never go here: see kubectl orch secret.",
    subcommands = {EnvCommand.Set.class, EnvCommand.Unset.class, EnvCommand.ListVariables.class})
public final class EnvCommand implements Runnable {

  @CommandLine.Spec
  CommandSpec spec;

  @Override
  public void run() {
    throw new CommandLine.ParameterException(spec.commandLine(), "a verb is needed: set, unset or list");
  }

  @Command(name = "set", mixinStandardHelpOptions = true, description = "Set or change variables (merged with the others).",
      footerHeading = "%nExamples:%n", footer = "  kubectl orch env set my-bot DEPLOY_ENV=production LOG_LEVEL=warn")
  public static final class Set extends Verb {
    @Parameters(index = "0", paramLabel = "NAME", description = "The agent.")
    String reference;

    @Parameters(index = "1..*", arity = "1..*", paramLabel = "KEY=VALUE", description = "Variables to set.")
    List<String> pairs;

    @Override
    public Integer call() {
      Map<String, String> wanted = new LinkedHashMap<>();
      for (String pair : pairs) {
        int equals = pair.indexOf('=');
        if (equals <= 0 || !AgentOptions.ENV_NAME.matcher(pair.substring(0, equals)).matches()) {
          throw new UserError(pair + " must be KEY=VALUE with KEY a variable name, e.g. LOG_LEVEL=warn");
        }
        wanted.put(pair.substring(0, equals), pair.substring(equals + 1));
      }
      Kind kind = Kind.ofReference(reference);
      String name = Kind.nameOf(reference);
      Patches.editSpec(client(), kind, namespace(), name, live -> {
        List<Map<String, Object>> env = new ArrayList<>();
        Map<String, String> remaining = new LinkedHashMap<>(wanted);
        for (Map<String, Object> variable : Fields.objects(live, "spec", "env")) {
          Object key = variable.get("name");
          if (remaining.containsKey(key)) {
            env.add(AgentOptions.envVar((String) key, remaining.remove(key)));
          } else {
            env.add(variable);
          }
        }
        remaining.forEach((key, value) -> env.add(AgentOptions.envVar(key, value)));
        return env.equals(Fields.objects(live, "spec", "env")) ? null : Map.of("env", env);
      });
      out().println(kind.lowerCase() + "/" + name + ": set " + String.join(", ", wanted.keySet()));
      out().flush();
      return 0;
    }
  }

  @Command(name = "unset", mixinStandardHelpOptions = true, description = "Remove variables.",
      footerHeading = "%nExamples:%n", footer = "  kubectl orch env unset my-bot DEBUG_MODE")
  public static final class Unset extends Verb {
    @Parameters(index = "0", paramLabel = "NAME", description = "The agent.")
    String reference;

    @Parameters(index = "1..*", arity = "1..*", paramLabel = "KEY", description = "Variables to remove.")
    List<String> keys;

    @Override
    public Integer call() {
      Kind kind = Kind.ofReference(reference);
      String name = Kind.nameOf(reference);
      List<String> absent = new ArrayList<>();
      Patches.editSpec(client(), kind, namespace(), name, live -> {
        List<Map<String, Object>> current = Fields.objects(live, "spec", "env");
        absent.clear();
        keys.stream().filter(k -> current.stream().noneMatch(v -> k.equals(v.get("name")))).forEach(absent::add);
        List<Map<String, Object>> kept = current.stream().filter(v -> !keys.contains(v.get("name"))).toList();
        Map<String, Object> spec = new LinkedHashMap<>();
        spec.put("env", kept.isEmpty() ? null : kept);
        return kept.size() == current.size() ? null : spec;
      });
      if (absent.size() == keys.size()) {
        throw new UserError(kind.lowerCase() + "/" + name + " has no variable " + String.join(", ", absent)
            + "; see them with kubectl orch env list " + reference);
      }
      out().println(kind.lowerCase() + "/" + name + ": unset " + String.join(", ", keys.stream()
          .filter(k -> !absent.contains(k)).toList()) + (absent.isEmpty() ? "" : " (not set: " + String.join(", ", absent) + ")"));
      out().flush();
      return 0;
    }
  }

  @Command(name = "list", aliases = "ls", mixinStandardHelpOptions = true, description = "List the variables.",
      footerHeading = "%nExamples:%n", footer = {"  kubectl orch env list my-bot", "  kubectl orch env list my-bot -o json"})
  public static final class ListVariables extends Verb {
    @Parameters(index = "0", paramLabel = "NAME", description = "The agent.")
    String reference;

    @Option(names = {"-o", "--output"}, paramLabel = "json|yaml", description = "Output format.")
    String output;

    @Override
    protected boolean readsOnly() {
      return true;
    }

    @Override
    public Integer call() {
      Map<String, Object> resource = require(Kind.ofReference(reference), Kind.nameOf(reference));
      List<Map<String, Object>> env = Fields.objects(resource, "spec", "env");
      if (output != null) {
        out().println(("json".equals(output) ? Printer.json(env) : Printer.yaml(env)).strip());
      } else if (env.isEmpty()) {
        out().println("no variables; set one with kubectl orch env set " + reference + " KEY=VALUE");
      } else {
        Table table = new Table("NAME", "VALUE");
        env.forEach(v -> table.row(Fields.string(v, "name"), Fields.string(v, "value")));
        table.print(out());
      }
      out().flush();
      return 0;
    }
  }
}
