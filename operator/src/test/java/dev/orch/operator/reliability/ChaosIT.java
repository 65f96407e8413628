package dev.orch.operator.reliability;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Function;
import java.util.stream.Collectors;
import java.util.stream.IntStream;

import org.awaitility.core.ConditionTimeoutException;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.orch.localcluster.ClusterConnection;
import dev.orch.localcluster.WithKubernetes;
import dev.orch.operator.testing.HttpsReceiver;
import dev.orch.operator.testing.Kubelet;
import dev.orch.operator.testing.OperatorLogOnFailure;
import dev.orch.operator.testing.PackagedOperator;
import dev.orch.operator.testing.Vault;
import io.fabric8.kubernetes.api.model.GenericKubernetesResource;
import io.fabric8.kubernetes.api.model.HasMetadata;
import io.fabric8.kubernetes.api.model.OwnerReference;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.events.v1.Event;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.dsl.base.ResourceDefinitionContext;

/**
 * The packaged operator killed with SIGKILL every ten seconds while AgentServices, Swarms and Schedules are created,
 * edited, deleted and crash-loop, then left running: every resource converges, no owned object is orphaned or
 * doubled, and no alert is sent twice. {@code make test} runs 200 services for 60 s; {@code make chaos} runs the
 * full size (-Dorch.chaos.services=1000).
 */
@WithKubernetes(controllerManager = true)
class ChaosIT {
  private static final int SERVICES = Integer.getInteger("orch.chaos.services", 200);
  private static final Duration CHAOS = Duration.ofSeconds(Long.getLong("orch.chaos.seconds", 60));
  private static final Duration KILL_EVERY = Duration.ofSeconds(10);
  private static final int SWARMS = Math.max(2, SERVICES / 40);
  private static final int SCHEDULES = Math.max(2, SERVICES / 40);
  private static final int CRASHING = Math.max(2, SERVICES / 40);
  private static final int DELETED = Math.max(2, SERVICES / 20);
  private static final String MANAGED = "app.kubernetes.io/managed-by=orch-operator";
  private static final ObjectMapper JSON = new ObjectMapper();
  private static final ResourceDefinitionContext AGENT_SERVICES = crd("AgentService", "agentservices");
  private static final ResourceDefinitionContext SWARMS_API = crd("Swarm", "swarms");
  private static final ResourceDefinitionContext SCHEDULES_API = crd("Schedule", "schedules");

  private final KubernetesClient client;
  private final ClusterConnection cluster;
  private final ExecutorService pool = Executors.newFixedThreadPool(8);
  private HttpsReceiver alerts;
  private volatile PackagedOperator operator;

  @RegisterExtension
  final OperatorLogOnFailure showLogOnFailure = new OperatorLogOnFailure(
      () -> operator == null ? List.of() : List.of(operator));

  ChaosIT(KubernetesClient client, ClusterConnection cluster) {
    this.client = client;
    this.cluster = cluster;
  }

  @AfterEach
  void stop() {
    pool.shutdownNow();
    if (operator != null) {
      operator.stop();
    }
    if (alerts != null) {
      alerts.close();
    }
  }

