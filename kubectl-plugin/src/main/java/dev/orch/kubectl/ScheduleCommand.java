package dev.orch.kubectl;

import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Base64;
import java.util.List;
import java.util.Locale;
import java.util.Map;

import io.fabric8.kubernetes.api.model.Secret;
import io.fabric8.kubernetes.client.utils.Serialization;
import picocli.CommandLine;
import picocli.CommandLine.ArgGroup;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

@Command(name = "schedule", mixinStandardHelpOptions = true,
    description = "Schedules: an agent run on a cron timetable or by a secret webhook URL, with its run history.",
    subcommands = {ScheduleCommand.Deploy.class, ScheduleCommand.Trigger.class, ScheduleCommand.Runs.class,
        ScheduleCommand.WebhookUrl.class})
public final class ScheduleCommand implements Runnable {
  static final String TRIGGER_ANNOTATION = "orch.dev/trigger";

  @CommandLine.Spec
  CommandSpec spec;

  @Override
  public void run() {
    throw new CommandLine.ParameterException(spec.commandLine(),
        "a verb is needed: deploy, trigger, runs or webhook-url");
  }

  @Command(name = "deploy", mixinStandardHelpOptions = true,
      description = "Deploy an agent as a Schedule: on a cron timetable (--cron) or by webhook (--webhook); bundle and"
          + " flags as in kubectl orch deploy.",
      footerHeading = "%nExamples:%n",
      footer = {
          "  kubectl orch schedule deploy ./daily-report --cron \"0 9 * * 1-5\" --tz Europe/Berlin --run-timeout 600",
          "  kubectl orch schedule deploy ./deploy-hook --webhook",
          "  kubectl orch schedule webhook-url deploy-hook"})
  public static final class Deploy extends DeployVerb {
    @ArgGroup(exclusive = true, multiplicity = "1")
    When when;

    static final class When {
      @Option(names = "--cron", paramLabel = "EXPR", description = "Cron expression, e.g. \"0 9 * * 1-5\".")
      String cron;

      @Option(names = "--webhook", description = "Run on each call of the schedule's secret webhook URL.")
      boolean webhook;
    }

    @Option(names = "--tz", paramLabel = "ZONE", description = "Time zone of --cron, e.g. Europe/Berlin (default UTC).")
    String timeZone;

    @Option(names = "--run-timeout", paramLabel = "SECONDS", description = "Longest a run may take (default 3600).")
    Integer timeoutSeconds;

    @Override
    protected Kind kind() {
      return Kind.SCHEDULE;
    }

    @Override
    protected Map<String, Object> kindSpec() {
      if (timeZone != null && when.cron == null) {
        throw new UserError("--tz is the time zone of --cron; a --webhook schedule has none");
      }
      return fields("type", when.cron != null ? "cron" : "webhook", "schedule", when.cron, "timeZone", timeZone,
          "timeoutSeconds", timeoutSeconds);
    }

    @Override
    protected String nextSteps(String name) {
      return "  runs:    kubectl orch schedule runs " + name + "\n  run now: kubectl orch schedule trigger " + name;
    }
  }

  @Command(name = "trigger", mixinStandardHelpOptions = true,
      description = {"Start a run now, even when the schedule is disabled or another run is active.",
          "Without --input this sets the annotation orch.dev/trigger; with --input the JSON goes to the run as"
              + " ORCH_RUN_INPUT through the schedule's webhook (webhook schedules only)."},
      footerHeading = "%nExamples:%n",
      footer = {"  kubectl orch schedule trigger daily-report",
          "  kubectl orch schedule trigger deploy-hook --input '{\"ref\": \"v1.2.0\"}'",
          "  kubectl orch schedule trigger deploy-hook --input @payload.json --base-url http://127.0.0.1:8080"})
  public static final class Trigger extends Verb {
    @Parameters(index = "0", paramLabel = "NAME", description = "The Schedule.")
    String name;

    @Option(names = "--input", paramLabel = "JSON|@FILE", description = "JSON the run reads from ORCH_RUN_INPUT.")
    String input;

    @Option(names = "--base-url", paramLabel = "URL",
        description = "The operator's webhook address when status.webhook.url is unset (no orch.webhooks.base-url).")
    String baseUrl;

