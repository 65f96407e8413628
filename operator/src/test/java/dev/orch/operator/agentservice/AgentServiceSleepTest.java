package dev.orch.operator.agentservice;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.time.ZonedDateTime;
import java.time.temporal.ChronoUnit;
import java.util.List;
import java.util.Map;
import java.util.function.Consumer;
import java.util.function.Predicate;

import com.sun.net.httpserver.HttpServer;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;

import dev.orch.localcluster.WithKubernetes;
import dev.orch.operator.agent.Bundle;
import dev.orch.operator.core.MetadataKeys;
import dev.orch.operator.core.status.AgentState;
import dev.orch.operator.core.status.Conditions;
import dev.orch.operator.core.reconcile.Labels;
import dev.orch.operator.core.config.OperatorSettings;
import dev.orch.operator.sleep.KeepAwakeWindow;
import dev.orch.operator.sleep.SleepRequests;
import dev.orch.operator.sleep.SleepSettings;
import dev.orch.operator.sleep.SleepSpec;
import dev.orch.operator.sleep.SleepStatus;
import dev.orch.operator.testing.Bundles;
import dev.orch.operator.testing.CustomResources;
import dev.orch.operator.testing.Kubelet;
import dev.orch.operator.testing.RunningOperator;
import io.fabric8.kubernetes.api.model.Condition;
import io.fabric8.kubernetes.api.model.ObjectMetaBuilder;
import io.fabric8.kubernetes.api.model.Service;
import io.fabric8.kubernetes.api.model.apps.Deployment;
import io.fabric8.kubernetes.api.model.discovery.v1.EndpointSlice;
import io.fabric8.kubernetes.api.model.events.v1.Event;
import io.fabric8.kubernetes.client.KubernetesClient;

/**
 * Sleep and wake against a real API server and controller manager: the test plays the kubelet, and a real HTTP
 * server on loopback plays the pods' gateways (their metrics), which the operator asks at the pods' address.
 */