  @Test
  void killedEveryTenSecondsTheOperatorStillConvergesWithoutOrphansDuplicatesOrRepeatedAlerts() throws Exception {
    Path work = Files.createDirectories(Path.of("target", "chaos"));
    alerts = new HttpsReceiver(Files.createTempDirectory(work, "alerts-"));
    Vault.put(client, Map.of("TOKEN", "x"));
    PackagedOperator.Launch launch = PackagedOperator.launch(cluster, work.resolve("operator.log")).env(Map.of(
        "QUARKUS_OPERATOR_SDK_NAMESPACES", client.getNamespace(),
        "ORCH_ALERTS_CA_BUNDLE", alerts.caBundle().toAbsolutePath().toString()));
    operator = launch.start();
    int port = operator.port();

    AtomicInteger kills = new AtomicInteger();
    Instant chaosEnds = Instant.now().plus(CHAOS);
    Future<?> killer = pool.submit(() -> {
      // Each operator process lives ten seconds after it answers, however long its start took on a busy machine.
      while (Instant.now().plus(KILL_EVERY).isBefore(chaosEnds)) {
        sleep(KILL_EVERY);
        operator.kill();
        kills.incrementAndGet();
        operator = launch.startOn(port);
      }
      return null;
    });

    // Phase 1: everything created at once.
    parallel(IntStream.range(0, SERVICES), i -> apply(agentService(i, "v1", i < CRASHING ? alerts.url() : null)));
    parallel(IntStream.range(0, SWARMS), i -> apply(swarm(i, 3)));
    parallel(IntStream.range(0, SCHEDULES), i -> apply(schedule(i, "v1")));
    sleep(CHAOS.dividedBy(3));

    // Phase 2: edits, deletions, scaling and crash loops while the kills go on.
    parallel(IntStream.range(0, SERVICES).filter(ChaosIT::edited), i -> apply(agentService(i, "v2", null)));
    parallel(IntStream.range(SERVICES - DELETED, SERVICES), i -> client.genericKubernetesResources(AGENT_SERVICES)
        .withName(serviceName(i)).delete());
    apply(swarm(0, 5));
    apply(swarm(1, 1));
    parallel(IntStream.range(0, SCHEDULES), i -> apply(schedule(i, "v2")));
    crashTwice(IntStream.range(0, CRASHING).mapToObj(ChaosIT::serviceName).toList());

    killer.get();
    assertThat(kills.get()).as("kills during %s", CHAOS).isGreaterThanOrEqualTo(2);

    await("every resource reconciled at its latest generation").atMost(Duration.ofMinutes(3))
        .pollInterval(Duration.ofSeconds(2)).untilAsserted(() -> assertThat(unreconciled()).isEmpty());
    await("the owned objects of deleted resources collected").atMost(Duration.ofMinutes(2))
        .pollInterval(Duration.ofSeconds(2)).untilAsserted(() -> assertThat(orphans()).isEmpty());
    assertThat(duplicates()).as("owners with more owned objects of a kind than they should have").isEmpty();
    assertThat(inconsistent()).as("resources whose owned objects do not match their spec").isEmpty();
    // Alerts go out at most once: a kill while one is on its way loses it, and the next operator says so.
    await("every crash-loop alert delivered or reported unconfirmed").atMost(Duration.ofMinutes(1))
        .pollInterval(Duration.ofSeconds(1)).until(() -> unaccountedAlerts().isEmpty());
    sleep(Duration.ofSeconds(5));
    assertThat(alertCounts()).as("alerts by service and event: none sent twice")
        .allSatisfy((key, count) -> assertThat(count).as(key).isEqualTo(1));
    assertThat(unaccountedAlerts()).as("alerts neither delivered nor reported unconfirmed").isEmpty();
    System.out.printf("chaos: %d AgentServices, %d Swarms, %d Schedules, %d kills in %d s; converged, 0 orphans,"
        + " 0 duplicates; of %d alerts %d delivered once, %d reported unconfirmed, 0 repeated%n", SERVICES, SWARMS,
        SCHEDULES, kills.get(), CHAOS.toSeconds(), 2 * CRASHING, alertCounts().size(), unconfirmedAlerts().size());
  }

  private static String agentService(int i, String version, String alertUrl) {
    return Workload.agentService(serviceName(i), version,
        "maxRestartFailures: 2\n" + (alertUrl == null ? "" : "alertWebhookUrl: " + alertUrl + "\n"));
  }

  private static String swarm(int i, int replicas) {
    return """
        apiVersion: orch.dev/v1alpha1
        kind: Swarm
        metadata:
          name: swarm-%d
        spec:
          agent: acme/shard@1.0.0
          bundle:
            url: https://bundles.example.com/shard.tar.gz
          replicas: %d
          requiredSecrets: [TOKEN]
        """.formatted(i, replicas);
  }

