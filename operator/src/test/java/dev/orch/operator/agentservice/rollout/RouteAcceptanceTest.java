package dev.orch.operator.agentservice.rollout;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.List;

import org.junit.jupiter.api.Test;

import io.fabric8.kubernetes.api.model.Condition;
import io.fabric8.kubernetes.api.model.ConditionBuilder;
import io.fabric8.kubernetes.api.model.gatewayapi.v1.HTTPRoute;
import io.fabric8.kubernetes.api.model.gatewayapi.v1.HTTPRouteBuilder;
import io.fabric8.kubernetes.api.model.gatewayapi.v1.RouteParentStatusBuilder;

class RouteAcceptanceTest {
  @Test
  void aRouteWithoutStatusHasNoProblemButIsNotSettled() {
    HTTPRoute route = route(3, List.of("public"));
    assertThat(RouteAcceptance.problem(route)).isEmpty();
    assertThat(RouteAcceptance.settled(route)).isFalse();
  }

  @Test
  void aRefusalForTheCurrentGenerationStallsWithTheGatewaysReason() {
    HTTPRoute route = withParent(route(3, List.of("public")), "public",
        condition("Accepted", "False", "NoMatchingListenerHostname", "no listener matches bot.example.com", 3),
        condition("ResolvedRefs", "True", "ResolvedRefs", "", 3));
    assertThat(RouteAcceptance.problem(route)).hasValueSatisfying(v -> {
      assertThat(v.stalled()).isTrue();
      assertThat(v.reason()).isEqualTo("RouteNotAccepted");
      assertThat(v.message()).contains("gateways/public")
          .contains("NoMatchingListenerHostname: no listener matches bot.example.com").contains("hostnames");
    });
    assertThat(RouteAcceptance.settled(route)).isFalse();
  }

  @Test
  void unresolvedBackendsStallAndNameTheServices() {
    HTTPRoute route = withParent(route(2, List.of("public")), "public",
        condition("Accepted", "True", "Accepted", "", 2),
        condition("ResolvedRefs", "False", "BackendNotFound", "service bot-canary not found", 2));
    assertThat(RouteAcceptance.problem(route)).hasValueSatisfying(v -> {
      assertThat(v.reason()).isEqualTo("RouteBackendsUnresolved");
      assertThat(v.message()).contains("BackendNotFound: service bot-canary not found").contains("bot-stable")
          .contains("bot-canary");
    });
  }

  @Test
  void conditionsOfAnOlderGenerationSayNothing() {
    HTTPRoute route = withParent(route(4, List.of("public")), "public",
        condition("Accepted", "False", "NotAllowedByListeners", "", 3),
        condition("ResolvedRefs", "True", "ResolvedRefs", "", 3));
    assertThat(RouteAcceptance.problem(route)).isEmpty();
    assertThat(RouteAcceptance.settled(route)).isFalse();
  }

  @Test
  void settledOnlyOnceEveryGatewayAcceptedAndResolved() {
    HTTPRoute route = withParent(route(1, List.of("public", "internal")), "public",
        condition("Accepted", "True", "Accepted", "", 1), condition("ResolvedRefs", "True", "ResolvedRefs", "", 1));
    assertThat(RouteAcceptance.settled(route)).as("internal has not answered").isFalse();
    route = withParent(route, "internal",
        condition("Accepted", "True", "Accepted", "", 1), condition("ResolvedRefs", "True", "ResolvedRefs", "", 1));
    assertThat(RouteAcceptance.settled(route)).isTrue();
    assertThat(RouteAcceptance.problem(route)).isEmpty();
  }

  private static HTTPRoute route(long generation, List<String> gateways) {
    HTTPRouteBuilder route = new HTTPRouteBuilder().withNewMetadata().withName("bot").withNamespace("shop")
        .withGeneration(generation).endMetadata().withNewSpec().endSpec();
    gateways.forEach(g -> route.editSpec().addNewParentRef().withName(g).withNamespace("gateways").endParentRef().endSpec());
    return route.build();
  }

  private static HTTPRoute withParent(HTTPRoute route, String gateway, Condition... conditions) {
    return new HTTPRouteBuilder(route).editOrNewStatus().addToParents(new RouteParentStatusBuilder()
        .withControllerName("example.com/gateway").withNewParentRef().withName(gateway).withNamespace("gateways")
        .endParentRef().withConditions(conditions).build()).endStatus().build();
  }

  private static Condition condition(String type, String status, String reason, String message, long generation) {
    return new ConditionBuilder().withType(type).withStatus(status).withReason(reason).withMessage(message)
        .withObservedGeneration(generation).build();
  }
}
