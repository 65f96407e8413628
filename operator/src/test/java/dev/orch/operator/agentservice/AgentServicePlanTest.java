package dev.orch.operator.agentservice;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.function.Consumer;

import org.junit.jupiter.api.Test;

import dev.orch.operator.agent.Bundle;
import dev.orch.operator.agent.DependencyCacheSpec;
import dev.orch.operator.core.config.OperatorSettings;
import dev.orch.operator.core.reconcile.Plan;
import io.fabric8.kubernetes.api.model.Container;
import io.fabric8.kubernetes.api.model.EnvVar;
import io.fabric8.kubernetes.api.model.ObjectMetaBuilder;
import io.fabric8.kubernetes.api.model.PersistentVolumeClaim;
import io.fabric8.kubernetes.api.model.Service;
import io.fabric8.kubernetes.api.model.apps.Deployment;
import io.fabric8.kubernetes.api.model.autoscaling.v2.HorizontalPodAutoscaler;
import io.fabric8.kubernetes.api.model.networking.v1.Ingress;
import io.fabric8.kubernetes.api.model.policy.v1.PodDisruptionBudget;

/** The desired objects of an AgentService, computed without a cluster. */
class AgentServicePlanTest {
  private static final OperatorSettings SETTINGS = OperatorSettings.defaults();

  @Test
  void minimalServiceIsOneInstanceBehindAServiceAndNothingElse() {
    Plan plan = AgentServicePlan.of(service(s -> { }), List.of(), Map.of(), false, SETTINGS);
    assertThat(plan.get(Deployment.class)).get().satisfies(d -> assertThat(d.getSpec().getReplicas()).isEqualTo(1));
    assertThat(plan.get(Service.class)).isPresent();
    assertThat(plan.get(Ingress.class)).isEmpty();
    assertThat(plan.get(HorizontalPodAutoscaler.class)).isEmpty();
    assertThat(plan.get(PodDisruptionBudget.class)).isEmpty();
  }

  @Test
  void pausedScalesToZeroAndDropsAutoscalerAndBudget() {
    Plan plan = AgentServicePlan.of(service(s -> {
      s.setPaused(true);
      s.setMinInstances(2);
      s.setMaxInstances(4);
    }), List.of(), Map.of(), false, SETTINGS);
    assertThat(plan.get(Deployment.class).orElseThrow().getSpec().getReplicas()).isZero();
    assertThat(plan.get(HorizontalPodAutoscaler.class)).isEmpty();
    assertThat(plan.get(PodDisruptionBudget.class)).isEmpty();
  }

  @Test
  void crashLoopPauseScalesToZeroLikeAUserPause() {
    Plan plan = AgentServicePlan.of(service(s -> { }), List.of(), Map.of(), true, SETTINGS);
    assertThat(plan.get(Deployment.class).orElseThrow().getSpec().getReplicas()).isZero();
  }

  @Test
  void autoscaledServiceLeavesReplicasToTheAutoscaler() {
    Plan plan = AgentServicePlan.of(service(s -> s.setMaxInstances(3)), List.of(), Map.of(), false, SETTINGS);
    assertThat(plan.get(Deployment.class).orElseThrow().getSpec().getReplicas()).isNull();
    assertThat(plan.get(HorizontalPodAutoscaler.class).orElseThrow().getSpec().getMaxReplicas()).isEqualTo(3);
  }

  @Test
  void httpPortReachesTheAgentAndTheGateway() {
    Deployment deployment = AgentServicePlan.of(service(s -> s.setHttp(AgentServiceSpec.Http.on(5000))), List.of(), Map.of(), false, SETTINGS)
        .get(Deployment.class).orElseThrow();
    Container agent = deployment.getSpec().getTemplate().getSpec().getContainers().get(0);
    Container gateway = deployment.getSpec().getTemplate().getSpec().getInitContainers().get(0);
    assertThat(value(agent, "PORT")).isEqualTo("5000");
    assertThat(value(agent, "ORCHAGENT_HTTP_PORT")).isEqualTo("5000");
    assertThat(value(gateway, "ORCHAGENT_HTTP_PORT")).isEqualTo("5000");
  }

