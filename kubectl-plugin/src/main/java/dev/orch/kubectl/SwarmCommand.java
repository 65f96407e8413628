package dev.orch.kubectl;

import java.util.List;
import java.util.Map;

import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

@Command(name = "swarm", mixinStandardHelpOptions = true,
    description = "Swarms: N identical, independent replicas of one agent, each told ORB_REPLICA_INDEX and"
        + " ORB_REPLICA_COUNT.",
    subcommands = {SwarmCommand.Deploy.class, SwarmCommand.Status.class})
public final class SwarmCommand implements Runnable {
  @CommandLine.Spec
  CommandSpec spec;

  @Override
  public void run() {
    throw new CommandLine.ParameterException(spec.commandLine(), "a verb is needed: deploy or status");
  }

  @Command(name = "deploy", mixinStandardHelpOptions = true,
      description = "Deploy an agent as a Swarm of --replicas replicas (bundle and flags as in kubectl orch deploy).",
      footerHeading = "%nExamples:%n",
      footer = {
          "  kubectl orch swarm deploy ./issue-shards --replicas 10 --max-failed-replicas 2 --required-secret GITHUB_TOKEN",
          "  kubectl orch swarm deploy ./issue-shards --replicas 10 --dry-run=client -o yaml"})
  public static final class Deploy extends DeployVerb {
    @Option(names = "--replicas", required = true, paramLabel = "N", description = "Number of replicas (1-1000).")
    int replicas;

    @Option(names = "--max-failed-replicas", paramLabel = "N",
        description = "Failed replicas the Swarm tolerates and stays Ready (default 0).")
    Integer maxFailedReplicas;

    @Override
    protected Kind kind() {
      return Kind.SWARM;
    }

    @Override
    protected Map<String, Object> kindSpec() {
      return fields("replicas", replicas, "maxFailedReplicas", maxFailedReplicas);
    }

    @Override
    protected String nextSteps(String name) {
      return "  status: kubectl orch swarm status " + name + "\n  logs:   kubectl orch logs swarm/" + name + " --replica 0";
    }
  }

  @Command(name = "status", mixinStandardHelpOptions = true,
      description = "A Swarm's replicas, one row each: pod, state, restarts, failures in a row, last error.",
      footerHeading = "%nExamples:%n",
      footer = {"  kubectl orch swarm status issue-shards", "  kubectl orch swarm status issue-shards -o wide"})
  public static final class Status extends Verb {
    @Parameters(index = "0", paramLabel = "NAME", description = "The Swarm.")
    String name;

    @Option(names = {"-o", "--output"}, paramLabel = "wide|json|yaml", description = "Output format.")
    String output;

    @Override
    protected boolean readsOnly() {
      return true;
    }

    @Override
    public Integer call() {
      Map<String, Object> swarm = require(Kind.SWARM, name);
      if (output != null && !output.equals("wide")) {
        Printer.print(out(), output, List.of(swarm));
        return 0;
      }
      boolean wide = "wide".equals(output);
      out().println(name + ": " + InfoCommand.count(swarm, "replicas") + " replicas, " + InfoCommand.count(swarm,
          "deployed") + " deployed, " + InfoCommand.count(swarm, "ready") + " ready, "
          + InfoCommand.count(swarm, "failedCount") + " failed"
          + InfoCommand.conditionSummary(swarm, terminal()));
      Table table = wide ? new Table("INDEX", "POD", "STATE", "RESTARTS", "FAILING", "LAST RESTART", "LAST ERROR")
          : new Table("INDEX", "POD", "STATE", "RESTARTS", "FAILING", "LAST ERROR");
      for (Map<String, Object> member : Fields.objects(swarm, "status", "members")) {
        String state = "crash-loop".equals(member.get("state")) ? "CRASH-LOOP" : Fields.string(member, "state");
        String lastError = InfoCommand.firstLine(Fields.string(member, "lastError"));
        String index = Fields.string(member, "replicaIndex");
        String pod = Fields.string(member, "pod");
        String restarts = String.valueOf(Fields.number(member, "restarts") == null ? 0 : Fields.number(member, "restarts"));
        String failing = String.valueOf(Fields.number(member, "consecutiveRestartFailures") == null ? 0
            : Fields.number(member, "consecutiveRestartFailures"));
        if (wide) {
          table.row(index, pod, terminal().state(state), restarts, failing, Fields.string(member, "lastRestartAt"),
              lastError);
        } else {
          table.row(index, pod, terminal().state(state), restarts, failing, lastError);
        }
      }
      if (table.isEmpty()) {
        out().println("no replicas reported yet: the operator has not written the Swarm's status (is it running?)");
      } else {
        table.print(out());
      }
      for (Map<String, Object> failed : Fields.objects(swarm, "status", "failed")) {
        out().println("replica " + failed.get("replicaIndex") + ": " + failed.get("error") + ": " + failed.get("message"));
      }
      out().flush();
      return 0;
    }
  }
}
