package dev.orch.operator.bench;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import dev.orch.localcluster.ClusterConnection;
import dev.orch.localcluster.SharedCluster;
import dev.orch.operator.agent.Bundle;
import dev.orch.operator.agentservice.AgentService;
import dev.orch.operator.core.status.Conditions;
import dev.orch.operator.schedule.Schedule;
import dev.orch.operator.schedule.ScheduleSpec;
import dev.orch.operator.testing.PackagedOperator;
import dev.orch.operator.testing.Vault;
import io.fabric8.kubernetes.api.model.NamespaceBuilder;
import io.fabric8.kubernetes.api.model.ObjectMetaBuilder;
import io.fabric8.kubernetes.client.ConfigBuilder;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientBuilder;

/**
 * `make bench-webhook-flood`: the packaged operator's schedule webhook endpoint under {@code orch.bench.rate}
 * (500) requests a second with wrong tokens for {@code orch.bench.seconds} (60), sent by vegeta: half to a real
 * webhook schedule with a wrong token, half to a schedule that does not exist. Prints the answers by status code
 * and their latency, the operator's RSS before, every 10 s during and after, and how long a change to an
 * AgentService takes to reach its status, before and during the flood (one change every 2 s). A harness that
 * prints numbers.
 */
public final class WebhookFloodBenchmark {
  private static final int RATE = Integer.getInteger("orch.bench.rate", 500);
  private static final int SECONDS = Integer.getInteger("orch.bench.seconds", 60);
  private static final long MEMORY_LIMIT_MIB = 512;
  private static final Duration CHANGE_EVERY = Duration.ofSeconds(2);
  private static final Duration RSS_EVERY = Duration.ofSeconds(10);

  private WebhookFloodBenchmark() {
  }

  public static void main(String[] args) throws Exception {
    Path repo = Path.of(System.getProperty("orch.repo.dir", "."));
    Path jar = PackagedOperator.packagedJar(repo, "bench-webhook-flood");
    Path vegeta = vegeta();
    ClusterConnection cluster = SharedCluster.get();
    String namespace = "bench-flood-" + System.currentTimeMillis() % 100000;
    try (KubernetesClient admin = new KubernetesClientBuilder().withConfig(cluster.adminConfig()).build()) {
      admin.namespaces().resource(new NamespaceBuilder().withNewMetadata().withName(namespace).endMetadata().build()).create();
    }
    try (KubernetesClient client = new KubernetesClientBuilder()
        .withConfig(new ConfigBuilder(cluster.adminConfig()).withNamespace(namespace).build()).build()) {
      Vault.put(client, Map.of("TOKEN", "x"));
      PackagedOperator operator = PackagedOperator.launch(cluster, repo.resolve("operator/target/bench-webhook-flood-operator.log"))
          .jar(jar).jvmOptions("@" + repo.resolve("operator/image/jvm.options"), "-XX:MaxRAM=" + MEMORY_LIMIT_MIB + "m")
          .startupTimeout(Duration.ofSeconds(120)).start();
      Runtime.getRuntime().addShutdownHook(new Thread(operator::kill, "bench-webhook-flood-operator-kill"));

      client.resource(webhookSchedule("hook", namespace)).create();
      awaitReady(client);
      client.resource(AgentServiceBenchmark.service("probe", namespace)).create();
      Thread.sleep(10_000); // first reconciles and JIT warm-up of the change path, before the baseline

      List<Double> before = changes(client, 10);
      long rssBefore = rssMiB(operator);

      Path targets = Files.createTempFile("webhook-flood-", ".targets");
      Files.writeString(targets, "POST " + operator.url() + "/webhooks/" + namespace + "/hook/wrong-token\n\n"
          + "POST " + operator.url() + "/webhooks/" + namespace + "/no-such-schedule/wrong-token\n");
      Path results = Files.createTempFile("webhook-flood-", ".bin");
      String load = loadAverage();
      Process attack = new ProcessBuilder(vegeta.toString(), "attack", "-targets=" + targets, "-rate=" + RATE + "/s",
          "-duration=" + SECONDS + "s", "-max-workers=256", "-output=" + results).redirectErrorStream(true)
          .redirectOutput(ProcessBuilder.Redirect.DISCARD).start();
      List<Double> during = new ArrayList<>();
      List<Long> rssDuring = new ArrayList<>();
      long sampledAt = 0;
      while (attack.isAlive()) {
        during.addAll(changes(client, 1));
        if (System.nanoTime() - sampledAt >= RSS_EVERY.toNanos()) {
          sampledAt = System.nanoTime();
          rssDuring.add(rssMiB(operator));
        }
      }
      attack.waitFor(30, TimeUnit.SECONDS);
      Thread.sleep(10_000);
      long rssAfter = rssMiB(operator);
      String report = run(vegeta.toString(), "report", "-type=json", results.toString());

      System.out.printf("%n=== schedule webhook flood: %d requests/s with wrong tokens for %d s (load average before: %s, after: %s) ===%n",
          RATE, SECONDS, load, loadAverage());
      System.out.printf("answers by status code:           %s%n", field(report, "\"status_codes\":(\\{[^}]*})"));
      System.out.printf("answer latency p50 / p99 / max:   %.1f / %.1f / %.1f ms%n", nanos(report, "50th") / 1e6,
          nanos(report, "99th") / 1e6, nanos(report, "max") / 1e6);
      System.out.printf("requests sent, rate:              %s, %s/s%n", field(report, "\"requests\":([0-9]+)"),
          field(report, "\"rate\":([0-9.]+)"));
      System.out.printf("operator RSS before: %d MiB; every %d s during: %s MiB; 10 s after: %d MiB%n", rssBefore,
          RSS_EVERY.toSeconds(), rssDuring, rssAfter);
      System.out.printf("AgentService change -> status, before the flood: %s%n", summary(before));
      System.out.printf("AgentService change -> status, during the flood: %s%n", summary(during));
      operator.stop();
    }
    System.exit(0);
  }