  @Test
  void agentWithoutHttpGetsNoServiceNoIngressNoPortAndStopsBeforeItStarts() {
    AgentService bot = service(s -> s.setHttp(AgentServiceSpec.Http.none()));
    Plan plan = AgentServicePlan.of(bot, List.of(), Map.of(), false, SETTINGS.withBaseDomain("agents.example.com"));
    assertThat(plan.get(Service.class)).isEmpty();
    assertThat(plan.get(Ingress.class)).as("no base-domain ingress without a port").isEmpty();
    Deployment deployment = plan.get(Deployment.class).orElseThrow();
    Container agent = deployment.getSpec().getTemplate().getSpec().getContainers().get(0);
    Container gateway = deployment.getSpec().getTemplate().getSpec().getInitContainers().get(0);
    assertThat(agent.getEnv()).extracting(EnvVar::getName).doesNotContain("PORT", "ORCHAGENT_HTTP_PORT");
    assertThat(gateway.getEnv()).extracting(EnvVar::getName).doesNotContain("ORCHAGENT_HTTP_PORT");
    assertThat(gateway.getReadinessProbe().getHttpGet().getPath()).as("health still comes from the gateway").isEqualTo("/health");
    assertThat(deployment.getSpec().getStrategy().getType()).isEqualTo("Recreate");
    assertThat(deployment.getSpec().getStrategy().getRollingUpdate()).isNull();
    assertThat(AgentServicePlan.internalUrl(bot)).isEmpty();
    assertThat(AgentServicePlan.publicUrl(bot, SETTINGS.withBaseDomain("agents.example.com"))).isEmpty();
  }

  @Test
  void defaultRolloutRecreatesSingletonsAndRollsScalableHttpServices() {
    assertThat(strategy(service(s -> { }))).as("one instance by default").isEqualTo("Recreate");
    assertThat(strategy(service(s -> s.setMaxInstances(3)))).isEqualTo("RollingUpdate");
    assertThat(strategy(service(s -> {
      s.setMinInstances(2);
      s.setMaxInstances(2);
    }))).isEqualTo("RollingUpdate");
    assertThat(strategy(service(s -> {
      s.setHttp(AgentServiceSpec.Http.none());
      s.setMaxInstances(3);
    }))).as("no port: never two at once, even when scaled").isEqualTo("Recreate");
    Deployment rolling = AgentServicePlan.of(service(s -> s.setMaxInstances(3)), List.of(), Map.of(), false, SETTINGS)
        .get(Deployment.class).orElseThrow();
    assertThat(rolling.getSpec().getStrategy().getRollingUpdate().getMaxUnavailable().getIntVal()).isZero();
  }

  @Test
  void explicitRolloutStrategyWinsOverTheDefault() {
    assertThat(strategy(service(s -> s.setRollout(new AgentServiceSpec.Rollout(AgentServiceSpec.RolloutStrategy.ROLLING, null)))))
        .isEqualTo("RollingUpdate");
    assertThat(strategy(service(s -> {
      s.setMinInstances(2);
      s.setMaxInstances(4);
      s.setRollout(new AgentServiceSpec.Rollout(AgentServiceSpec.RolloutStrategy.RECREATE, null));
    }))).isEqualTo("Recreate");
    assertThat(strategy(service(s -> {
      s.setMaxInstances(3);
      s.setRollout(new AgentServiceSpec.Rollout(AgentServiceSpec.RolloutStrategy.CANARY, List.of(AgentServiceSpec.Step.weight(10))));
    }))).as("each track of a canary rolls").isEqualTo("RollingUpdate");
  }

  @Test
  void probesFromTheSpecReplaceTheGatewayDefaults() {
    var pod = AgentServicePlan.of(service(s -> s.setProbes(new AgentServiceSpec.Probes(
        new AgentServiceSpec.Probe("/ready", 3, null, 4, 2), new AgentServiceSpec.Probe("/health", 20, 5, null, null)))),
        List.of(), Map.of(), false, SETTINGS).get(Deployment.class).orElseThrow().getSpec().getTemplate().getSpec();
    var gateway = pod.getInitContainers().stream().filter(c -> c.getName().equals("gateway")).findFirst().orElseThrow();
    assertThat(gateway.getReadinessProbe().getHttpGet().getPath()).isEqualTo("/ready");
    assertThat(gateway.getReadinessProbe().getHttpGet().getPort().getIntVal()).isEqualTo(8080);
    assertThat(gateway.getReadinessProbe().getPeriodSeconds()).isEqualTo(3);
    assertThat(gateway.getReadinessProbe().getTimeoutSeconds()).as("the default stays").isEqualTo(2);
    assertThat(gateway.getReadinessProbe().getFailureThreshold()).isEqualTo(4);
    assertThat(gateway.getReadinessProbe().getSuccessThreshold()).isEqualTo(2);
    assertThat(gateway.getLivenessProbe().getTcpSocket()).as("a path makes liveness an HTTP check").isNull();
    assertThat(gateway.getLivenessProbe().getHttpGet().getPath()).isEqualTo("/health");
    assertThat(gateway.getLivenessProbe().getPeriodSeconds()).isEqualTo(20);
    assertThat(gateway.getLivenessProbe().getTimeoutSeconds()).isEqualTo(5);
  }

