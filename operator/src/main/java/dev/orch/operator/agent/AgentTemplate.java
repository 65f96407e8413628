package dev.orch.operator.agent;

import java.util.List;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonPropertyDescription;
import io.fabric8.generator.annotation.Pattern;
import io.fabric8.generator.annotation.Required;
import io.fabric8.generator.annotation.Size;
import io.fabric8.generator.annotation.ValidationRule;
import io.fabric8.kubernetes.api.model.ResourceRequirements;

/**
 * What runs: shared by AgentService, Swarm and Schedule so that all three describe an agent the same way
 * and turn it into a pod with the same code.
 */
@JsonInclude(JsonInclude.Include.NON_NULL)
public class AgentTemplate {
  public static final String VARIABLE_NAME = "^[A-Za-z_][A-Za-z0-9_]*$";
  public static final String DNS_SUBDOMAIN = "^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$";
  private static final String NAMES_ARE_VARIABLES = "self.all(n, n.matches('^[A-Za-z_][A-Za-z0-9_]*$'))";
  private static final String NAMES_ARE_VARIABLES_MESSAGE =
      " must be environment variable names (letters, digits and underscore, not starting with a digit,"
          + " at most 128 characters), e.g. DISCORD_BOT_TOKEN";

  @Required
  @Size(min = 3, max = 253)
  @Pattern("^[a-z0-9][a-z0-9._-]*/[a-z0-9][a-z0-9._-]*(@[A-Za-z0-9][A-Za-z0-9._+-]*)?$")
  @JsonPropertyDescription("Agent identity shown in listings, as org/name or org/name@version, e.g. acme/discord-bot@1.2.0.")
  private String agent;

  @Required
  @JsonPropertyDescription("Where the agent's code comes from: exactly one of configMap, url, git or image.")
  private Bundle bundle;

  @Size(max = 32)
  @JsonPropertyDescription("Entrypoint override. When empty the runner uses run_command from orchagent.json, then"
      + " main.py, app.py, bot.py, server.py, index.py, then index.js, main.js, app.js, bot.js, server.js.")
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
  @JsonPropertyDescription("Keys of the namespace's vault Secret the agent cannot start without (merged with"
      + " required_secrets from the bundle's orchagent.json). Missing keys stall the rollout with the command that adds them.")
  private List<@Size(min = 1, max = 128) String> requiredSecrets;

  @Size(max = 64)
  @ValidationRule(value = NAMES_ARE_VARIABLES, message = "secrets" + NAMES_ARE_VARIABLES_MESSAGE)
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
