package dev.orch.kubectl;

import java.io.InputStream;
import java.io.PrintWriter;
import java.net.ConnectException;
import java.net.HttpURLConnection;
import java.util.Collection;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

import javax.net.ssl.SSLException;

import io.fabric8.kubernetes.client.KubernetesClientException;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Spec;

/**
 * `kubectl orch`: the reference CLI's `orch service` verbs over AgentServices, Swarms and Schedules. Every change is
 * a plain Kubernetes write (server-side apply or a patch, field manager kubectl-orch) that GitOps can own instead.
 *
 * <p>Exit codes: 0 done, 1 failed (the error says what to do), 2 bad usage.
 */
@Command(name = "kubectl orch", mixinStandardHelpOptions = true, version = "kubectl-orch 0.1.0",
    description = "Deploy agents and look after AgentServices, Swarms and Schedules (orch-operator).",
    footerHeading = "%nExamples:%n",
    footer = {
        "  kubectl orch deploy ./discord-bot --agent acme/discord-bot@1.2.0 --env LOG_LEVEL=info --wait",
        "  kubectl orch list --status running",
        "  kubectl orch info discord-bot",
        "  kubectl orch logs discord-bot --follow",
        "  kubectl orch rollout status discord-bot",
        "  kubectl orch secrets set DISCORD_BOT_TOKEN",
        "",
        "Exit codes: 0 done, 1 failed (the message says what to do), 2 wrong usage.",
        "Every verb takes --kubeconfig, --context and -n/--namespace like kubectl; see kubectl orch VERB --help."})
public final class KubectlOrch implements Runnable {
  public static final int FAILED = 1;
  /**
   * The verbs by name and alias. picocli builds a verb's model by reflection when it is added, so a run adds only
   * the verb it runs (a third of the start-up of `kubectl orch list`); help and completion add them all.
   */
  private static final Map<String, Class<?>> VERBS = verbs(DeployCommand.class, ListCommand.class, InfoCommand.class,
      LogsCommand.class, RestartCommand.class, PauseCommand.class, ResumeCommand.class, SleepWakeVerb.Sleep.class,
      SleepWakeVerb.Wake.class, RolloutCommand.class, EnvCommand.class, SecretCommand.class, SecretsCommand.class,
      SwarmCommand.class, ScheduleCommand.class, DeleteCommand.class, CompletionCommand.class);
  private static final Set<String> ROOT_OPTIONS_WITH_VALUE = Set.of("--kubeconfig", "--context", "-n", "--namespace");

  @Mixin
  Cluster cluster;

  Terminal terminal = Terminal.plain();

  /** Where secrets set reads a piped value; tests hand it one. */
  InputStream stdin = System.in;

  @Spec
  CommandSpec spec;

  @Override
  public void run() {
    throw new CommandLine.ParameterException(spec.commandLine(), "a verb is needed; see kubectl orch --help");
  }

  /** A command line with every verb and the plugin's error handling, writing to the given streams. */
  public static CommandLine commandLine(PrintWriter out, PrintWriter err, Terminal terminal, InputStream stdin) {
    return commandLine(out, err, terminal, stdin, new LinkedHashSet<>(VERBS.values()));
  }

  private static CommandLine commandLine(PrintWriter out, PrintWriter err, Terminal terminal, InputStream stdin,
      Collection<Class<?>> verbs) {
    KubectlOrch root = new KubectlOrch();
    root.terminal = terminal;
    root.stdin = stdin;
    CommandLine commandLine = new CommandLine(root);
    verbs.forEach(commandLine::addSubcommand);
    // Examples are command lines to copy; kubectl's own help does not fold them either.
    commandLine.setUsageHelpWidth(120);
    commandLine.setOut(out);
    commandLine.setErr(err);
    commandLine.setExecutionExceptionHandler((exception, line, parseResult) -> {
      line.getErr().println("error: " + describe(exception, root));
      line.getErr().flush();
      return FAILED;
    });
    return commandLine;
  }

