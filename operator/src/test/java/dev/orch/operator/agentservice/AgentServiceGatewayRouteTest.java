package dev.orch.operator.agentservice;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Predicate;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;

import dev.orch.localcluster.KubeBinaries;
import dev.orch.localcluster.SharedCluster;
import dev.orch.localcluster.WithKubernetes;
import dev.orch.operator.agent.Bundle;
import dev.orch.operator.agent.EnvVar;
import dev.orch.operator.agentservice.rollout.RolloutCommands;
import dev.orch.operator.agentservice.rollout.RolloutStatus.Phase;
import dev.orch.operator.core.MetadataKeys;
import dev.orch.operator.core.reconcile.Labels;
import dev.orch.operator.core.config.OperatorSettings;
import dev.orch.operator.testing.Bundles;
import dev.orch.operator.testing.CustomResources;
import dev.orch.operator.testing.Kubelet;
import dev.orch.operator.testing.RunningOperator;
import dev.orch.operator.core.status.Conditions;
import io.fabric8.kubernetes.api.model.Condition;
import io.fabric8.kubernetes.api.model.ConditionBuilder;
import io.fabric8.kubernetes.api.model.ObjectMetaBuilder;
import io.fabric8.kubernetes.api.model.Service;
import io.fabric8.kubernetes.api.model.gatewayapi.v1.HTTPBackendRef;
import io.fabric8.kubernetes.api.model.gatewayapi.v1.HTTPRoute;
import io.fabric8.kubernetes.api.model.gatewayapi.v1.HTTPRouteStatusBuilder;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientException;

/**
 * A canary through the Gateway API on a real API server with the Gateway API CRDs (standard channel, from
 * hack/gateway-api-crds.sh) installed: the HTTPRoute's backends and weights follow the rollout.
 */
