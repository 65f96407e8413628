package dev.orch.kubectl;

import java.io.Console;
import java.io.IOException;
import java.net.HttpURLConnection;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Base64;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;

import io.fabric8.kubernetes.api.model.GenericKubernetesResource;
import io.fabric8.kubernetes.api.model.SecretBuilder;
import io.fabric8.kubernetes.client.KubernetesClientException;
import io.fabric8.kubernetes.client.dsl.base.PatchContext;
import io.fabric8.kubernetes.client.dsl.base.PatchType;
import io.fabric8.kubernetes.client.utils.Serialization;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Parameters;

@Command(name = "secrets", mixinStandardHelpOptions = true,
    description = "The namespace's vault Secret (orch-secrets): the values agents' secrets come from.",
    subcommands = {SecretsCommand.SetKey.class, SecretsCommand.ListKeys.class})
public final class SecretsCommand implements Runnable {
  @CommandLine.Spec
  CommandSpec spec;

  @Override
  public void run() {
    throw new CommandLine.ParameterException(spec.commandLine(), "a verb is needed: set or list");
  }

  @Command(name = "set", mixinStandardHelpOptions = true,
      description = {"Store a value in the vault Secret under KEY. The value is read from a prompt that does not echo"
          + " it, or from stdin when stdin is not a terminal (one trailing newline dropped); never from the command"
          + " line, where shell history and ps would keep it.",
          "Agents waiting for the key (Stalled: MissingSecrets) start without any other step."},
      footerHeading = "%nExamples:%n",
      footer = {"  kubectl orch secrets set DISCORD_BOT_TOKEN            # prompts",
          "  pass show discord | kubectl orch secrets set DISCORD_BOT_TOKEN",
          "  kubectl orch secrets set TLS_KEY < key.pem"})
  public static final class SetKey extends Verb {
    @Parameters(index = "0", paramLabel = "KEY", description = "The key (an environment variable name).")
    String key;

    @Mixin
    Vault vault;

    @Override
    public Integer call() throws IOException {
      SecretCommand.checkKey(key);
      byte[] value = readValue();
      if (value.length == 0) {
        throw new UserError("the value is empty; type it at the prompt or pipe it in, e.g. printf %s \"$TOKEN\" |"
            + " kubectl orch secrets set " + key);
      }
      String encoded = Base64.getEncoder().encodeToString(value);
      var secrets = client().secrets().inNamespace(namespace());
      boolean created = false;
      try {
        secrets.withName(vault.secretName).patch(new PatchContext.Builder().withPatchType(PatchType.JSON_MERGE)
            .withFieldManager(FIELD_MANAGER).build(), Serialization.asJson(Vault.dataPatch(key, encoded)));
      } catch (KubernetesClientException e) {
        if (e.getCode() != HttpURLConnection.HTTP_NOT_FOUND) {
          throw e;
        }
        secrets.resource(new SecretBuilder().withNewMetadata().withName(vault.secretName).endMetadata()
            .withType("Opaque").withData(Map.of(key, encoded)).build()).fieldManager(FIELD_MANAGER).serverSideApply();
        created = true;
      }
      out().println("secret/" + vault.secretName + ": " + key + " set" + (created ? " (Secret created)" : "")
          + "; agents get it through spec.requiredSecrets, spec.secrets (kubectl orch secret add NAME " + key
          + ") or their orchagent.json");
      out().flush();
      return 0;
    }

    private byte[] readValue() throws IOException {
      Console console = System.console();
      if (console != null && root().stdin == System.in) {
        char[] typed = console.readPassword("Value for %s (not shown): ", key);
        return typed == null ? new byte[0] : new String(typed).getBytes(StandardCharsets.UTF_8);
      }
      byte[] piped = root().stdin.readAllBytes();
      int end = piped.length;
      if (end > 0 && piped[end - 1] == '\n') {
        end--;
        if (end > 0 && piped[end - 1] == '\r') {
          end--;
        }
      }
      return Arrays.copyOf(piped, end);
    }
  }

  @Command(name = "list", aliases = "ls", mixinStandardHelpOptions = true,
      description = "The vault's keys (never their values) and which agents use each; keys agents name that the"
          + " vault lacks are listed as missing.",
      footerHeading = "%nExamples:%n", footer = "  kubectl orch secrets list")
  public static final class ListKeys extends Verb {
    @Mixin
    Vault vault;

    @Override
    public Integer call() {
      Set<String> keys = vault.keys(this);
      Map<String, List<String>> usedBy = new TreeMap<>();
      for (Kind kind : Kind.values()) {
        for (GenericKubernetesResource resource : kind.in(client()).inNamespace(namespace()).list().getItems()) {
          Set<String> names = new TreeSet<>(Fields.strings(resource, "spec", "requiredSecrets"));
          names.addAll(Fields.strings(resource, "spec", "secrets"));
          String who = kind == Kind.AGENT_SERVICE ? resource.getMetadata().getName()
              : kind.lowerCase() + "/" + resource.getMetadata().getName();
          names.forEach(n -> usedBy.computeIfAbsent(n, k -> new ArrayList<>()).add(who));
        }
      }
      if (keys.isEmpty() && usedBy.isEmpty()) {
        out().println("the vault Secret " + vault.secretName + " in namespace " + namespace() + " has no keys; add one"
            + " with kubectl orch secrets set KEY");
        out().flush();
        return 0;
      }
      Table table = new Table("KEY", "USED BY");
      keys.forEach(k -> table.row(k, String.join(", ", usedBy.getOrDefault(k, List.of()))));
      usedBy.keySet().stream().filter(k -> !keys.contains(k)).forEach(k -> table.row(
          terminal().alarm(k + " (missing)"), String.join(", ", usedBy.get(k))));
      table.print(out());
      usedBy.keySet().stream().filter(k -> !keys.contains(k)).findFirst().ifPresent(k -> out().println(
          "add a missing key with kubectl orch secrets set " + k));
      out().flush();
      return 0;
    }
  }
}