  public static void main(String[] args) {
    PrintWriter out = new PrintWriter(System.out, false);
    PrintWriter err = new PrintWriter(System.err, true);
    int exit;
    Class<?> verb = verbOf(args);
    CommandLine commandLine = commandLine(out, err, Terminal.detect(System.getenv()), System.in,
        verb == null || verb == CompletionCommand.class ? new LinkedHashSet<>(VERBS.values()) : List.of(verb));
    KubectlOrch root = commandLine.getCommand();
    try {
      exit = args.length >= 2 && args[0].equals("completion") && args[1].equals(CompletionCommand.KUBECTL_PROTOCOL)
          ? CompletionCommand.complete(commandLine, List.of(args).subList(2, args.length))
          : commandLine.execute(args);
    } finally {
      out.flush();
      root.cluster.close();
    }
    System.exit(exit);
  }

  /** The verb the arguments name after the root's own options, or null (no verb, or --help before it). */
  static Class<?> verbOf(String[] args) {
    for (int i = 0; i < args.length; i++) {
      if (ROOT_OPTIONS_WITH_VALUE.contains(args[i])) {
        i++;
      } else if (!args[i].startsWith("-")) {
        return VERBS.get(args[i]);
      } else if (!args[i].contains("=")) {
        return null;
      }
    }
    return null;
  }

  private static Map<String, Class<?>> verbs(Class<?>... classes) {
    Map<String, Class<?>> byName = new LinkedHashMap<>();
    for (Class<?> verb : classes) {
      Command command = verb.getAnnotation(Command.class);
      byName.put(command.name(), verb);
      for (String alias : command.aliases()) {
        byName.put(alias, verb);
      }
    }
    return byName;
  }

  /** What went wrong, in words that say what to do. */
  static String describe(Exception exception, KubectlOrch root) {
    if (exception instanceof UserError) {
      return exception.getMessage();
    }
    if (exception instanceof KubernetesClientException k8s) {
      Throwable cause = k8s.getCause();
      boolean tls = false;
      while (cause != null && !(cause instanceof ConnectException) && cause.getCause() != null) {
        tls |= cause instanceof SSLException;
        cause = cause.getCause();
      }
      String server = root.cluster.server().map(url -> " at " + url).orElse("");
      String why = " (" + (cause == null ? k8s.getMessage() : cause.toString()) + ")";
      if (tls) {
        return "the API server" + server + " is not the one the kubeconfig trusts" + why + "; check the cluster's"
            + " certificate-authority in the kubeconfig and --context: kubectl cluster-info";
      }
      if (cause instanceof ConnectException || k8s.getCode() <= 0 && k8s.getStatus() == null) {
        return "cannot reach the Kubernetes API server" + server + why + "; check that the cluster is up and"
            + " that --kubeconfig/--context (or KUBECONFIG) name it: kubectl cluster-info";
      }
      String reason = k8s.getStatus() != null && k8s.getStatus().getMessage() != null ? k8s.getStatus().getMessage()
          : k8s.getMessage();
      return switch (k8s.getCode()) {
        case HttpURLConnection.HTTP_FORBIDDEN -> reason + "; ask your cluster admin for the edit role in this namespace"
            + " (kubectl create rolebinding NAME --clusterrole=edit --user=YOU -n NAMESPACE)";
        case HttpURLConnection.HTTP_UNAUTHORIZED -> reason + "; your credentials were refused: log in again or pick"
            + " another --context";
        case HttpURLConnection.HTTP_NOT_FOUND -> reason.contains("the server could not find the requested resource")
            ? reason + "; the orch.dev CRDs are not installed in this cluster: install the operator (helm install"
              + " orch-operator helm/orch-operator) or kubectl apply --server-side -f crds/" : reason;
        case 422 -> "the API server refused it: " + reason;
        default -> reason;
      };
    }
    return exception.toString();
  }
}
