package dev.orch.kubectl;

import java.io.PrintWriter;
import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.time.format.DateTimeParseException;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;

import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

@Command(name = "info", aliases = "describe", mixinStandardHelpOptions = true,
    description = {"Everything about one AgentService: state, health, URL, restarts and the crash-loop streak, last"
        + " error, last alert, conditions with their messages and recent events.",
        "swarm/NAME and schedule/NAME describe a Swarm (replica counts) or a Schedule (timetable, last runs)."},
    footerHeading = "%nExamples:%n",
    footer = {"  kubectl orch info discord-bot", "  kubectl orch info schedule/daily-report",
        "  kubectl orch info swarm/issue-shards", "  kubectl orch info discord-bot -o yaml"})
public final class InfoCommand extends Verb {
  private static final int EVENTS = 10;
  private static final int RUNS = 5;

  @Parameters(index = "0", paramLabel = "NAME|swarm/NAME|schedule/NAME", description = "What to describe.")
  String reference;

  @Option(names = {"-o", "--output"}, paramLabel = "json|yaml", description = "Print the resource itself.")
  String output;

  @Override
  protected boolean readsOnly() {
    return true;
  }

  @Override
  public Integer call() {
    Kind kind = Kind.ofReference(reference);
    String name = Kind.nameOf(reference);
    Map<String, Object> resource = require(kind, name);
    if (output != null) {
      Printer.print(out(), output, List.of(resource));
      return 0;
    }
    PrintWriter out = out();
    field(out, "Name", name);
    field(out, "Namespace", Fields.string(resource, "metadata", "namespace"));
    field(out, "Kind", kind.kind());
    field(out, "Agent", Fields.string(resource, "spec", "agent"));
    switch (kind) {
      case AGENT_SERVICE -> service(out, resource);
      case SWARM -> swarm(out, resource);
      case SCHEDULE -> schedule(out, resource);
    }
    conditions(out, resource);
    events(out, kind, name);
    out.flush();
    return 0;
  }

  private void service(PrintWriter out, Map<String, Object> service) {
    field(out, "State", terminal().state(displayState(service)) + (Fields.isTrue(service, "spec", "paused")
        ? " (spec.paused; resume with kubectl orch resume " + Fields.string(service, "metadata", "name") + ")" : ""));
    field(out, "Health", terminal().state(Fields.string(service, "status", "health")));
    Long ready = Fields.number(service, "status", "readyInstances");
    field(out, "Instances", (ready == null ? 0 : ready) + " ready of " + instances(service));
    field(out, "URL", Fields.string(service, "status", "url"));
    field(out, "Internal URL", Fields.string(service, "status", "internalUrl"));
    Long failing = Fields.number(service, "status", "consecutiveRestartFailures");
    Long limit = Fields.number(service, "spec", "maxRestartFailures");
    field(out, "Restarts", restarts(service) + (failing != null && failing > 0 && limit != null
        ? "; auto-pause at " + limit + " in a row" : ""));
    field(out, "Deployed", timeAndAge(Fields.string(service, "status", "deployedAt")));
    field(out, "Last restart", timeAndAge(Fields.string(service, "status", "lastRestartAt")));
    multiline(out, "Last error", Fields.string(service, "status", "lastError"));
    field(out, "Alert webhook", Fields.string(service, "spec", "alertWebhookUrl"));
    Map<String, Object> alert = Fields.object(service, "status", "crashLoop", "lastAlert");
    if (alert != null) {
      String outcome = Boolean.TRUE.equals(alert.get("delivered")) ? "delivered"
          : "not delivered" + (alert.get("error") == null ? "" : ": " + alert.get("error"));
      field(out, "Last alert", alert.get("event") + " at " + alert.get("at") + ", " + outcome
          + (alert.get("httpStatus") == null ? "" : " (HTTP " + alert.get("httpStatus") + ")"));
    }
    field(out, "Env", String.join(", ", Fields.objects(service, "spec", "env").stream()
        .map(e -> String.valueOf(e.get("name"))).toList()));
    field(out, "Secrets", String.join(", ", concat(Fields.strings(service, "spec", "requiredSecrets"),
        Fields.strings(service, "spec", "secrets"))));
  }

