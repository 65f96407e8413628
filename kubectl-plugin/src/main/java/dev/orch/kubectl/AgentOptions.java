package dev.orch.kubectl;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Stack;
import java.util.regex.Pattern;

import picocli.CommandLine.ArgGroup;
import picocli.CommandLine.IParameterConsumer;
import picocli.CommandLine.Model.ArgSpec;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/**
 * The agent template every kind shares (spec.agent, bundle, command, args, env, requiredSecrets, secrets), from
 * deploy's flags: DIR, --bundle-url or --git for the code, and the rest as in `orch service deploy`.
 */
public final class AgentOptions {
  private static final Pattern DNS_LABEL = Pattern.compile("[a-z0-9]([-a-z0-9]*[a-z0-9])?");
  /** An environment variable name, which a vault key also becomes. */
  static final Pattern ENV_NAME = Pattern.compile("[A-Za-z_][A-Za-z0-9_]*");
  private static final Pattern AGENT_PART = Pattern.compile("[^a-z0-9._-]+");

  @Parameters(index = "0", arity = "0..1", paramLabel = "DIR",
      description = "The agent's directory, packed into the bundle ConfigMap NAME-bundle.")
  Path directory;

  @ArgGroup(exclusive = true)
  RemoteBundle remote;

  static final class RemoteBundle {
    @Option(names = "--bundle-url", paramLabel = "URL",
        description = "Deploy an https .tar.gz/.zip archive instead of a directory.")
    String url;

    @Option(names = "--git", paramLabel = "REPO[@REF]",
        description = "Deploy from a git repository (https://, ssh:// or git@host:path), at a branch, tag or commit.")
    String git;
  }

  @Option(names = "--sha256", paramLabel = "HEX", description = "Expected SHA-256 of the --bundle-url archive.")
  String sha256;

  @Option(names = "--git-path", paramLabel = "PATH", description = "Directory inside the --git repository holding the agent.")
  String gitPath;

  @Option(names = "--name", paramLabel = "NAME",
      description = "Name of the resource (default: orchagent.json's name, else the directory's).")
  String name;

  @Option(names = "--agent", paramLabel = "ORG/NAME[@VERSION]",
      description = "Agent identity shown in listings (default: orchagent.json's name and version, under the namespace"
          + " as org).")
  String agent;

  @Option(names = "--env", paramLabel = "KEY=VALUE", description = "Environment variable (repeatable); never a secret.")
  List<String> env = new ArrayList<>();

  @Option(names = "--secret", paramLabel = "KEY",
      description = "Extra key of the namespace's vault Secret to inject (repeatable); orchagent.json's"
          + " required_secrets are included without it.")
  List<String> secrets = new ArrayList<>();

  @Option(names = "--required-secret", paramLabel = "KEY",
      description = "Key of the vault Secret the agent cannot start without (repeatable): until it exists the"
          + " resource is Stalled with the command that adds it.")
  List<String> requiredSecrets = new ArrayList<>();

  @Option(names = "--command", paramLabel = "COMMAND",
      description = "Entrypoint override, split at spaces, e.g. \"python worker.py\" (default: detected by the runner).")
  String command;

  @Option(names = "--arg", paramLabel = "ARG", parameterConsumer = Verbatim.class,
      description = "Argument passed to the entrypoint (repeatable), taken as it is: --arg --verbose.")
  List<String> args = new ArrayList<>();

  /** An agent's arguments often look like options (--verbose, --port=3000): the next word is the value, whatever it is. */
  static final class Verbatim implements IParameterConsumer {
    @Override
    public void consumeParameters(Stack<String> words, ArgSpec option, CommandSpec command) {
      if (words.isEmpty()) {
        throw new ParameterException(command.commandLine(), "--arg needs a value, e.g. --arg --verbose");
      }
      List<String> values = option.getValue();
      values.add(words.pop());
    }
  }

  /** The code's source: the packed directory, or null for a URL or git bundle. */
  public BundleDirectory.Packed pack() {
    return directory == null ? null : BundleDirectory.pack(directory);
  }

  public void checkSource() {
    if ((directory == null) == (remote == null)) {
      throw new UserError(directory == null
          ? "say where the agent's code is: a directory (kubectl orch deploy ./my-agent), --bundle-url URL or --git REPO@REF"
          : "give either a directory or " + (remote.url != null ? "--bundle-url" : "--git") + ", not both");
    }
    if (sha256 != null && (remote == null || remote.url == null)) {
      throw new UserError("--sha256 checks a --bundle-url archive; drop it or add --bundle-url");
    }
    if (gitPath != null && (remote == null || remote.git == null)) {
      throw new UserError("--git-path is a directory inside a --git repository; drop it or add --git");
    }
  }

  /** The resource's name: --name, else orchagent.json's name, else the directory's, checked as a DNS label. */
  public String resourceName(Map<String, Object> manifest) {
    String chosen = name;
    if (chosen == null && manifest != null) {
      String fromManifest = Fields.string(manifest, "name");
      chosen = fromManifest == null ? null : fromManifest.substring(fromManifest.indexOf('/') + 1);
    }
    if (chosen == null && directory != null) {
      Path fileName = directory.toAbsolutePath().normalize().getFileName();
      chosen = fileName == null ? null : fileName.toString().toLowerCase(Locale.ROOT);
    }
    if (chosen == null) {
      throw new UserError("--name is needed when deploying from --bundle-url or --git, e.g. --name my-bot");
    }
    if (!DNS_LABEL.matcher(chosen).matches() || chosen.length() > 63) {
      throw new UserError("\"" + chosen + "\" cannot name a resource: use lower-case letters, digits and '-' (at"
          + " most 63, starting and ending with a letter or digit); pass --name, e.g. --name my-bot");
    }
    return chosen;
  }

