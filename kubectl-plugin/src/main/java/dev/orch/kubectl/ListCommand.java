package dev.orch.kubectl;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;

import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

@Command(name = "list", aliases = "ls", mixinStandardHelpOptions = true,
    description = "List AgentServices: agent, state (CRASH-LOOP when auto-paused), health, restarts with the failures"
        + " in a row, and when they were deployed.",
    footerHeading = "%nExamples:%n",
    footer = {"  kubectl orch list", "  kubectl orch list --status running", "  kubectl orch list -o wide -A",
        "  kubectl orch list -o json | jq '.items[].status.url'"})
public final class ListCommand extends Verb {
  static final List<String> STATES = List.of("provisioning", "running", "paused", "crash-loop", "failed");

  @Option(names = "--status", paramLabel = "STATE",
      description = "Only services in this state: provisioning, running, paused, crash-loop or failed.")
  String status;

  @Option(names = {"-A", "--all-namespaces"}, description = "List the services of every namespace.")
  boolean allNamespaces;

  @Option(names = {"-o", "--output"}, paramLabel = "wide|json|yaml|name", description = "Output format.")
  String output;

  @Override
  protected boolean readsOnly() {
    return true;
  }

  @Override
  public Integer call() {
    if (status != null && !STATES.contains(status)) {
      throw new UserError("--status " + status + " is not a state; use one of " + String.join(", ", STATES));
    }
    if (output != null && !List.of("wide", "json", "yaml", "name").contains(output)) {
      throw new UserError("-o " + output + " is not an output of list; use -o wide, json, yaml or name");
    }
    List<Map<String, Object>> services = Fields.objects(reader()
        .get(ApiReader.collection(Kind.AGENT_SERVICE, allNamespaces ? null : namespace())), "items").stream()
        .filter(s -> status == null || status.equals(Fields.string(s, "status", "state")))
        .sorted(Comparator.comparing((Map<String, Object> s) -> Fields.string(s, "metadata", "namespace"))
            .thenComparing(s -> Fields.string(s, "metadata", "name")))
        .toList();
    if ("json".equals(output) || "yaml".equals(output)) {
      Printer.printList(out(), output, services);
      return 0;
    }
    if ("name".equals(output)) {
      services.forEach(s -> out().println("agentservice.orch.dev/" + Fields.string(s, "metadata", "name")));
      out().flush();
      return 0;
    }
    if (services.isEmpty()) {
      err().println("No AgentServices" + (status == null ? "" : " in state " + status) + " found in "
          + (allNamespaces ? "any namespace" : "namespace " + namespace()) + ".");
      err().flush();
      return 0;
    }
    boolean wide = "wide".equals(output);
    Table table = new Table(columns(wide));
    for (Map<String, Object> service : services) {
      List<String> row = new ArrayList<>();
      if (allNamespaces) {
        row.add(Fields.string(service, "metadata", "namespace"));
      }
      row.add(Fields.string(service, "metadata", "name"));
      row.add(Fields.string(service, "spec", "agent"));
      row.add(terminal().state(InfoCommand.displayState(service)));
      row.add(terminal().state(Fields.string(service, "status", "health")));
      row.add(InfoCommand.restarts(service));
      row.add(InfoCommand.age(Fields.string(service, "status", "deployedAt")));
      if (wide) {
        Long ready = Fields.number(service, "status", "readyInstances");
        row.add((ready == null ? 0 : ready) + "/" + InfoCommand.instances(service));
        row.add(Fields.string(service, "status", "url"));
        row.add(InfoCommand.firstLine(Fields.string(service, "status", "lastError")));
      }
      table.row(row.toArray(String[]::new));
    }
    table.print(out());
    return 0;
  }

  private String[] columns(boolean wide) {
    List<String> columns = new ArrayList<>();
    if (allNamespaces) {
      columns.add("NAMESPACE");
    }
    columns.addAll(List.of("NAME", "AGENT", "STATE", "HEALTH", "RESTARTS", "DEPLOYED"));
    if (wide) {
      columns.addAll(List.of("READY", "URL", "LAST ERROR"));
    }
    return columns.toArray(String[]::new);
  }
}