  private void swarm(PrintWriter out, Map<String, Object> swarm) {
    field(out, "Replicas", Fields.string(swarm, "spec", "replicas") + " wanted, " + count(swarm, "deployed")
        + " deployed, " + count(swarm, "ready") + " ready, " + count(swarm, "failedCount") + " failed (tolerated: "
        + Fields.string(swarm, "spec", "maxFailedReplicas") + ")");
    for (Map<String, Object> failed : Fields.objects(swarm, "status", "failed")) {
      field(out, "  replica " + failed.get("replicaIndex"), failed.get("error") + ": " + failed.get("message"));
    }
    out.println("Per replica: kubectl orch swarm status " + Fields.string(swarm, "metadata", "name"));
  }

  private void schedule(PrintWriter out, Map<String, Object> schedule) {
    String type = Fields.string(schedule, "spec", "type");
    field(out, "Type", "cron".equals(type) ? "cron \"" + Fields.string(schedule, "spec", "schedule") + "\" ("
        + (Fields.string(schedule, "spec", "timeZone") == null ? "UTC" : Fields.string(schedule, "spec", "timeZone")) + ")"
        : type);
    field(out, "Enabled", Fields.string(schedule, "spec", "enabled"));
    field(out, "Next run", Fields.string(schedule, "status", "nextFireAt"));
    field(out, "Last run", Fields.string(schedule, "status", "lastRunStatus") == null ? null
        : terminal().state(Fields.string(schedule, "status", "lastRunStatus")) + " (fired "
            + timeAndAge(Fields.string(schedule, "status", "lastFiredAt")) + ")");
    if ("webhook".equals(type)) {
      field(out, "Webhook", "kubectl orch schedule webhook-url " + Fields.string(schedule, "metadata", "name") + " (holds the token)");
    }
    List<Map<String, Object>> runs = Fields.objects(schedule, "status", "runs");
    if (!runs.isEmpty()) {
      out.println("Recent runs:");
      Table table = new Table("  RUN", "TRIGGER", "STATUS", "EXIT", "AGE");
      runs.stream().limit(RUNS).forEach(run -> table.row("  " + run.get("id"), Fields.string(run, "trigger"),
          terminal().state(Fields.string(run, "status")), Fields.string(run, "exitCode"),
          age(Fields.string(run, "firedAt"))));
      table.print(out);
      out.println("  all runs: kubectl orch schedule runs " + Fields.string(schedule, "metadata", "name"));
    }
  }

  private void conditions(PrintWriter out, Map<String, Object> resource) {
    List<Map<String, Object>> conditions = Fields.objects(resource, "status", "conditions");
    if (conditions.isEmpty()) {
      out.println("Conditions:   <none> (the operator has not written a status yet: is orch-operator running?)");
      return;
    }
    out.println("Conditions:");
    Table table = new Table("  TYPE", "STATUS", "REASON", "MESSAGE");
    for (Map<String, Object> condition : conditions) {
      table.row("  " + condition.get("type"), Fields.string(condition, "status"), Fields.string(condition, "reason"),
          Fields.string(condition, "message"));
    }
    table.print(out);
  }

  private void events(PrintWriter out, Kind kind, String name) {
    String selector = URLEncoder.encode("involvedObject.name=" + name + ",involvedObject.kind=" + kind.kind(),
        StandardCharsets.UTF_8);
    List<Map<String, Object>> events = Fields.objects(reader().get("/api/v1/namespaces/" + namespace()
        + "/events?fieldSelector=" + selector), "items").stream()
        .sorted(Comparator.comparing(InfoCommand::lastSeen, Comparator.nullsFirst(Comparator.naturalOrder())).reversed())
        .limit(EVENTS).toList();
    if (events.isEmpty()) {
      out.println("Events:       <none>");
      return;
    }
    out.println("Events:");
    Table table = new Table("  LAST SEEN", "TYPE", "REASON", "MESSAGE");
    for (Map<String, Object> event : events) {
      Long count = Fields.number(event, "count");
      table.row("  " + age(lastSeen(event)), terminal().state(Fields.string(event, "type")),
          Fields.string(event, "reason"), Fields.string(event, "message") + (count != null && count > 1 ? " (x" + count
              + ")" : ""));
    }
    table.print(out);
  }

