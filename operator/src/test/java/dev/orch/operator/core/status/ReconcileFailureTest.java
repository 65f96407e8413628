package dev.orch.operator.core.status;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.function.Consumer;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;

import dev.orch.localcluster.WithKubernetes;
import dev.orch.operator.agent.AgentTemplate;
import dev.orch.operator.agent.Bundle;
import dev.orch.operator.agent.Placement;
import dev.orch.operator.agentservice.AgentService;
import dev.orch.operator.agentservice.AgentServiceReconciler;
import dev.orch.operator.agentservice.AgentServiceSpec;
import dev.orch.operator.core.config.OperatorSettings;
import dev.orch.operator.schedule.Schedule;
import dev.orch.operator.schedule.ScheduleReconciler;
import dev.orch.operator.schedule.ScheduleSpec;
import dev.orch.operator.swarm.Swarm;
import dev.orch.operator.swarm.SwarmReconciler;
import dev.orch.operator.swarm.SwarmSpec;
import dev.orch.operator.testing.CustomResources;
import dev.orch.operator.testing.RunningOperator;
import io.fabric8.kubernetes.api.model.Condition;
import io.fabric8.kubernetes.api.model.HasMetadata;
import io.fabric8.kubernetes.api.model.ObjectMetaBuilder;
import io.fabric8.kubernetes.api.model.ResourceQuota;
import io.fabric8.kubernetes.api.model.ResourceQuotaBuilder;
import io.fabric8.kubernetes.api.model.StatusBuilder;
import io.fabric8.kubernetes.api.model.events.v1.Event;
import io.fabric8.kubernetes.client.CustomResource;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientException;
import io.javaoperatorsdk.operator.AggregatedOperatorException;

/**
 * Objects the API server refuses reach the resource's status and events, for all three kinds, and clear once the
 * apply succeeds. The refusals are real: a node selector value the API server rejects (it passes the CRD's own
 * schema) and a ResourceQuota.
 */
