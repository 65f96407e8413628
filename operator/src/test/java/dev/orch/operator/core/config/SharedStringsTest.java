package dev.orch.operator.core.config;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

import com.fasterxml.jackson.databind.ObjectMapper;

import io.fabric8.kubernetes.api.model.apps.Deployment;
import io.fabric8.kubernetes.client.utils.KubernetesSerialization;

class SharedStringsTest {
  private final KubernetesSerialization serialization = new KubernetesSerialization(SharedStrings.install(new ObjectMapper()), true);

  @Test
  void objectsReadApartShareTheirShortValuesAndKeepLongOnesApart() {
    String longCommand = "x".repeat(SharedStrings.LONGEST_SHARED + 1);
    String json = """
        {"metadata": {"name": "bot", "labels": {"app.kubernetes.io/name": "bot"}},
         "spec": {"template": {"spec": {"containers": [
           {"name": "agent", "image": "orch/runner:1.0", "args": ["supervise", "%s"],
            "env": [{"name": "ORB_REPLICA_COUNT", "value": "1"}]}]}}}}
        """.formatted(longCommand);
    Deployment first = serialization.unmarshal(json, Deployment.class);
    Deployment second = serialization.unmarshal(json, Deployment.class);

    var a = first.getSpec().getTemplate().getSpec().getContainers().get(0);
    var b = second.getSpec().getTemplate().getSpec().getContainers().get(0);
    assertThat(a.getImage()).isEqualTo("orch/runner:1.0").isSameAs(b.getImage());
    assertThat(a.getArgs().get(0)).isSameAs(b.getArgs().get(0));
    assertThat(a.getEnv().get(0).getValue()).isSameAs(b.getEnv().get(0).getValue());
    assertThat(first.getMetadata().getLabels().get("app.kubernetes.io/name"))
        .isSameAs(second.getMetadata().getLabels().get("app.kubernetes.io/name"));
    assertThat(a.getArgs().get(1)).isEqualTo(longCommand).isNotSameAs(b.getArgs().get(1));
  }
}