  private static String schedule(int i, String version) {
    return """
        apiVersion: orch.dev/v1alpha1
        kind: Schedule
        metadata:
          name: schedule-%d
        spec:
          type: cron
          schedule: "%d 3 * * *"
          agent: acme/report@1.0.0
          bundle:
            url: https://bundles.example.com/report.tar.gz
          env:
            - name: VERSION
              value: %s
          requiredSecrets: [TOKEN]
        """.formatted(i, i % 60, version);
  }

  /** Every fourth service gets a new env value in the middle of the chaos (not the crashing ones: their pods stay). */
  private static boolean edited(int i) {
    return i % 4 == 1 && i >= CRASHING;
  }

  private static String serviceName(int i) {
    return "agent-%04d".formatted(i);
  }

  private void apply(String yaml) {
    Workload.apply(client, yaml);
  }

  /** The kubelet's part: each crashing service's agent fails twice (the warning at half, then the auto-pause). */
  private void crashTwice(List<String> services) {
    for (int restarts = 1; restarts <= 2; restarts++) {
      int count = restarts;
      parallel(services.stream().mapToInt(services::indexOf), i -> {
        Pod pod = await("a pod of " + services.get(i)).atMost(Duration.ofMinutes(2)).pollInterval(Duration.ofMillis(500))
            .until(() -> newestPod(services.get(i)), p -> p != null);
        Kubelet.crashed(client, pod, count, 1, "chaos: exit " + count);
        try {
          await("restart " + count + " of " + services.get(i) + " counted").atMost(Duration.ofMinutes(2))
              .pollInterval(Duration.ofMillis(500)).ignoreExceptions()
              .until(() -> status(AGENT_SERVICES, services.get(i)).path("consecutiveRestartFailures").asInt() >= count);
        } catch (ConditionTimeoutException e) {
          throw new AssertionError(e.getMessage() + "\ncrashed pod " + pod.getMetadata().getName() + " ("
              + pod.getMetadata().getUid() + ")\n" + describe(services.get(i)), e);
        }
      });
    }
  }

  /** What a failed wait needs to be explained: the service's pods, its Deployment and its crash-loop status. */
  private String describe(String service) {
    StringBuilder out = new StringBuilder();
    for (Pod pod : client.pods().withLabel("app.kubernetes.io/instance", service).list().getItems()) {
      out.append("pod ").append(pod.getMetadata().getName()).append(" (").append(pod.getMetadata().getUid())
          .append(") created ").append(pod.getMetadata().getCreationTimestamp()).append(", deleted ")
          .append(pod.getMetadata().getDeletionTimestamp()).append(", owner ")
          .append(pod.getMetadata().getOwnerReferences().stream().map(OwnerReference::getName).toList())
          .append(", restarts ").append(pod.getStatus() == null || pod.getStatus().getContainerStatuses() == null
              ? List.of() : pod.getStatus().getContainerStatuses().stream().map(c -> c.getRestartCount()).toList())
          .append('\n');
    }
    var deployment = client.apps().deployments().withName(service).get();
    out.append("deployment generation ").append(deployment == null ? null : deployment.getMetadata().getGeneration())
        .append(", status ").append(deployment == null ? null : deployment.getStatus()).append('\n');
    return out.append("status ").append(status(AGENT_SERVICES, service)).toString();
  }

  private Pod newestPod(String service) {
    return client.pods().withLabel("app.kubernetes.io/instance", service).list().getItems().stream()
        .filter(p -> p.getMetadata().getDeletionTimestamp() == null)
        .max((a, b) -> a.getMetadata().getCreationTimestamp().compareTo(b.getMetadata().getCreationTimestamp()))
        .orElse(null);
  }

  private JsonNode status(ResourceDefinitionContext kind, String name) {
    GenericKubernetesResource resource = client.genericKubernetesResources(kind).withName(name).get();
    return resource == null ? JSON.missingNode() : JSON.valueToTree(resource.getAdditionalProperties().getOrDefault("status", Map.of()));
  }