@WithKubernetes
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class ReconcileFailureTest {
  private static final Duration TIMEOUT = Duration.ofSeconds(30);
  /** A label value cannot hold a space, so every pod template carrying it is refused with 422. */
  private static final Map<String, String> INVALID_NODE_SELECTOR = Map.of("disk", "fast ssd");
  private final KubernetesClient client;
  private RunningOperator<HasMetadata> operator;

  ReconcileFailureTest(KubernetesClient client) {
    this.client = client;
  }

  @BeforeAll
  void startOperator() {
    OperatorSettings settings = OperatorSettings.defaults();
    operator = RunningOperator.startAll(client, null, List.of(
        meters -> new AgentServiceReconciler(settings, meters),
        meters -> new SwarmReconciler(settings, meters),
        meters -> new ScheduleReconciler(settings, meters)));
  }

  @AfterAll
  void stopOperator() {
    operator.close();
  }

  @Test
  void anInvalidObjectStallsEachKindWithTheApiServersMessageAndClearsOnceFixed() throws InterruptedException {
    List<CustomResource<?, ? extends OrchStatus>> resources = List.of(
        create(agentService("refused-svc", spec -> spec.setPlacement(onNodes(INVALID_NODE_SELECTOR)))),
        create(swarm("refused-swarm", spec -> spec.setPlacement(onNodes(INVALID_NODE_SELECTOR)))),
        create(schedule("refused-cron", spec -> spec.setPlacement(onNodes(INVALID_NODE_SELECTOR)))));

    for (var resource : resources) {
      OrchStatus status = awaitCondition(resource, Conditions.STALLED, "True").getStatus();
      Condition stalled = Conditions.find(status.getConditions(), Conditions.STALLED).orElseThrow();
      assertThat(stalled.getReason()).isEqualTo("ApplyRefused");
      assertThat(stalled.getMessage()).as("the API server's words, then what to change")
          .contains("nodeSelector", "fast ssd", "Change the " + resource.getKind());
      assertThat(status.getObservedGeneration()).isEqualTo(resource.getMetadata().getGeneration());
      assertThat(Conditions.isTrue(status.getConditions(), Conditions.READY)).isFalse();
      assertThat(Conditions.isTrue(status.getConditions(), Conditions.RECONCILING)).isFalse();
      assertThat(warnings(resource.getMetadata().getName())).contains("ApplyRefused");
    }
    assertThat(client.resources(AgentService.class).withName("refused-svc").get().getStatus().getState())
        .as("the state column agrees").isEqualTo(AgentState.FAILED);

    long settled = operator.reconciles();
    Thread.sleep(8_000);
    assertThat(operator.reconciles()).as("a refusal that retrying cannot fix is not retried with backoff")
        .isLessThanOrEqualTo(settled + resources.size());

    for (var resource : resources) {
      edit(resource, r -> ((AgentTemplate) r.getSpec()).setPlacement(onNodes(Map.of("disk", "ssd"))));
      awaitCondition(resource, Conditions.STALLED, "False");
    }
    assertThat(client.apps().deployments().withName("refused-svc").get()).isNotNull();
    assertThat(client.apps().deployments().withName("refused-swarm-0").get()).isNotNull();
    assertThat(client.batch().v1().cronjobs().withName("refused-cron").get()).isNotNull();
  }

  @Test
  void anExhaustedQuotaSaysWhichQuotaAndHowToFreeIt() {
    ResourceQuota noServices = client.resource(new ResourceQuotaBuilder().withNewMetadata().withName("no-services")
        .endMetadata().withNewSpec().addToHard("services", new io.fabric8.kubernetes.api.model.Quantity("0")).endSpec()
        .build()).create();
    try {
      AgentService service = create(agentService("over-quota", spec -> { }));
      Condition stalled = Conditions.find(awaitCondition(service, Conditions.STALLED, "True").getStatus().getConditions(),
          Conditions.STALLED).orElseThrow();
      assertThat(stalled.getReason()).isEqualTo("QuotaExceeded");
      assertThat(stalled.getMessage()).contains("services/over-quota", "no-services",
          "kubectl -n " + client.getNamespace() + " describe resourcequota");

      client.resource(noServices).delete();
      await().atMost(TIMEOUT).until(() -> client.resources(ResourceQuota.class).withName("no-services").get() == null);
      edit(service, s -> s.getMetadata().setAnnotations(Map.of("example.com/nudge", "1")));
      awaitCondition(service, Conditions.STALLED, "False");
      assertThat(client.services().withName("over-quota").get()).isNotNull();
    } finally {
      client.resource(noServices).delete();
    }
  }

  @Test
  void failuresRetryingCanFixAreTransientAndFoundInsideTheWorkflowsAggregate() {
    var conflict = new KubernetesClientException("conflict", 409,
        new StatusBuilder().withMessage("Operation cannot be fulfilled: the object has been modified").build());
    var wrapped = new AggregatedOperatorException("Exception(s) during workflow execution.", Map.of("deployment", conflict));
    ReconcileFailure.Diagnosis diagnosis = ReconcileFailure.diagnose("AgentService", "team-a", wrapped);
    assertThat(diagnosis.permanent()).isFalse();
    assertThat(diagnosis.reason()).isEqualTo("ApplyFailed");
    assertThat(diagnosis.message()).contains("the object has been modified", "retrying");

    ReconcileFailure.Diagnosis bug = ReconcileFailure.diagnose("Swarm", "team-a", new IllegalStateException("boom"));
    assertThat(bug.permanent()).isFalse();
    assertThat(bug.message()).contains("IllegalStateException: boom", "operator's log");

    var invalid = new KubernetesClientException("invalid", 422, new StatusBuilder().withMessage("Ingress \"x\" is invalid").build());
    assertThat(ReconcileFailure.diagnose("AgentService", "team-a", new RuntimeException(invalid)).permanent()).isTrue();
  }

  private static Placement onNodes(Map<String, String> nodeSelector) {
    return new Placement(nodeSelector, null, null);
  }

  private AgentService agentService(String name, Consumer<AgentServiceSpec> customize) {
    return resource(new AgentService(), new AgentServiceSpec(), name, customize);
  }

  private Swarm swarm(String name, Consumer<SwarmSpec> customize) {
    SwarmSpec spec = new SwarmSpec();
    spec.setReplicas(1);
    return resource(new Swarm(), spec, name, customize);
  }

  private Schedule schedule(String name, Consumer<ScheduleSpec> customize) {
    ScheduleSpec spec = new ScheduleSpec();
    spec.setType(ScheduleSpec.Type.CRON);
    spec.setSchedule("0 9 * * 1-5");
    return resource(new Schedule(), spec, name, customize);
  }

  /** A resource of any kind running an agent from a bundle URL, with no secrets to wait for. */
  private <S extends AgentTemplate, R extends CustomResource<S, ?>> R resource(R resource, S spec, String name,
      Consumer<S> customize) {
    spec.setAgent("acme/" + name);
    spec.setBundle(new Bundle(null, "https://bundles.example.com/" + name + ".tar.gz", null, null, null));
    customize.accept(spec);
    resource.setSpec(spec);
    return named(resource, name);
  }

  private <R extends HasMetadata> R named(R resource, String name) {
    resource.setMetadata(new ObjectMetaBuilder().withName(name).withNamespace(client.getNamespace()).build());
    return resource;
  }

  private <R extends HasMetadata> R create(R resource) {
    return client.resource(resource).create();
  }

  @SuppressWarnings("unchecked")
  private <R extends CustomResource<?, ? extends OrchStatus>> void edit(R resource, Consumer<R> change) {
    CustomResources.edit(client, (Class<R>) resource.getClass(), resource.getMetadata().getName(), change, TIMEOUT);
  }

  @SuppressWarnings("unchecked")
  private <S extends OrchStatus, R extends CustomResource<?, S>> R awaitCondition(CustomResource<?, ? extends OrchStatus> resource,
      String type, String status) {
    return CustomResources.awaitStatus(client, (Class<R>) resource.getClass(), resource.getMetadata().getName(),
        s -> Conditions.find(s.getConditions(), type).filter(c -> status.equals(c.getStatus())).isPresent(), TIMEOUT);
  }

  private List<String> warnings(String name) {
    return await().atMost(TIMEOUT).until(() -> client.resources(Event.class).list().getItems().stream()
        .filter(e -> e.getRegarding() != null && name.equals(e.getRegarding().getName()))
        .filter(e -> "Warning".equals(e.getType())).map(Event::getReason).toList(), reasons -> !reasons.isEmpty());
  }
}
