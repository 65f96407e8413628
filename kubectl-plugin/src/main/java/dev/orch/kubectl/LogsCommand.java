package dev.orch.kubectl;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.PrintWriter;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.time.format.DateTimeParseException;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.client.dsl.ContainerResource;
import io.fabric8.kubernetes.client.dsl.LogWatch;
import io.fabric8.kubernetes.client.dsl.Loggable;
import io.fabric8.kubernetes.client.dsl.TailPrettyLoggable;
import io.fabric8.kubernetes.client.dsl.TimeTailPrettyLoggable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

@Command(name = "logs", mixinStandardHelpOptions = true,
    description = {"Print an agent's output (the agent container; secret values show as [REDACTED]).",
        "Several pods: each line starts with [POD]; --replica picks one (a Swarm's replica index, or the Nth pod of a"
            + " service). A Schedule shows its newest run."},
    footerHeading = "%nExamples:%n",
    footer = {"  kubectl orch logs discord-bot --tail 500", "  kubectl orch logs discord-bot --since 1h --follow",
        "  kubectl orch logs discord-bot --since 2026-02-10T00:00:00Z",
        "  kubectl orch logs swarm/issue-shards --replica 3", "  kubectl orch logs schedule/daily-report",
        "  kubectl orch logs discord-bot --canary --previous    # why an aborted canary crashed",
        "  kubectl orch logs discord-bot -c prepare    # dependency installs and entrypoint detection"})
public final class LogsCommand extends Verb {
  @Parameters(index = "0", paramLabel = "NAME|swarm/NAME|schedule/NAME", description = "Whose logs.")
  String reference;

  @Option(names = {"-f", "--follow"}, description = "Keep printing new lines until interrupted.")
  boolean follow;

  @Option(names = "--since", paramLabel = "DURATION|TIME",
      description = "Only lines newer than a duration (30s, 5m, 1h) or an RFC 3339 time.")
  String since;

  @Option(names = "--tail", paramLabel = "N", defaultValue = "-1", description = "Only the last N lines of each pod.")
  int tail;

  @Option(names = "--replica", paramLabel = "N", description = "One replica: a Swarm's index, or a service's Nth pod (from 0).")
  Integer replica;

  @Option(names = "--canary",
      description = "A service's canary pods only: a running canary's, or an aborted one's, kept (with no traffic) until"
          + " the next change.")
  boolean canary;

  @Option(names = {"-p", "--previous"}, description = "The container's previous run: what a crashed agent said last.")
  boolean previous;

  @Option(names = {"-c", "--container"}, paramLabel = "agent|prepare", defaultValue = "agent",
      description = "agent (default) or prepare, the init step that fetches the bundle and installs dependencies.")
  String container;

  @Override
  public Integer call() throws IOException, InterruptedException {
    Kind kind = Kind.ofReference(reference);
    String name = Kind.nameOf(reference);
    if (canary && kind != Kind.AGENT_SERVICE) {
      throw new UserError("--canary is for an AgentService's canary pods; a " + kind.lowerCase() + " has none");
    }
    require(kind, name);
    List<Pod> pods = pods(kind, name);
    PrintWriter out = out();
    if (pods.size() == 1) {
      stream(pods.get(0), "", out);
      return 0;
    }
    List<Thread> readers = new ArrayList<>();
    for (Pod pod : pods) {
      String prefix = "[" + pod.getMetadata().getName() + "] ";
      if (!follow) {
        stream(pod, prefix, out);
        continue;
      }
      Thread reader = new Thread(() -> {
        try {
          stream(pod, prefix, out);
        } catch (IOException e) {
          synchronized (out) {
            err().println("error: logs of " + pod.getMetadata().getName() + " ended: " + e.getMessage());
          }
        }
      });
      reader.start();
      readers.add(reader);
    }
    for (Thread reader : readers) {
      reader.join();
    }
    return 0;
  }

  private List<Pod> pods(Kind kind, String name) {
    Map<String, String> selector = new LinkedHashMap<>();
    selector.put("app.kubernetes.io/instance", name);
    selector.put("orch.dev/kind", kind.lowerCase());
    if (kind == Kind.SWARM && replica != null) {
      selector.put("orch.dev/replica-index", replica.toString());
    }
    if (canary) {
      selector.put("orch.dev/track", "canary");
    }
    List<Pod> pods = client().pods().inNamespace(namespace()).withLabels(selector).list().getItems().stream()
        .sorted(Comparator.comparing((Pod p) -> p.getMetadata().getCreationTimestamp())
            .thenComparing(p -> p.getMetadata().getName()))
        .toList();
    String what = kind.lowerCase() + "/" + name + (kind == Kind.SWARM && replica != null ? " replica " + replica : "");
    if (pods.isEmpty() && canary) {
      throw new UserError(what + " has no canary pods: a canary runs during a rollout, and an aborted one's pods stay"
          + " until the next change; see kubectl orch info " + name);
    }
    if (pods.isEmpty()) {
      throw new UserError(what + " has no pods yet; see why with kubectl orch info "
          + (kind == Kind.AGENT_SERVICE ? name : reference));
    }
    if (kind == Kind.SCHEDULE) {
      return List.of(pods.get(pods.size() - 1));
    }
    if (kind == Kind.AGENT_SERVICE && replica != null) {
      if (replica < 0 || replica >= pods.size()) {
        throw new UserError(what + " has " + pods.size() + " pods; --replica takes 0 to " + (pods.size() - 1));
      }
      return List.of(pods.get(replica));
    }
    return pods;
  }

  private void stream(Pod pod, String prefix, PrintWriter out) throws IOException {
    ContainerResource resource = client().pods().inNamespace(namespace()).withName(pod.getMetadata().getName())
        .inContainer(container);
    TimeTailPrettyLoggable target = previous ? resource.terminated() : resource;
    TailPrettyLoggable sinceApplied = since == null ? target : sinceTimeOrSeconds(target);
    Loggable logs = tail >= 0 ? sinceApplied.tailingLines(tail) : sinceApplied;
    if (!follow) {
      print(logs.getLog(), prefix, out);
      return;
    }
    try (LogWatch watch = logs.watchLog();
        BufferedReader reader = new BufferedReader(new InputStreamReader(watch.getOutput(), StandardCharsets.UTF_8))) {
      String line;
      while ((line = reader.readLine()) != null) {
        synchronized (out) {
          out.println(prefix + line);
          out.flush();
        }
      }
    }
  }

  private TailPrettyLoggable sinceTimeOrSeconds(TimeTailPrettyLoggable target) {
    try {
      return target.sinceTime(Instant.parse(since).toString());
    } catch (DateTimeParseException notATime) {
      return target.sinceSeconds((int) Durations.parse(since, "--since").toSeconds());
    }
  }

  private static void print(String log, String prefix, PrintWriter out) {
    synchronized (out) {
      log.lines().forEach(line -> out.println(prefix + line));
      out.flush();
    }
  }
}