  /** Changes the probe service's spec n times, one every {@link #CHANGE_EVERY}; how long each took to reach status, in ms. */
  private static List<Double> changes(KubernetesClient client, int n) throws InterruptedException {
    List<Double> latencies = new ArrayList<>();
    for (int i = 0; i < n; i++) {
      long start = System.nanoTime();
      AgentService changed = client.resources(AgentService.class).withName("probe")
          .edit(s -> {
            s.getSpec().setMaxRestartFailures(s.getSpec().getMaxRestartFailures() % 50 + 1);
            return s;
          });
      long generation = changed.getMetadata().getGeneration();
      long deadline = start + Duration.ofSeconds(30).toNanos();
      while (System.nanoTime() < deadline) {
        AgentService now = client.resources(AgentService.class).withName("probe").get();
        if (now.getStatus() != null && Long.valueOf(generation).equals(now.getStatus().getObservedGeneration())) {
          break;
        }
        Thread.sleep(10);
      }
      latencies.add((System.nanoTime() - start) / 1e6);
      Thread.sleep(Math.max(0, CHANGE_EVERY.toMillis() - (System.nanoTime() - start) / 1_000_000));
    }
    return latencies;
  }

  private static String summary(List<Double> latencies) {
    List<Double> sorted = latencies.stream().sorted().toList();
    return String.format("p50 %.0f ms, max %.0f ms (%d changes)", sorted.get((sorted.size() - 1) / 2), sorted.get(sorted.size() - 1),
        sorted.size());
  }

  private static Schedule webhookSchedule(String name, String namespace) {
    ScheduleSpec spec = new ScheduleSpec();
    spec.setAgent("acme/" + name);
    spec.setType(ScheduleSpec.Type.WEBHOOK);
    spec.setBundle(new Bundle(null, "https://bundles.example.com/" + name + ".tar.gz", null, null, null));
    spec.setRequiredSecrets(List.of("TOKEN"));
    Schedule schedule = new Schedule();
    schedule.setMetadata(new ObjectMetaBuilder().withName(name).withNamespace(namespace).build());
    schedule.setSpec(spec);
    return schedule;
  }

  private static void awaitReady(KubernetesClient client) throws InterruptedException {
    long deadline = System.nanoTime() + Duration.ofSeconds(120).toNanos();
    while (System.nanoTime() < deadline) {
      Schedule s = client.resources(Schedule.class).withName("hook").get();
      if (s.getStatus() != null && s.getStatus().getWebhook() != null && Conditions.isTrue(s.getStatus().getConditions(), Conditions.READY)) {
        return;
      }
      Thread.sleep(200);
    }
    throw new IllegalStateException("the webhook schedule was not Ready within 120 s");
  }

  /** vegeta on the PATH or where `go install` puts it (hack/bench-gateway.sh says how to install it). */
  private static Path vegeta() {
    List<Path> candidates = new ArrayList<>();
    for (String dir : System.getenv().getOrDefault("PATH", "").split(":")) {
      candidates.add(Path.of(dir, "vegeta"));
    }
    candidates.add(Path.of(System.getProperty("user.home"), "go", "bin", "vegeta"));
    return candidates.stream().filter(Files::isExecutable).findFirst().orElseThrow(() -> new IllegalStateException(
        "vegeta is not installed; install it with `go install github.com/tsenart/vegeta/v12@v12.12.0`"));
  }

  private static long rssMiB(PackagedOperator operator) {
    try {
      Matcher m = Pattern.compile("(?m)^VmRSS:\\s+(\\d+)").matcher(Files.readString(Path.of("/proc/" + operator.pid() + "/status")));
      if (!m.find()) {
        throw new IllegalStateException("no VmRSS for the operator");
      }
      return Long.parseLong(m.group(1)) / 1024;
    } catch (IOException e) {
      throw new UncheckedIOException("the operator exited", e);
    }
  }

  private static String field(String json, String regex) {
    Matcher m = Pattern.compile(regex).matcher(json);
    return m.find() ? m.group(1) : "(not in vegeta's report: " + json + ")";
  }

  private static double nanos(String report, String key) {
    return Double.parseDouble(field(report, "\"" + key + "\":([0-9.]+)"));
  }

  private static String loadAverage() {
    try {
      String[] fields = Files.readString(Path.of("/proc/loadavg")).split(" ");
      return fields[0] + " " + fields[1] + " " + fields[2];
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  private static String run(String... command) throws InterruptedException {
    try {
      Process p = new ProcessBuilder(command).redirectErrorStream(true).start();
      String out = new String(p.getInputStream().readAllBytes());
      p.waitFor();
      return out;
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }
}