  public static String bundleName(String resourceName) {
    return resourceName + "-bundle";
  }

  /** spec.agent: --agent, else orchagent.json's name@version (org: the namespace), else NAMESPACE/NAME. */
  String agentIdentity(String resourceName, String namespace, Map<String, Object> manifest) {
    if (agent != null) {
      return agent;
    }
    String manifestName = Fields.string(manifest, "name");
    String base = manifestName == null ? resourceName : manifestName.toLowerCase(Locale.ROOT);
    String identity = base.contains("/") ? base : namespace + "/" + AGENT_PART.matcher(base).replaceAll("-");
    String version = Fields.string(manifest, "version");
    return version == null ? identity : identity + "@" + version;
  }

  /** The shared fields of the spec, in the order a person would write them. */
  public Map<String, Object> spec(String resourceName, String namespace, BundleDirectory.Packed packed) {
    Map<String, Object> manifest = packed == null ? Map.of() : packed.manifest();
    Map<String, Object> spec = new LinkedHashMap<>();
    spec.put("agent", agentIdentity(resourceName, namespace, manifest));
    spec.put("bundle", bundle(resourceName));
    if (command != null) {
      spec.put("command", commandWords());
    }
    if (!args.isEmpty()) {
      spec.put("args", List.copyOf(args));
    }
    if (!env.isEmpty()) {
      spec.put("env", envVars());
    }
    List<String> required = new ArrayList<>(requiredSecrets);
    if (packed != null && packed.archived()) {
      // The operator reads required_secrets from a flat bundle's orchagent.json key only; an archive hides it.
      packed.requiredSecrets().stream().filter(k -> !required.contains(k)).forEach(required::add);
    }
    if (!required.isEmpty()) {
      spec.put("requiredSecrets", checkedKeys(required, "--required-secret"));
    }
    if (!secrets.isEmpty()) {
      spec.put("secrets", checkedKeys(secrets, "--secret"));
    }
    return spec;
  }

  private Map<String, Object> bundle(String resourceName) {
    Map<String, Object> bundle = new LinkedHashMap<>();
    if (directory != null) {
      bundle.put("configMap", Map.of("name", bundleName(resourceName)));
    } else if (remote.url != null) {
      if (!remote.url.startsWith("https://")) {
        throw new UserError("--bundle-url must be an https URL of a .tar.gz, .tgz or .zip archive (got " + remote.url + ")");
      }
      bundle.put("url", remote.url);
      if (sha256 != null) {
        bundle.put("sha256", sha256);
      }
    } else {
      Map<String, Object> git = new LinkedHashMap<>();
      String[] repositoryAndRef = splitGit(remote.git);
      git.put("repository", repositoryAndRef[0]);
      if (repositoryAndRef[1] != null) {
        git.put("ref", repositoryAndRef[1]);
      }
      if (gitPath != null) {
        git.put("path", gitPath);
      }
      bundle.put("git", git);
    }
    return bundle;
  }

  /** REPO@REF, where REPO may itself hold an '@' (git@host:path): the ref follows the last '@' after the path. */
  static String[] splitGit(String value) {
    int at = value.lastIndexOf('@');
    if (at > 0) {
      String repository = value.substring(0, at);
      String afterScheme = repository.replaceFirst("^(https://|ssh://)", "");
      boolean hasPath = afterScheme.contains("/") || (repository.startsWith("git@") && repository.contains(":"));
      if (hasPath && !repository.equals("git")) {
        return new String[] {repository, value.substring(at + 1)};
      }
    }
    return new String[] {value, null};
  }

  private List<String> commandWords() {
    if (command.contains("\"") || command.contains("'") || command.contains("\\")) {
      throw new UserError("--command takes no shell quoting: give the program and plain words, e.g. --command"
          + " \"python worker.py\", and pass an argument with spaces or quotes as --arg \"...\"");
    }
    List<String> words = List.of(command.trim().split("\\s+"));
    if (words.get(0).isEmpty()) {
      throw new UserError("--command is empty; give the program to run, e.g. --command \"python worker.py\"");
    }
    return words;
  }

  private List<Map<String, Object>> envVars() {
    Map<String, String> values = new LinkedHashMap<>();
    for (String pair : env) {
      int equals = pair.indexOf('=');
      String key = equals < 0 ? pair : pair.substring(0, equals);
      if (equals < 0 || !ENV_NAME.matcher(key).matches()) {
        throw new UserError("--env " + pair + " must be KEY=VALUE with KEY a variable name, e.g. --env LOG_LEVEL=info");
      }
      values.put(key, pair.substring(equals + 1));
    }
    return values.entrySet().stream().map(e -> envVar(e.getKey(), e.getValue())).toList();
  }

  /** One spec.env entry, name first as people write it. */
  static Map<String, Object> envVar(String name, String value) {
    Map<String, Object> variable = new LinkedHashMap<>();
    variable.put("name", name);
    variable.put("value", value);
    return variable;
  }

  private static List<String> checkedKeys(List<String> keys, String flag) {
    for (String key : keys) {
      if (!ENV_NAME.matcher(key).matches()) {
        throw new UserError(flag + " " + key + " must be a vault key name (letters, digits and '_'), e.g. "
            + flag + " DISCORD_BOT_TOKEN");
      }
    }
    return List.copyOf(new LinkedHashSet<>(keys));
  }
}