@WithKubernetes(controllerManager = true)
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class AgentServiceSleepTest {
  private static final Duration TIMEOUT = Duration.ofSeconds(30);
  private static final String ACTIVATOR = "10.0.0.99";
  private final KubernetesClient client;
  private RunningOperator<AgentService> operator;
  private HttpServer gateway;
  private volatile String gatewayMetrics = "";

  AgentServiceSleepTest(KubernetesClient client) {
    this.client = client;
  }

  @BeforeAll
  void start() throws IOException {
    gateway = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 0);
    gateway.createContext("/metrics", exchange -> {
      byte[] body = gatewayMetrics.getBytes(StandardCharsets.UTF_8);
      exchange.sendResponseHeaders(200, body.length);
      exchange.getResponseBody().write(body);
      exchange.close();
    });
    gateway.start();
    operator = startedOperator();
  }

  @AfterAll
  void stop() {
    operator.close();
    gateway.stop(0);
  }

  private RunningOperator<AgentService> startedOperator() {
    SleepSettings sleep = SleepSettings.DEFAULTS.withActivator(List.of(ACTIVATOR), 8012)
        .withGatewayMetricsPort(gateway.getAddress().getPort());
    return RunningOperator.start(client, meters -> new AgentServiceReconciler(OperatorSettings.defaults(), meters, sleep));
  }

  @Test
  void byHandASleepingServiceIsReadyRoutesToTheActivatorStaysAsleepOverARestartAndWakes() {
    AgentService applied = apply(service("napper", spec -> spec.setSleep(SleepSpec.manual())));
    await().atMost(TIMEOUT).until(() -> Kubelet.markReady(client, Labels.selector(applied)) > 0);
    awaitStatus("napper", s -> s.getState() == AgentState.RUNNING);

    annotate("napper", MetadataKeys.SLEEP, "1");
    AgentService asleep = awaitStatus("napper", s -> s.getState() == AgentState.SLEEPING);
    assertThat(asleep.getStatus().getSleep().reason()).isEqualTo("put to sleep by hand");
    Condition ready = Conditions.find(asleep.getStatus().getConditions(), Conditions.READY).orElseThrow();
    assertThat(ready.getStatus()).as("a sleeping service will serve: kstatus and Argo CD see it healthy").isEqualTo("True");
    assertThat(ready.getReason()).isEqualTo("Sleeping");
    assertThat(ready.getMessage()).contains("the next request to its Service wakes it", "orch.dev/wake=");
    assertThat(Conditions.isTrue(asleep.getStatus().getConditions(), Conditions.RECONCILING)).isFalse();
    await().atMost(TIMEOUT).untilAsserted(() -> {
      assertThat(client.apps().deployments().withName("napper").get().getSpec().getReplicas()).isZero();
      assertThat(client.services().withName("napper").get().getSpec().getSelector()).as("routed to the activator").isNullOrEmpty();
      EndpointSlice slice = client.discovery().v1().endpointSlices().withName("napper").get();
      assertThat(slice.getMetadata().getLabels()).containsEntry("kubernetes.io/service-name", "napper");
      assertThat(slice.getEndpoints()).singleElement().satisfies(e -> assertThat(e.getAddresses()).containsExactly(ACTIVATOR));
      assertThat(slice.getPorts()).singleElement().satisfies(p -> {
        assertThat(p.getName()).isEqualTo("http");
        assertThat(p.getPort()).isEqualTo(8012);
      });
    });
    awaitEvents("napper", "Sleeping");
    assertThat(client.discovery().v1().endpointSlices().withLabel("kubernetes.io/service-name", "napper").list().getItems())
        .as("the EndpointSlice controller's slices, which it would leave behind, are gone")
        .extracting(s -> s.getMetadata().getName()).containsExactly("napper");

    operator.close();
    operator = startedOperator();
    await().during(Duration.ofSeconds(3)).atMost(Duration.ofSeconds(10)).untilAsserted(() -> {
      assertThat(client.apps().deployments().withName("napper").get().getSpec().getReplicas()).isZero();
      assertThat(client.resources(AgentService.class).withName("napper").get().getStatus().getState()).isEqualTo(AgentState.SLEEPING);
    });

    annotate("napper", MetadataKeys.WAKE, "2");
    AgentService waking = awaitStatus("napper", s -> s.getSleep().phase() == SleepStatus.Phase.WAKING);
    assertThat(waking.getStatus().getState()).isEqualTo(AgentState.PROVISIONING);
    assertThat(Conditions.find(waking.getStatus().getConditions(), Conditions.RECONCILING).orElseThrow().getReason()).isEqualTo("Waking");
    await().atMost(TIMEOUT).until(() -> client.apps().deployments().withName("napper").get().getSpec().getReplicas() == 1);
    assertThat(client.services().withName("napper").get().getSpec().getSelector())
        .as("requests stay with the activator until a pod is ready").isNullOrEmpty();

    await().atMost(TIMEOUT).until(() -> Kubelet.markReady(client, Labels.selector(applied)) > 0);
    AgentService awake = awaitStatus("napper", s -> s.getState() == AgentState.RUNNING);
    assertThat(awake.getStatus().getSleep().reason()).isEqualTo("woken by hand");
    await().atMost(TIMEOUT).untilAsserted(() -> {
      assertThat(client.services().withName("napper").get().getSpec().getSelector()).isEqualTo(Labels.selector(applied));
      assertThat(client.discovery().v1().endpointSlices().withName("napper").get()).isNull();
    });
    awaitEvents("napper", "Waking", "Awake");
  }

  @Test
  void anIdleServiceSleepsOnlyOnceNothingIsInFlightAndARequestWakesIt() {
    double longAgo = Instant.now().minusSeconds(600).toEpochMilli() / 1000.0;
    gatewayMetrics = metrics(1, longAgo, longAgo);
    AgentService applied = apply(service("idler", spec -> spec.setSleep(SleepSpec.afterIdle("10s"))));
    awaitRunningWithPodOnLoopback(applied);

    await().during(Duration.ofSeconds(14)).atMost(Duration.ofSeconds(20)).until(
        () -> client.resources(AgentService.class).withName("idler").get().getStatus().getState() == AgentState.RUNNING);

    double now = Instant.now().toEpochMilli() / 1000.0;
    gatewayMetrics = metrics(0, now, longAgo);
    AgentService asleep = awaitStatus("idler", s -> s.getState() == AgentState.SLEEPING);
    assertThat(Duration.between(Instant.ofEpochMilli((long) (now * 1000)), Instant.parse(asleep.getStatus().getSleep().since())))
        .as("asleep no sooner than afterIdle after the last request").isGreaterThanOrEqualTo(Duration.ofSeconds(9));
    assertThat(asleep.getStatus().getSleep().reason()).startsWith("idle for ");

    annotate("idler", MetadataKeys.WAKE_ON_REQUEST, Instant.now().toString());
    // Within the switch grace its pod still runs, so it is awake again at once.
    awaitStatus("idler", s -> s.getState() == AgentState.RUNNING && "woken by a request".equals(s.getSleep().reason()));
    await().atMost(TIMEOUT).until(() -> client.apps().deployments().withName("idler").get().getSpec().getReplicas() == 1);
  }

  @Test
  void aWorkerWithoutAPortSleepsAndWakesByHandWithoutAService() {
    AgentService applied = apply(service("worker", spec -> {
      spec.setHttp(AgentServiceSpec.Http.none());
      spec.setSleep(SleepSpec.manual());
    }));
    await().atMost(TIMEOUT).until(() -> Kubelet.markReady(client, Labels.selector(applied)) > 0);
    awaitStatus("worker", s -> s.getState() == AgentState.RUNNING);
    annotate("worker", MetadataKeys.SLEEP, "now");
    AgentService asleep = awaitStatus("worker", s -> s.getState() == AgentState.SLEEPING);
    assertThat(Conditions.find(asleep.getStatus().getConditions(), Conditions.READY).orElseThrow().getMessage())
        .contains("it wakes by hand: kubectl -n " + client.getNamespace() + " annotate agentservice worker orch.dev/wake=");
    await().atMost(TIMEOUT).until(() -> client.apps().deployments().withName("worker").get().getSpec().getReplicas() == 0);
    assertThat(client.services().withName("worker").get()).isNull();
    assertThat(client.discovery().v1().endpointSlices().withName("worker").get()).isNull();
  }

  @Test
  void aKeepAwakeWindowWakesASleepingServiceKeepsItAwakePastAfterIdleAndLetsItSleepAfterIt() {
    double longAgo = Instant.now().minusSeconds(600).toEpochMilli() / 1000.0;
    gatewayMetrics = metrics(0, longAgo, longAgo);
    AgentService applied = apply(service("office", spec -> spec.setSleep(SleepSpec.afterIdle("10s"))));
    awaitRunningWithPodOnLoopback(applied);
    annotate("office", MetadataKeys.SLEEP, "before-the-window");
    awaitStatus("office", s -> s.getState() == AgentState.SLEEPING);
    await().atMost(TIMEOUT).until(() -> {
      Deployment deployment = client.apps().deployments().withName("office").get();
      return deployment.getSpec().getReplicas() == 0 && deployment.getStatus().getReadyReplicas() == null;
    });

    // A window that started at this minute's beginning (cron's granularity) and ends 30 s from now.
    ZonedDateTime now = ZonedDateTime.now(ZoneOffset.UTC);
    ZonedDateTime start = now.truncatedTo(ChronoUnit.MINUTES);
    Instant end = start.plusSeconds(Duration.between(start, now).toSeconds() + 30).toInstant();
    KeepAwakeWindow window = new KeepAwakeWindow(start.getMinute() + " " + start.getHour() + " * * *",
        Duration.between(start.toInstant(), end).toSeconds() + "s");
    CustomResources.edit(client, AgentService.class, "office",
        s -> s.getSpec().setSleep(SleepSpec.afterIdle("10s").keptAwake(null, window)), TIMEOUT);

    AgentService waking = awaitStatus("office", s -> s.getSleep().phase() == SleepStatus.Phase.WAKING);
    assertThat(waking.getStatus().getSleep().keptAwakeUntil()).isEqualTo(end.toString());
    assertThat(waking.getStatus().getSleep().reason()).startsWith("woken: keep-awake window \"" + window.schedule() + "\"");
    awaitEvents("office", "Waking");
    awaitRunningWithPodOnLoopback(applied);

    annotate("office", MetadataKeys.SLEEP, "inside-the-window");
    awaitEvents("office", "SleepRefused");
    Duration untilTheEnd = Duration.between(Instant.now(), end).minusSeconds(1);
    assertThat(untilTheEnd).as("the gateway has been idle for minutes; the window holds it longer than afterIdle")
        .isGreaterThan(Duration.ofSeconds(12));
    await().during(untilTheEnd).atMost(untilTheEnd.plusSeconds(5)).until(
        () -> client.resources(AgentService.class).withName("office").get().getStatus().getState() == AgentState.RUNNING);

    AgentService asleep = awaitStatus("office", s -> s.getState() == AgentState.SLEEPING);
    assertThat(asleep.getStatus().getSleep().reason()).startsWith("idle for ");
    assertThat(Instant.parse(asleep.getStatus().getSleep().since())).as("asleep right after the window's end")
        .isBetween(end, end.plusSeconds(10));
    assertThat(asleep.getStatus().getSleep().keptAwakeUntil()).isNull();
  }

  /** Its pod marked ready at the loopback address, where the test serves the gateway's metrics; then Running. */
  private void awaitRunningWithPodOnLoopback(AgentService applied) {
    await().atMost(TIMEOUT).until(() -> Kubelet.markReady(client, Labels.selector(applied), "127.0.0.1") > 0);
    awaitStatus(applied.getMetadata().getName(), s -> s.getState() == AgentState.RUNNING);
  }

  private static String metrics(int inFlight, double lastRequest, double started) {
    return "# TYPE orch_gateway_inflight_requests gauge\norch_gateway_inflight_requests " + inFlight + "\n"
        + "orch_gateway_last_request_timestamp_seconds " + lastRequest + "\n"
        + "orch_gateway_start_timestamp_seconds " + started + "\n";
  }

  private void annotate(String name, String annotation, String value) {
    CustomResources.edit(client, AgentService.class, name,
        s -> s.getMetadata().getAnnotations().put(annotation, value), TIMEOUT);
  }

  private AgentService service(String name, Consumer<AgentServiceSpec> customize) {
    AgentServiceSpec spec = new AgentServiceSpec();
    spec.setAgent("acme/" + name + "@1.0.0");
    spec.setBundle(new Bundle(new Bundle.ConfigMapSource(name + "-bundle"), null, null, null, null));
    customize.accept(spec);
    AgentService service = new AgentService();
    service.setMetadata(new ObjectMetaBuilder().withName(name).withNamespace(client.getNamespace())
        .withAnnotations(new java.util.HashMap<>(Map.of())).build());
    service.setSpec(spec);
    Bundles.put(client, name + "-bundle", Bundles.HELLO);
    return service;
  }

  private AgentService apply(AgentService service) {
    return client.resource(service).create();
  }

  private AgentService awaitStatus(String name, Predicate<AgentServiceStatus> test) {
    return CustomResources.awaitStatus(client, AgentService.class, name, test, TIMEOUT);
  }

  private void awaitEvents(String name, String... reasons) {
    await().atMost(TIMEOUT).untilAsserted(() -> assertThat(client.resources(Event.class).list().getItems().stream()
        .filter(e -> e.getRegarding() != null && name.equals(e.getRegarding().getName())).map(Event::getReason).toList())
        .contains(reasons));
  }
}