    @Override
    public Integer call() throws IOException, InterruptedException {
      Map<String, Object> schedule = require(Kind.SCHEDULE, name);
      if (input == null) {
        String requestedAt = requestNow(Kind.SCHEDULE, name, TRIGGER_ANNOTATION);
        out().println("schedule/" + name + " triggered (" + TRIGGER_ANNOTATION + "=" + requestedAt + "); follow it with"
            + " kubectl orch schedule runs " + name);
        out().flush();
        return 0;
      }
      if (!"webhook".equals(Fields.string(schedule, "spec", "type"))) {
        throw new UserError("--input reaches a run through the schedule's webhook, and schedule/" + name + " is a "
            + Fields.string(schedule, "spec", "type") + " schedule; trigger it without --input, or deploy a --webhook"
            + " schedule for runs with input");
      }
      String body = input.startsWith("@") ? Files.readString(Path.of(input.substring(1))) : input;
      try {
        Serialization.jsonMapper().readTree(body);
      } catch (IOException e) {
        throw new UserError("--input is not JSON (" + e.getMessage().lines().findFirst().orElse("") + "); pass e.g."
            + " --input '{\"key\": \"value\"}' or --input @file.json");
      }
      URI url = URI.create(WebhookUrl.url(this, schedule, baseUrl));
      HttpResponse<String> response = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(10)).build()
          .send(HttpRequest.newBuilder(url).timeout(Duration.ofSeconds(30)).header("Content-Type", "application/json")
              .POST(HttpRequest.BodyPublishers.ofString(body, StandardCharsets.UTF_8)).build(),
              HttpResponse.BodyHandlers.ofString());
      if (response.statusCode() / 100 != 2) {
        throw new UserError("the webhook answered " + response.statusCode() + ": " + response.body().strip());
      }
      out().println("schedule/" + name + ": " + response.body().strip());
      out().flush();
      return 0;
    }
  }

  @Command(name = "runs", mixinStandardHelpOptions = true,
      description = "A schedule's run history, newest first: trigger, status, exit code, duration; -o wide adds the"
          + " last output line.",
      footerHeading = "%nExamples:%n",
      footer = {"  kubectl orch schedule runs daily-report", "  kubectl orch schedule runs daily-report -o json",
          "  kubectl logs job/RUN-ID    # the whole log of one run, while its Job exists"})
  public static final class Runs extends Verb {
    @Parameters(index = "0", paramLabel = "NAME", description = "The Schedule.")
    String name;

    @Option(names = {"-o", "--output"}, paramLabel = "wide|json|yaml", description = "Output format.")
    String output;

    @Override
    protected boolean readsOnly() {
      return true;
    }

    @Override
    public Integer call() {
      Map<String, Object> schedule = require(Kind.SCHEDULE, name);
      List<Map<String, Object>> runs = Fields.objects(schedule, "status", "runs");
      if ("json".equals(output) || "yaml".equals(output)) {
        out().println(("json".equals(output) ? Printer.json(runs) : Printer.yaml(runs)).strip());
        out().flush();
        return 0;
      }
      if (runs.isEmpty()) {
        out().println("no runs yet" + nextRun(schedule) + "; start one with kubectl orch schedule trigger " + name);
        out().flush();
        return 0;
      }
      boolean wide = "wide".equals(output);
      Table table = wide ? new Table("RUN", "TRIGGER", "STATUS", "EXIT", "DURATION", "FIRED", "FINISHED", "OUTPUT")
          : new Table("RUN", "TRIGGER", "STATUS", "EXIT", "DURATION", "AGE");
      for (Map<String, Object> run : runs) {
        String status = Fields.string(run, "status");
        if ("skipped".equals(status) && run.get("count") != null) {
          status = "skipped (" + run.get("count") + ")";
        }
        Long duration = Fields.number(run, "durationMs");
        String durationText = duration == null ? "" : String.format(Locale.ROOT, "%.1fs", duration / 1000.0);
        String fired = Fields.string(run, "firedAt");
        if (wide) {
          table.row(Fields.string(run, "id"), Fields.string(run, "trigger"), terminal().state(status),
              Fields.string(run, "exitCode"), durationText, fired, Fields.string(run, "finishedAt"),
              InfoCommand.lastLine(Fields.string(run, "output")));
        } else {
          table.row(Fields.string(run, "id"), Fields.string(run, "trigger"), terminal().state(status),
              Fields.string(run, "exitCode"), durationText, InfoCommand.age(fired));
        }
      }
      table.print(out());
      String next = nextRun(schedule);
      if (!next.isEmpty()) {
        out().println(next.strip());
      }
      out().flush();
      return 0;
    }

    private static String nextRun(Map<String, Object> schedule) {
      String next = Fields.string(schedule, "status", "nextFireAt");
      return next == null ? "" : " (next run " + next + ")";
    }
  }

  @Command(name = "webhook-url", mixinStandardHelpOptions = true,
      description = "Print a webhook schedule's URL with its token. The token is a secret: anyone holding the URL can"
          + " start runs.",
      footerHeading = "%nExamples:%n",
      footer = {"  curl -X POST -H 'Content-Type: application/json' -d '{}' \"$(kubectl orch schedule webhook-url deploy-hook)\"",
          "  kubectl orch schedule webhook-url deploy-hook --base-url http://127.0.0.1:8080   # under make run",
          "  # rotate the token:",
          "  kubectl annotate schedule deploy-hook orch.dev/rotate-webhook-token=$(date +%%s) --overwrite"})
  public static final class WebhookUrl extends Verb {
    @Parameters(index = "0", paramLabel = "NAME", description = "The Schedule.")
    String name;

    @Option(names = "--base-url", paramLabel = "URL",
        description = "The operator's webhook address when status.webhook.url is unset (no orch.webhooks.base-url).")
    String baseUrl;

    @Override
    public Integer call() {
      String url = url(this, require(Kind.SCHEDULE, name), baseUrl);
      err().println("warning: this URL holds schedule/" + name + "'s secret token: anyone with it can start runs."
          + " Keep it out of logs and chats; rotate it with kubectl annotate schedule " + name
          + " orch.dev/rotate-webhook-token=$(date +%s) --overwrite");
      err().flush();
      out().println(url);
      out().flush();
      return 0;
    }

    /** The full URL, token included, of a webhook schedule. */
    static String url(Verb verb, Map<String, Object> schedule, String baseUrl) {
      String name = Fields.string(schedule, "metadata", "name");
      if (!"webhook".equals(Fields.string(schedule, "spec", "type"))) {
        throw new UserError("schedule/" + name + " runs on cron, so it has no webhook URL; start a run with"
            + " kubectl orch schedule trigger " + name);
      }
      String url = Fields.string(schedule, "status", "webhook", "url");
      String path = Fields.string(schedule, "status", "webhook", "path");
      String secretName = Fields.string(schedule, "status", "webhook", "tokenSecretRef", "name");
      String key = Fields.string(schedule, "status", "webhook", "tokenSecretRef", "key");
      if (path == null || secretName == null) {
        throw new UserError("schedule/" + name + " has no webhook token yet: the operator makes it on its first"
            + " reconcile (is orch-operator running? kubectl orch info schedule/" + name + ")");
      }
      if (baseUrl != null) {
        url = baseUrl.replaceAll("/+$", "") + path;
      } else if (url == null) {
        throw new UserError("the operator does not know its public webhook address (orch.webhooks.base-url, the"
            + " chart's webhooks.baseUrl or webhookIngress), so status.webhook.url is unset; pass the address that"
            + " reaches the operator's port 8080, e.g. --base-url http://127.0.0.1:8080 under make run");
      }
      Secret secret = verb.client().secrets().inNamespace(Fields.string(schedule, "metadata", "namespace")).withName(secretName).get();
      String encoded = secret == null || secret.getData() == null ? null : secret.getData().get(key);
      if (encoded == null) {
        throw new UserError("the token Secret " + secretName + " (key " + key + ") is missing; rotate the token:"
            + " kubectl annotate schedule " + name + " orch.dev/rotate-webhook-token=$(date +%s) --overwrite");
      }
      return url + "/" + new String(Base64.getDecoder().decode(encoded), StandardCharsets.UTF_8).strip();
    }
  }
}