  /** When an event last happened, in whichever field its reporter filled (events.k8s.io or core/v1 style). */
  private static String lastSeen(Map<String, Object> event) {
    for (Object[] path : new Object[][] {{"series", "lastObservedTime"}, {"lastTimestamp"}, {"eventTime"},
        {"metadata", "creationTimestamp"}}) {
      String time = Fields.string(event, path);
      if (time != null) {
        return time;
      }
    }
    return null;
  }

  /** A count from the status, "?" before the operator wrote one. */
  static String count(Object resource, String field) {
    Long value = Fields.number(resource, "status", field);
    return value == null ? "?" : String.valueOf(value);
  }

  private static void field(PrintWriter out, String label, String value) {
    if (value != null && !value.isEmpty() && !"null".equals(value)) {
      out.println(String.format("%-14s%s", label + ":", value));
    }
  }

  private static void multiline(PrintWriter out, String label, String value) {
    if (value == null || value.isBlank()) {
      return;
    }
    List<String> lines = value.strip().lines().toList();
    field(out, label, lines.get(0));
    lines.stream().skip(1).forEach(line -> out.println(" ".repeat(14) + line));
  }

  private static List<String> concat(List<String> a, List<String> b) {
    return Stream.concat(a.stream(), b.stream()).distinct().toList();
  }

  /** The state as the reference CLI shows it: a crash-looped service stands out as CRASH-LOOP. */
  static String displayState(Object service) {
    String state = Fields.string(service, "status", "state");
    return "crash-loop".equals(state) ? "CRASH-LOOP" : state;
  }

  /** "3" or "3 (2 failing)": restarts and, when in a streak, the failures in a row. */
  static String restarts(Object service) {
    Long restarts = Fields.number(service, "status", "restartCount");
    Long failing = Fields.number(service, "status", "consecutiveRestartFailures");
    return (restarts == null ? 0 : restarts) + (failing != null && failing > 0 ? " (" + failing + " failing)" : "");
  }

  static String instances(Object service) {
    String min = Fields.string(service, "spec", "minInstances");
    String max = Fields.string(service, "spec", "maxInstances");
    return min == null ? "1" : max == null || max.equals(min) ? min : min + "-" + max;
  }

  static String age(String timestamp) {
    if (timestamp == null) {
      return null;
    }
    try {
      return Durations.age(Duration.between(Instant.parse(timestamp), Instant.now()));
    } catch (DateTimeParseException e) {
      return timestamp;
    }
  }

  private static String timeAndAge(String timestamp) {
    return timestamp == null ? null : timestamp + " (" + age(timestamp) + " ago)";
  }

  static String firstLine(String text) {
    return text == null ? null : text.strip().lines().findFirst().orElse("");
  }

  static String lastLine(String text) {
    if (text == null) {
      return null;
    }
    List<String> lines = text.strip().lines().toList();
    return lines.isEmpty() ? "" : lines.get(lines.size() - 1);
  }

  /** ", Ready: reason" or ", Stalled: reason: message", for one-line summaries. */
  static String conditionSummary(Object resource, Terminal terminal) {
    Map<String, Object> stalled = Fields.condition(resource, "Stalled");
    if (stalled != null && "True".equals(stalled.get("status"))) {
      return "; " + terminal.state("Stalled") + ": " + stalled.get("reason") + ": " + stalled.get("message");
    }
    Map<String, Object> ready = Fields.condition(resource, "Ready");
    return ready == null ? "" : "; Ready " + ready.get("status") + ": " + ready.get("reason");
  }
}
