package dev.orch.operator.agentservice;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Instant;
import java.util.List;
import java.util.Map;

import org.junit.jupiter.api.Test;

import dev.orch.operator.core.MetadataKeys;
import dev.orch.operator.core.config.OperatorSettings;
import dev.orch.operator.core.reconcile.Plan;
import dev.orch.operator.sleep.SleepPlan;
import dev.orch.operator.sleep.SleepStatus;
import dev.orch.operator.sleep.SleepStatus.Phase;
import io.fabric8.kubernetes.api.model.Service;
import io.fabric8.kubernetes.api.model.apps.Deployment;
import io.fabric8.kubernetes.api.model.autoscaling.v2.HorizontalPodAutoscaler;
import io.fabric8.kubernetes.api.model.discovery.v1.EndpointSlice;
import io.fabric8.kubernetes.api.model.policy.v1.PodDisruptionBudget;

/** What sleep changes in an AgentService's plan, without a cluster. */
class AgentServiceSleepPlanTest {
  private static final SleepPlan.Activator ACTIVATOR = new SleepPlan.Activator(List.of("10.0.0.7", "10.0.0.8"), 8012);

  private static Plan plan(SleepStatus sleep) {
    return plan(sleep, Instant.parse("2026-11-30T12:00:10Z"));
  }

  private static Plan plan(SleepStatus sleep, Instant now) {
    AgentService service = AgentServicePlanTest.service(spec -> {
      spec.setMinInstances(2);
      spec.setMaxInstances(4);
      spec.setIngress(new AgentServiceSpec.Ingress("bot.example.com", null, null, null));
    });
    return SleepPlan.apply(AgentServicePlan.of(service, List.of(), Map.of(), false, OperatorSettings.defaults()), sleep, ACTIVATOR,
        now);
  }

  private static SleepStatus in(Phase phase) {
    return new SleepStatus(phase, "2026-11-30T12:00:00Z", "idle for 15m0s", "2026-11-30T11:45:00Z", null, null, null);
  }

  @Test
  void asleepNoPodsAndTheServiceRoutesToEveryActivatorByItsHostsToo() {
    Plan asleep = plan(in(Phase.ASLEEP));
    assertThat(asleep.get(Deployment.class).orElseThrow().getSpec().getReplicas()).isZero();
    assertThat(asleep.get(HorizontalPodAutoscaler.class)).isEmpty();
    assertThat(asleep.get(PodDisruptionBudget.class)).isEmpty();
    Service service = asleep.get(Service.class).orElseThrow();
    assertThat(service.getSpec().getSelector()).isNullOrEmpty();
    assertThat(service.getMetadata().getAnnotations()).containsEntry(MetadataKeys.ACTIVATOR_HOSTS, "bot.example.com");
    EndpointSlice slice = asleep.get(EndpointSlice.class).orElseThrow();
    assertThat(slice.getMetadata().getName()).isEqualTo("bot");
    assertThat(slice.getMetadata().getLabels()).containsEntry("kubernetes.io/service-name", "bot")
        .containsEntry("endpointslice.kubernetes.io/managed-by", "activator.orch.dev");
    assertThat(slice.getAddressType()).isEqualTo("IPv4");
    assertThat(slice.getEndpoints()).flatExtracting(e -> e.getAddresses()).containsExactly("10.0.0.7", "10.0.0.8");
    assertThat(slice.getPorts()).singleElement().satisfies(p -> {
      assertThat(p.getName()).as("matches the Service's port by name").isEqualTo("http");
      assertThat(p.getPort()).isEqualTo(8012);
    });
  }

  @Test
  void justAsleepTheServiceSwitchesFirstAndThePodsStopOnlyAfterTheGrace() {
    Plan switching = plan(in(Phase.ASLEEP), Instant.parse("2026-11-30T12:00:02Z"));
    assertThat(switching.get(Service.class).orElseThrow().getSpec().getSelector()).isNullOrEmpty();
    assertThat(switching.get(Deployment.class).orElseThrow().getSpec().getReplicas()).as("still running").isNull();
  }

  @Test
  void wakingScalesUpButKeepsTheActivatorUntilAPodIsReadyAndAwakeIsThePlainPlan() {
    Plan waking = plan(in(Phase.WAKING));
    assertThat(waking.get(Deployment.class).orElseThrow().getSpec().getReplicas()).as("the autoscaler's").isNull();
    assertThat(waking.get(HorizontalPodAutoscaler.class)).isPresent();
    assertThat(waking.get(Service.class).orElseThrow().getSpec().getSelector()).isNullOrEmpty();
    assertThat(waking.get(EndpointSlice.class)).isPresent();

    Plan awake = plan(in(Phase.AWAKE));
    assertThat(awake.get(Service.class).orElseThrow().getSpec().getSelector()).isNotEmpty();
    assertThat(awake.get(EndpointSlice.class)).isEmpty();
    assertThat(plan(null).get(EndpointSlice.class)).isEmpty();
  }
}