  @Test
  void baseDomainPublishesTheServiceUnderItsOwnHost() {
    AgentService service = service(s -> { });
    OperatorSettings withDomain = SETTINGS.withBaseDomain("agents.example.com");
    Ingress ingress = AgentServicePlan.of(service, List.of(), Map.of(), false, withDomain).get(Ingress.class).orElseThrow();
    assertThat(ingress.getSpec().getRules().get(0).getHost()).isEqualTo("bot-team-a.agents.example.com");
    assertThat(AgentServicePlan.publicUrl(service, withDomain)).contains("http://bot-team-a.agents.example.com");
    assertThat(AgentServicePlan.publicUrl(service, SETTINGS)).isEmpty();
  }

  @Test
  void prebuiltImageRunsWithoutThePrepareStep() {
    Deployment deployment = AgentServicePlan.of(service(s -> {
      s.setBundle(new Bundle(null, null, null, null, "registry.example.com/acme/bot:1"));
      s.setCommand(List.of("python", "bot.py"));
    }), List.of(), Map.of(), false, SETTINGS).get(Deployment.class).orElseThrow();
    var pod = deployment.getSpec().getTemplate().getSpec();
    assertThat(pod.getInitContainers()).extracting(Container::getName).containsExactly("gateway", "supervisor");
    assertThat(pod.getInitContainers().get(1).getCommand()).containsExactly("/usr/local/bin/orch-pod", "install", "/orch/bin");
    assertThat(pod.getInitContainers().get(1).getImage()).as("orch-pod comes from the gateway image").isEqualTo(SETTINGS.gatewayImage());
    Container agent = pod.getContainers().get(0);
    assertThat(agent.getImage()).isEqualTo("registry.example.com/acme/bot:1");
    assertThat(agent.getCommand()).as("the image's command runs under the supervisor")
        .containsExactly("/orch/bin/orch-pod", "supervise", "--", "python", "bot.py");
    assertThat(agent.getVolumeMounts()).anySatisfy(m -> {
      assertThat(m.getMountPath()).isEqualTo("/orch/bin");
      assertThat(m.getReadOnly()).isTrue();
    });
  }

  @Test
  void runnerPodPreparesThenSupervisesWithASmallGateway() {
    var pod = AgentServicePlan.of(service(s -> { }), List.of(), Map.of(), false, SETTINGS).get(Deployment.class).orElseThrow()
        .getSpec().getTemplate().getSpec();
    Container gateway = pod.getInitContainers().get(0);
    Container prepare = pod.getInitContainers().get(1);
    Container agent = pod.getContainers().get(0);
    assertThat(prepare.getCommand()).containsExactly("/usr/local/bin/orch-prepare");
    assertThat(agent.getCommand()).as("the supervisor is PID 1").containsExactly("/usr/local/bin/orch-pod", "supervise");
    assertThat(prepare.getArgs()).isEmpty();
    assertThat(agent.getArgs()).isEmpty();
    assertThat(gateway.getCommand()).containsExactly("/usr/local/bin/orch-pod", "gateway");
    assertThat(gateway.getResources().getRequests().get("memory").toString()).isEqualTo("16Mi");
    assertThat(gateway.getResources().getLimits().get("memory").toString()).isEqualTo("64Mi");
  }

  @Test
  void withoutNativeSidecarsTheGatewayIsASecondContainer() {
    OperatorSettings old = new OperatorSettings("r", "g", Optional.empty(), "orch-secrets", Optional.empty(), false,
        java.time.Duration.ofMinutes(10), Optional.empty(), OperatorSettings.Webhooks.DEFAULTS, OperatorSettings.Tls.DEFAULTS);
    var pod = AgentServicePlan.of(service(s -> { }), List.of(), Map.of(), false, old).get(Deployment.class).orElseThrow()
        .getSpec().getTemplate().getSpec();
    assertThat(pod.getInitContainers()).extracting(Container::getName).containsExactly("prepare");
    assertThat(pod.getContainers()).extracting(Container::getName).containsExactly("agent", "gateway");
  }