  /** Resources whose status does not yet report their latest generation, by kind/name. */
  private List<String> unreconciled() {
    List<String> behind = new ArrayList<>();
    for (ResourceDefinitionContext kind : List.of(AGENT_SERVICES, SWARMS_API, SCHEDULES_API)) {
      for (GenericKubernetesResource r : client.genericKubernetesResources(kind).list().getItems()) {
        JsonNode status = JSON.valueToTree(r.getAdditionalProperties().getOrDefault("status", Map.of()));
        if (status.path("observedGeneration").asLong(-1) != r.getMetadata().getGeneration()) {
          behind.add(kind.getKind() + "/" + r.getMetadata().getName());
        }
      }
    }
    return behind;
  }

  /** Every object the operator made, by "Kind/name". */
  private Map<String, HasMetadata> owned() {
    Map<String, HasMetadata> objects = new TreeMap<>();
    client.apps().deployments().withLabelSelector(MANAGED).list().getItems().forEach(o -> objects.put("Deployment/" + name(o), o));
    client.services().withLabelSelector(MANAGED).list().getItems().forEach(o -> objects.put("Service/" + name(o), o));
    client.batch().v1().cronjobs().withLabelSelector(MANAGED).list().getItems().forEach(o -> objects.put("CronJob/" + name(o), o));
    return objects;
  }

  private Set<String> liveOwnerUids() {
    return List.of(AGENT_SERVICES, SWARMS_API, SCHEDULES_API).stream()
        .flatMap(kind -> client.genericKubernetesResources(kind).list().getItems().stream())
        .map(r -> r.getMetadata().getUid()).collect(Collectors.toSet());
  }

  /** Owned objects without a live controller owner (the garbage collector removes those of deleted owners). */
  private List<String> orphans() {
    Set<String> live = liveOwnerUids();
    return owned().entrySet().stream()
        .filter(e -> controller(e.getValue()) == null || !live.contains(controller(e.getValue()).getUid()))
        .map(Map.Entry::getKey).toList();
  }

  /** Owners with more Deployments, Services or CronJobs than their kind makes (a Swarm: one Deployment per replica). */
  private Map<String, Long> duplicates() {
    Map<String, Integer> expected = new HashMap<>();
    client.genericKubernetesResources(SWARMS_API).list().getItems().forEach(s -> expected.put(s.getMetadata().getUid(),
        ((Number) ((Map<?, ?>) s.getAdditionalProperties().get("spec")).get("replicas")).intValue()));
    Map<String, Long> counts = owned().entrySet().stream().filter(e -> controller(e.getValue()) != null)
        .collect(Collectors.groupingBy(e -> e.getKey().substring(0, e.getKey().indexOf('/')) + " of "
            + controller(e.getValue()).getKind() + "/" + controller(e.getValue()).getName() + " "
            + controller(e.getValue()).getUid(), Collectors.counting()));
    return counts.entrySet().stream()
        .filter(e -> e.getValue() > (e.getKey().startsWith("Deployment of Swarm/")
            ? expected.getOrDefault(e.getKey().substring(e.getKey().lastIndexOf(' ') + 1), 0) : 1))
        .collect(Collectors.toMap(Map.Entry::getKey, Map.Entry::getValue));
  }

