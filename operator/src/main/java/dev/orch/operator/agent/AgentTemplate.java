package dev.orch.operator.agent;

import java.util.List;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonPropertyDescription;
import io.fabric8.generator.annotation.Required;
import io.fabric8.generator.annotation.Size;
import io.fabric8.generator.annotation.ValidationRule;
import io.fabric8.kubernetes.api.model.ResourceRequirements;

/**
 * What runs: shared by AgentService, Swarm and Schedule so that all three describe an agent the same way
 * and turn it into a pod with the same code.
 */
@JsonInclude(JsonInclude.Include.NON_NULL)
@ValidationRule(
    value = "!has(self.env) || self.env.all(e, !(has(self.secrets) && e.name in self.secrets)"
        + " && !(has(self.requiredSecrets) && e.name in self.requiredSecrets))",
    fieldPath = ".env",
    message = "an env name is also listed under secrets or requiredSecrets: a variable comes either from env or"
        + " from the vault Secret; remove it from one of them")
@ValidationRule(
    value = "!has(self.bundle) || !has(self.bundle.image) || (has(self.command) && size(self.command) > 0)",
    fieldPath = ".command",
    message = "a bundle.image agent needs command: the supervisor starts it (the operator never reads images, so it"
        + " cannot know their entrypoint); set command and args to what the image runs, e.g. command: [python, bot.py]")
public class AgentTemplate {
  public static final String VARIABLE_NAME = "^[A-Za-z_][A-Za-z0-9_]*$";
  public static final String DNS_SUBDOMAIN = "^[a-z0-9]([-a-z0-9]*[a-z0-9])?([.][a-z0-9]([-a-z0-9]*[a-z0-9])?)*$";
  /** CEL: the variables {@link AgentPod} sets itself, which an agent's env or secrets must not replace. */
  static final String SET_BY_OPERATOR = "['PORT', 'ORCHAGENT_HTTP_PORT', 'HOME']";
  static final String SET_BY_OPERATOR_MESSAGE = " is set by the operator: PORT and ORCHAGENT_HTTP_PORT come from"
      + " spec.http.port, HOME is /tmp and ORCH_* names configure the runner; choose another name";
  private static final String NAMES_ARE_VARIABLES = "self.all(n, n.matches('" + VARIABLE_NAME + "'))";
  private static final String NAMES_ARE_VARIABLES_MESSAGE =
      " must be environment variable names (letters, digits and underscore, not starting with a digit,"
          + " at most 128 characters), e.g. DISCORD_BOT_TOKEN";
  private static final String NAMES_NOT_SET_BY_OPERATOR =
      "self.all(n, !(n in " + SET_BY_OPERATOR + ") && !n.startsWith('ORCH_'))";
  private static final String FIRST_SET_BY_OPERATOR =
      "self.filter(n, n in " + SET_BY_OPERATOR + " || n.startsWith('ORCH_'))[0]";
  private static final String NAMES_UNIQUE = "self.all(n, self.exists_one(m, m == n))";
  private static final String FIRST_REPEATED = "self.filter(n, !self.exists_one(m, m == n))[0]";

  @Required
  @Size(min = 3, max = 253)
  @ValidationRule(
      value = "self.matches('^[a-z0-9][a-z0-9._-]*/[a-z0-9][a-z0-9._-]*(@[A-Za-z0-9][A-Za-z0-9._+-]*)?$')",
      message = "agent must be org/name or org/name@version in lower case (letters, digits, '.', '_', '-'),"
          + " e.g. acme/discord-bot@1.2.0")
  @JsonPropertyDescription("Agent identity shown in listings, as org/name or org/name@version, e.g. acme/discord-bot@1.2.0.")
  private String agent;

  @Required
  @JsonPropertyDescription("Where the agent's code comes from: exactly one of configMap, url, git or image.")
  private Bundle bundle;