@WithKubernetes(controllerManager = true)
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class AgentServiceGatewayRouteTest {
  private static final Duration TIMEOUT = Duration.ofSeconds(45);
  private final KubernetesClient client;
  private RunningOperator<AgentService> operator;

  AgentServiceGatewayRouteTest(KubernetesClient client) {
    this.client = client;
  }

  @BeforeAll
  void start() {
    String fromEnv = System.getenv("ORCH_GATEWAY_API_CRDS");
    SharedCluster.installCrds(client, fromEnv != null && !fromEnv.isBlank() ? java.nio.file.Path.of(fromEnv)
        : KubeBinaries.buildWithScript("hack/gateway-api-crds.sh"));
    operator = RunningOperator.start(client, meters -> new AgentServiceReconciler(OperatorSettings.defaults(), meters));
  }

  @AfterAll
  void stop() {
    operator.close();
  }

  @Test
  void theRoutesWeightsFollowTheCanaryAndTheStableAndCanaryServicesSelectTheirTrack() {
    AgentService applied = client.resource(service("routed")).create();
    HTTPRoute route = awaitRoute("routed", r -> backends(r).size() == 1);
    assertThat(route.getSpec().getParentRefs()).singleElement().satisfies(p -> {
      assertThat(p.getName()).isEqualTo("public");
      assertThat(p.getNamespace()).isEqualTo("gateways");
    });
    assertThat(route.getSpec().getHostnames()).containsExactly("bot.example.com");
    assertThat(route.getSpec().getRules().get(0).getMatches().get(0).getPath().getValue()).isEqualTo("/hooks");
    assertThat(route.getMetadata().getOwnerReferences()).singleElement().satisfies(o -> assertThat(o.getName()).isEqualTo("routed"));
    assertThat(backends(route)).as("until the stable pods carry their track label, the main Service")
        .containsExactly(Map.entry("routed", 100));

    awaitReady(applied, s -> s.getRollout() != null && s.getRollout().phase() == Phase.Healthy);
    route = awaitRoute("routed", r -> backends(r).containsKey("routed-stable"));
    assertThat(backends(route)).containsExactly(Map.entry("routed-stable", 100));
    Service stable = client.services().withName("routed-stable").get();
    assertThat(stable.getSpec().getSelector()).containsEntry("orch.dev/track", "stable")
        .containsAllEntriesOf(Labels.selector(applied));

    CustomResources.edit(client, AgentService.class, "routed", s -> s.getSpec().setEnv(List.of(new EnvVar("VERSION", "2"))), TIMEOUT);
    route = awaitRoute("routed", r -> backends(r).size() == 2);
    assertThat(backends(route)).as("the exact weight, whatever the pod ratio")
        .containsExactly(Map.entry("routed-stable", 70), Map.entry("routed-canary", 30));
    assertThat(client.services().withName("routed-canary").get().getSpec().getSelector()).containsEntry("orch.dev/track", "canary");

    CustomResources.edit(client, AgentService.class, "routed", s -> {
      Map<String, String> annotations = new HashMap<>(s.getMetadata().getAnnotations() == null ? Map.of() : s.getMetadata().getAnnotations());
      annotations.put(MetadataKeys.PROMOTE, "full");
      s.getMetadata().setAnnotations(annotations);
    }, TIMEOUT);
    awaitReady(applied, s -> s.getRollout().phase() == Phase.Healthy && s.getRollout().revisions().size() == 2);
    route = awaitRoute("routed", r -> backends(r).size() == 1);
    assertThat(backends(route)).containsExactly(Map.entry("routed-stable", 100));
    await().atMost(TIMEOUT).until(() -> client.services().withName("routed-canary").get() == null);
  }

  /**
   * A Gateway's controller writes the route's status; here the test does, as tests play the kubelet. Nothing watches
   * routes, so the refusal is noticed by the operator's next look (within 30 s).
   */
  @Test
  void aRouteTheGatewayRefusesStallsTheServiceWithTheGatewaysReason() {
    AgentService applied = client.resource(service("refused")).create();
    awaitReady(applied, s -> Conditions.isTrue(s.getConditions(), Conditions.READY));
    awaitRoute("refused", r -> backends(r).containsKey("refused-stable"));
    String refusal = "no listener of gateways/public allows HTTPRoutes from namespace " + client.getNamespace();
    writeRouteStatus("refused", "False", "NotAllowedByListeners", refusal);

    AgentServiceStatus stalled = awaitStatus(applied, s -> Conditions.isTrue(s.getConditions(), Conditions.STALLED),
        Duration.ofSeconds(60));
    Condition condition = Conditions.find(stalled.getConditions(), Conditions.STALLED).orElseThrow();
    assertThat(condition.getReason()).isEqualTo("RouteNotAccepted");
    assertThat(condition.getMessage()).contains("gateways/public").contains("NotAllowedByListeners: " + refusal)
        .contains("allowedRoutes").contains("spec.gateway");
    assertThat(Conditions.isTrue(stalled.getConditions(), Conditions.READY)).isFalse();

    writeRouteStatus("refused", "True", "Accepted", "");
    // Any change reconciles at once; without one, the next look within 30 s sees the acceptance.
    CustomResources.edit(client, AgentService.class, "refused", s -> s.getMetadata().setAnnotations(Map.of("touched", "1")), TIMEOUT);
    awaitReady(applied, s -> Conditions.isTrue(s.getConditions(), Conditions.READY)
        && !Conditions.isTrue(s.getConditions(), Conditions.STALLED));
  }

  private void writeRouteStatus(String name, String accepted, String reason, String message) {
    String now = java.time.Instant.now().truncatedTo(java.time.temporal.ChronoUnit.SECONDS).toString();
    client.resources(HTTPRoute.class).withName(name).editStatus(route -> {
      long generation = route.getMetadata().getGeneration();
      route.setStatus(new HTTPRouteStatusBuilder().addNewParent()
          .withControllerName("example.com/gateway-controller")
          .withNewParentRef().withName("public").withNamespace("gateways").endParentRef()
          .addToConditions(new ConditionBuilder().withType("Accepted").withStatus(accepted).withReason(reason)
              .withMessage(message).withObservedGeneration(generation).withLastTransitionTime(now).build())
          .addToConditions(new ConditionBuilder().withType("ResolvedRefs").withStatus("True").withReason("ResolvedRefs")
              .withMessage("").withObservedGeneration(generation).withLastTransitionTime(now).build())
          .endParent().build());
      return route;
    });
  }

  private AgentService service(String name) {
    AgentServiceSpec spec = new AgentServiceSpec();
    spec.setAgent("acme/routed");
    spec.setBundle(new Bundle(new Bundle.ConfigMapSource("routed-bundle"), null, null, null, null));
    spec.setEnv(List.of(new EnvVar("VERSION", "1")));
    spec.setMinInstances(3);
    spec.setMaxInstances(3);
    spec.setGateway(new AgentServiceSpec.GatewayRoute(List.of(new AgentServiceSpec.ParentRef("public", "gateways", null)),
        List.of("bot.example.com"), "/hooks"));
    spec.setRollout(new AgentServiceSpec.Rollout(AgentServiceSpec.RolloutStrategy.CANARY,
        List.of(new AgentServiceSpec.Step(30, new AgentServiceSpec.Pause(null)))));
    Bundles.put(client, "routed-bundle", Bundles.HELLO);
    AgentService service = new AgentService();
    service.setMetadata(new ObjectMetaBuilder().withName(name).withNamespace(client.getNamespace()).build());
    service.setSpec(spec);
    return service;
  }

  private HTTPRoute awaitRoute(String name, Predicate<HTTPRoute> test) {
    return await().atMost(TIMEOUT).until(() -> client.resources(HTTPRoute.class).withName(name).get(),
        r -> r != null && test.test(r));
  }

  private void awaitReady(AgentService service, Predicate<AgentServiceStatus> test) {
    awaitStatus(service, test, TIMEOUT);
  }

  private AgentServiceStatus awaitStatus(AgentService service, Predicate<AgentServiceStatus> test, Duration timeout) {
    return await().atMost(timeout).ignoreExceptionsInstanceOf(KubernetesClientException.class).until(() -> {
      Kubelet.markReady(client, Labels.selector(service));
      return client.resources(AgentService.class).withName(service.getMetadata().getName()).get();
    }, r -> r.getStatus() != null && test.test(r.getStatus())).getStatus();
  }

  private static Map<String, Integer> backends(HTTPRoute route) {
    Map<String, Integer> weights = new java.util.LinkedHashMap<>();
    for (HTTPBackendRef ref : route.getSpec().getRules().get(0).getBackendRefs()) {
      weights.put(ref.getName(), ref.getWeight());
    }
    return weights;
  }
}