  @Test
  void secretsAreReferencedNeverCopied() {
    var agent = AgentServicePlan.of(service(s -> { }), List.of("API_KEY", "DB_URL"), Map.of(), false, SETTINGS).get(Deployment.class)
        .orElseThrow().getSpec().getTemplate().getSpec().getContainers().get(0);
    assertThat(value(agent, "ORCH_SECRET_NAMES")).isEqualTo("API_KEY,DB_URL");
    assertThat(agent.getEnv()).filteredOn(e -> e.getName().equals("API_KEY")).singleElement()
        .satisfies(e -> assertThat(e.getValueFrom().getSecretKeyRef().getName()).isEqualTo("orch-secrets"));
  }

  private static String strategy(AgentService service) {
    return AgentServicePlan.of(service, List.of(), Map.of(), false, SETTINGS).get(Deployment.class).orElseThrow()
        .getSpec().getStrategy().getType();
  }

  @Test
  void dependencyCacheIsAClaimNamedLikeTheServiceThatHoldsTheWorkspace() {
    Plan plan = AgentServicePlan.of(service(s -> s.setDependencyCache(new DependencyCacheSpec("1Gi", "local"))),
        List.of(), Map.of(), false, SETTINGS);
    PersistentVolumeClaim claim = plan.get(PersistentVolumeClaim.class).orElseThrow();
    assertThat(claim.getMetadata().getName()).isEqualTo("bot");
    assertThat(claim.getSpec().getAccessModes()).containsExactly("ReadWriteOnce");
    assertThat(claim.getSpec().getStorageClassName()).isEqualTo("local");
    assertThat(claim.getSpec().getResources().getRequests().get("storage").toString()).isEqualTo("1Gi");
    var pod = plan.get(Deployment.class).orElseThrow().getSpec().getTemplate().getSpec();
    assertThat(pod.getVolumes()).filteredOn(v -> v.getName().equals("workspace")).singleElement()
        .satisfies(v -> {
          assertThat(v.getEmptyDir()).isNull();
          assertThat(v.getPersistentVolumeClaim().getClaimName()).isEqualTo("bot");
        });
    assertThat(pod.getSecurityContext().getFsGroupChangePolicy()).as("no walk over the venv on every start")
        .isEqualTo("OnRootMismatch");
    assertThat(plan.get(Deployment.class).orElseThrow().getSpec().getStrategy().getType()).isEqualTo("Recreate");
    assertThat(pod.getInitContainers()).extracting(c -> c.getName()).as("prepare runs in the agent container")
        .containsExactly("gateway");
    assertThat(pod.getContainers().get(0).getCommand()).contains("--prepare-with");

    Plan withoutCache = AgentServicePlan.of(service(s -> { }), List.of(), Map.of(), false, SETTINGS);
    assertThat(withoutCache.get(PersistentVolumeClaim.class)).isEmpty();
    assertThat(withoutCache.get(Deployment.class).orElseThrow().getSpec().getTemplate().getSpec().getVolumes())
        .filteredOn(v -> v.getName().equals("workspace")).singleElement().satisfies(v -> assertThat(v.getEmptyDir()).isNotNull());
    assertThat(withoutCache.get(Deployment.class).orElseThrow().getSpec().getTemplate().getSpec().getInitContainers())
        .extracting(c -> c.getName()).containsExactly("gateway", "prepare");
  }

  static AgentService service(Consumer<AgentServiceSpec> customize) {
    AgentServiceSpec spec = new AgentServiceSpec();
    spec.setAgent("acme/bot@1.0.0");
    spec.setBundle(new Bundle(new Bundle.ConfigMapSource("bot-bundle"), null, null, null, null));
    customize.accept(spec);
    AgentService service = new AgentService();
    service.setMetadata(new ObjectMetaBuilder().withName("bot").withNamespace("team-a").withGeneration(1L).build());
    service.setSpec(spec);
    return service;
  }

  private static String value(Container container, String name) {
    return container.getEnv().stream().filter(e -> e.getName().equals(name)).map(EnvVar::getValue).findFirst().orElse(null);
  }
}