  /** Resources whose owned objects say something else than their spec: the edited env, a Swarm's replica count. */
  private List<String> inconsistent() {
    List<String> wrong = new ArrayList<>();
    Map<String, HasMetadata> owned = owned();
    for (int i = 0; i < SERVICES - DELETED; i++) {
      String expected = edited(i) ? "v2" : "v1";
      if (!Workload.carriesVersion(client, owned.get("Deployment/" + serviceName(i)), expected)) {
        wrong.add("AgentService/" + serviceName(i) + " (Deployment without VERSION=" + expected + ")");
      }
    }
    for (GenericKubernetesResource swarm : client.genericKubernetesResources(SWARMS_API).list().getItems()) {
      int replicas = ((Number) ((Map<?, ?>) swarm.getAdditionalProperties().get("spec")).get("replicas")).intValue();
      long members = owned.values().stream().filter(o -> o.getKind().equals("Deployment") && controller(o) != null
          && controller(o).getUid().equals(swarm.getMetadata().getUid())).count();
      JsonNode status = status(SWARMS_API, name(swarm));
      if (members != replicas || status.path("replicas").asInt() != replicas) {
        wrong.add("Swarm/" + name(swarm) + " (" + members + " member Deployments, status.replicas "
            + status.path("replicas") + ", spec " + replicas + ")");
      }
    }
    for (int i = 0; i < SCHEDULES; i++) {
      if (!Workload.carriesVersion(client, owned.get("CronJob/schedule-" + i), "v2")) {
        wrong.add("Schedule/schedule-" + i + " (CronJob without VERSION=v2)");
      }
    }
    return wrong;
  }

  /** The crash-loop alerts expected, by "service event", that the receiver did not get and no event reports lost. */
  private Set<String> unaccountedAlerts() {
    Set<String> unaccounted = new TreeSet<>();
    for (int i = 0; i < CRASHING; i++) {
      unaccounted.add(serviceName(i) + " service.crash_loop_warning");
      unaccounted.add(serviceName(i) + " service.crash_loop");
    }
    unaccounted.removeAll(alertCounts().keySet());
    unaccounted.removeAll(unconfirmedAlerts());
    return unaccounted;
  }

  /** Alerts that an operator reported as unconfirmed (AlertUnconfirmed events, or status now), by "service event". */
  private Set<String> unconfirmedAlerts() {
    Set<String> unconfirmed = client.resources(Event.class).list().getItems().stream()
        .filter(e -> "AlertUnconfirmed".equals(e.getReason()) && e.getRegarding() != null)
        .map(e -> e.getRegarding().getName() + " " + e.getNote().split(" ")[1]).collect(Collectors.toSet());
    for (int i = 0; i < CRASHING; i++) {
      JsonNode shown = status(AGENT_SERVICES, serviceName(i)).path("crashLoop").path("lastAlert");
      if (shown.path("error").asText().startsWith("not confirmed:")) {
        unconfirmed.add(serviceName(i) + " " + shown.path("event").asText());
      }
    }
    return unconfirmed;
  }

  /** Deliveries the receiver got, by "service event". */
  private Map<String, Long> alertCounts() {
    return alerts.bodies.stream().map(body -> {
      try {
        JsonNode alert = JSON.readTree(body);
        return alert.path("service_name").asText() + " " + alert.path("event").asText();
      } catch (Exception e) {
        return "unparseable: " + body;
      }
    }).collect(Collectors.groupingBy(Function.identity(), TreeMap::new, Collectors.counting()));
  }

  private static OwnerReference controller(HasMetadata object) {
    return object.getMetadata().getOwnerReferences().stream().filter(o -> Boolean.TRUE.equals(o.getController()))
        .findFirst().orElse(null);
  }

  private static String name(HasMetadata object) {
    return object.getMetadata().getName();
  }

  private void parallel(IntStream indexes, java.util.function.IntConsumer action) {
    List<Future<?>> futures = indexes.mapToObj(i -> pool.submit(() -> action.accept(i))).collect(Collectors.toList());
    for (Future<?> future : futures) {
      try {
        future.get();
      } catch (Exception e) {
        throw new IllegalStateException(e.getCause() != null ? e.getCause() : e);
      }
    }
  }

  private static ResourceDefinitionContext crd(String kind, String plural) {
    return new ResourceDefinitionContext.Builder().withGroup("orch.dev").withVersion("v1alpha1").withKind(kind)
        .withPlural(plural).withNamespaced(true).build();
  }

  private static void sleep(Duration duration) {
    try {
      Thread.sleep(duration.toMillis());
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException(e);
    }
  }
}