  @Size(max = 32)
  @ValidationRule(
      value = "self.all(c, c.size() > 0)",
      message = "command must not contain empty strings: write the program and its arguments as entries,"
          + " e.g. [python, worker.py], or as one string, e.g. [\"python worker.py\"]")
  @ValidationRule(
      value = "self.size() != 1 || !self[0].contains(' ') || !(self[0].contains('\"') || self[0].contains(\"'\")"
          + " || self[0].contains('\\\\'))",
      message = "a one-entry command is split at its spaces and takes no shell quoting; write an argument that"
          + " holds spaces or quotes as entries of its own, e.g. [python, -c, \"print('hi')\"]")
  @JsonPropertyDescription("Entrypoint override, as the program and its arguments, e.g. [python, worker.py]; a single"
      + " entry with spaces, e.g. [\"python worker.py\"], is split at the spaces. When empty the runner uses run_command"
      + " from orchagent.json, then main.py, app.py, bot.py, server.py, index.py, then index.js, main.js, app.js,"
      + " bot.js, server.js.")
  private List<@Size(max = 4096) String> command;

  @Size(max = 128)
  @JsonPropertyDescription("Arguments passed to the entrypoint.")
  private List<@Size(max = 4096) String> args;

  @Size(max = 128)
  @ValidationRule(
      value = "self.all(e, self.exists_one(f, f.name == e.name))",
      message = "env names must be unique; remove the repeated entry")
  @JsonPropertyDescription("Non-sensitive environment variables. Names that look like credentials are refused: use secrets.")
  private List<EnvVar> env;

  @Size(max = 64)
  @ValidationRule(value = NAMES_ARE_VARIABLES, message = "requiredSecrets" + NAMES_ARE_VARIABLES_MESSAGE)
  @ValidationRule(value = NAMES_NOT_SET_BY_OPERATOR,
      messageExpression = "'requiredSecrets entry ' + " + FIRST_SET_BY_OPERATOR + " + '" + SET_BY_OPERATOR_MESSAGE + "'")
  @ValidationRule(value = NAMES_UNIQUE,
      messageExpression = "'requiredSecrets lists ' + " + FIRST_REPEATED + " + ' more than once; remove the repeated entry'")
  @JsonPropertyDescription("Keys of the namespace's vault Secret the agent cannot start without (merged with"
      + " required_secrets from the bundle's orchagent.json). Missing keys stall the rollout with the command that adds them.")
  private List<@Size(min = 1, max = 128) String> requiredSecrets;

  @Size(max = 64)
  @ValidationRule(value = NAMES_ARE_VARIABLES, message = "secrets" + NAMES_ARE_VARIABLES_MESSAGE)
  @ValidationRule(value = NAMES_NOT_SET_BY_OPERATOR,
      messageExpression = "'secrets entry ' + " + FIRST_SET_BY_OPERATOR + " + '" + SET_BY_OPERATOR_MESSAGE + "'")
  @ValidationRule(value = NAMES_UNIQUE,
      messageExpression = "'secrets lists ' + " + FIRST_REPEATED + " + ' more than once; remove the repeated entry'")
  @JsonPropertyDescription("Extra keys of the namespace's vault Secret to inject as environment variables.")
  private List<@Size(min = 1, max = 128) String> secrets;

  @JsonPropertyDescription("CPU and memory requests and limits of the agent container.")
  private ResourceRequirements resources;

  @JsonPropertyDescription("Node selection for the agent's pods: nodeSelector, tolerations and affinity.")
  private Placement placement;

  public String getAgent() {
    return agent;
  }

  public void setAgent(String agent) {
    this.agent = agent;
  }

  public Bundle getBundle() {
    return bundle;
  }

  public void setBundle(Bundle bundle) {
    this.bundle = bundle;
  }

  public List<String> getCommand() {
    return command;
  }

  public void setCommand(List<String> command) {
    this.command = command;
  }

  public List<String> getArgs() {
    return args;
  }

  public void setArgs(List<String> args) {
    this.args = args;
  }

  public List<EnvVar> getEnv() {
    return env;
  }

  public void setEnv(List<EnvVar> env) {
    this.env = env;
  }

  public List<String> getRequiredSecrets() {
    return requiredSecrets;
  }

  public void setRequiredSecrets(List<String> requiredSecrets) {
    this.requiredSecrets = requiredSecrets;
  }

  public List<String> getSecrets() {
    return secrets;
  }

  public void setSecrets(List<String> secrets) {
    this.secrets = secrets;
  }

  public ResourceRequirements getResources() {
    return resources;
  }

  public void setResources(ResourceRequirements resources) {
    this.resources = resources;
  }

  public Placement getPlacement() {
    return placement;
  }

  public void setPlacement(Placement placement) {
    this.placement = placement;
  }
}
