package dev.orch.operator.agentservice;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.List;
import java.util.Optional;
import java.util.Set;

import org.junit.jupiter.api.Test;

import dev.orch.operator.agentservice.AgentServiceStatusCalculator.Observation;
import dev.orch.operator.core.bundle.BundleCheck;
import dev.orch.operator.core.config.OperatorSettings;
import dev.orch.operator.core.secrets.SecretCheck;
import dev.orch.operator.core.status.AgentState;
import dev.orch.operator.core.status.EventRecorder.Notice;
import io.fabric8.kubernetes.api.model.Condition;
import io.fabric8.kubernetes.api.model.apps.Deployment;
import io.fabric8.kubernetes.api.model.apps.DeploymentBuilder;

class AgentServiceStatusCalculatorTest {
  private static final OperatorSettings SETTINGS = OperatorSettings.defaults();
  private static final SecretCheck NO_SECRETS = SecretCheck.of("team-a", "orch-secrets", List.of(), Set.of(), true);

  @Test
  void readyDeploymentMeansRunningAndHealthy() {
    AgentService service = newService();
    AgentServiceStatus status = AgentServiceStatusCalculator.compute(service, seen(readyDeployment(1), NO_SECRETS, "t1"), SETTINGS);
    assertThat(status.getState()).isEqualTo(AgentState.RUNNING);
    assertThat(status.getHealth()).isEqualTo(AgentServiceStatus.Health.HEALTHY);
    assertThat(status.getConditions()).extracting(Condition::getType, Condition::getStatus)
        .containsExactly(org.assertj.core.groups.Tuple.tuple("Ready", "True"), org.assertj.core.groups.Tuple.tuple("Reconciling", "False"),
            org.assertj.core.groups.Tuple.tuple("Stalled", "False"));
  }

  @Test
  void anUnchangedWorldGivesAnIdenticalStatusAndNoEvents() {
    AgentService service = newService();
    AgentServiceStatus first = AgentServiceStatusCalculator.compute(service, seen(readyDeployment(1), NO_SECRETS, "t1"), SETTINGS);
    service.setStatus(first);
    AgentServiceStatus second = AgentServiceStatusCalculator.compute(service, seen(readyDeployment(1), NO_SECRETS, "t2"), SETTINGS);
    assertThat(second).usingRecursiveComparison().isEqualTo(first);
    assertThat(AgentServiceStatusCalculator.events(service, first, second)).isEmpty();
  }

  @Test
  void missingSecretsStallWithTheCommandThatAddsThem() {
    AgentService service = newService();
    SecretCheck missing = SecretCheck.of("team-a", "orch-secrets", List.of("DISCORD_BOT_TOKEN", "DB_URL"), Set.of("DB_URL"), true);
    AgentServiceStatus status = AgentServiceStatusCalculator.compute(service, seen(null, missing, "t1"), SETTINGS);
    Condition stalled = status.getConditions().get(2);
    assertThat(stalled.getStatus()).isEqualTo("True");
    assertThat(stalled.getMessage()).isEqualTo("missing secret DISCORD_BOT_TOKEN in Secret team-a/orch-secrets; add it with:"
        + " kubectl -n team-a patch secret orch-secrets --type merge -p '{\"stringData\":{\"DISCORD_BOT_TOKEN\":\"<value>\"}}'");
    assertThat(status.getState()).isEqualTo(AgentState.FAILED);
    assertThat(AgentServiceStatusCalculator.events(service, new AgentServiceStatus(), status)).extracting(Notice::reason).contains("Failed");
  }

  @Test
  void aMissingVaultSecretIsCreatedByTheSuggestedCommand() {
    SecretCheck noVault = SecretCheck.of("team-a", "orch-secrets", List.of("A", "B"), Set.of(), false);
    assertThat(noVault.message()).endsWith("kubectl -n team-a create secret generic orch-secrets --from-literal=A=<value> --from-literal=B=<value>");
  }

  @Test
  void conditionsKeepTheirTransitionTimeWhileTheirStatusHolds() {
    AgentService service = newService();
    AgentServiceStatus provisioning = AgentServiceStatusCalculator.compute(service, seen(readyDeployment(0), NO_SECRETS, "t1"), SETTINGS);
    service.setStatus(provisioning);
    AgentServiceStatus running = AgentServiceStatusCalculator.compute(service, seen(readyDeployment(1), NO_SECRETS, "t2"), SETTINGS);
    assertThat(running.getConditions().get(0).getLastTransitionTime()).as("Ready flipped").isEqualTo("t2");
    assertThat(running.getConditions().get(2).getLastTransitionTime()).as("Stalled stayed False").isEqualTo("t1");
  }

  private static Observation seen(Deployment deployment, SecretCheck secrets, String now) {
    return new Observation(Optional.ofNullable(deployment), BundleCheck.notAConfigMap(), secrets,
        AgentServiceStatusCalculator.counters(null), now);
  }

  private static Deployment readyDeployment(int ready) {
    return new DeploymentBuilder().withNewMetadata().withGeneration(1L).endMetadata()
        .withNewStatus().withObservedGeneration(1L).withReplicas(1).withUpdatedReplicas(1).withReadyReplicas(ready).endStatus()
        .build();
  }

  /** A service seen for the first time, as the reconcile skeleton hands it to the calculator: with an empty status. */
  private static AgentService newService() {
    AgentService service = AgentServicePlanTest.service(s -> { });
    service.setStatus(new AgentServiceStatus());
    return service;
  }
}
