package dev.orch.operator.core.config;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.Map;

import org.junit.jupiter.api.Test;

import com.fasterxml.jackson.databind.ObjectMapper;

import io.fabric8.kubernetes.api.model.FieldsV1;
import io.fabric8.kubernetes.api.model.ManagedFieldsEntry;
import io.fabric8.kubernetes.api.model.apps.Deployment;
import io.fabric8.kubernetes.client.utils.KubernetesSerialization;

class AppliedFieldsOnlyTest {
  private final KubernetesSerialization serialization = new KubernetesSerialization(AppliedFieldsOnly.install(new ObjectMapper()), true);

  @Test
  void keepsOnlyTheServerSideApplyEntriesOfTheObjectItself() {
    Deployment read = serialization.unmarshal("""
        {"apiVersion": "apps/v1", "kind": "Deployment",
         "metadata": {"name": "bot", "namespace": "team-a", "managedFields": [
           {"manager": "agentservice", "operation": "Apply", "apiVersion": "apps/v1",
            "fieldsType": "FieldsV1", "fieldsV1": {"f:spec": {"f:replicas": {}}}},
           {"manager": "kube-controller-manager", "operation": "Update", "apiVersion": "apps/v1",
            "subresource": "status", "fieldsType": "FieldsV1", "fieldsV1": {"f:status": {"f:replicas": {}}}},
           {"manager": "kubectl-edit", "operation": "Update", "apiVersion": "apps/v1",
            "fieldsType": "FieldsV1", "fieldsV1": {"f:metadata": {"f:labels": {}}}},
           {"manager": "agentservice", "operation": "Apply", "apiVersion": "apps/v1", "subresource": "status",
            "fieldsType": "FieldsV1", "fieldsV1": {"f:status": {}}}]},
         "spec": {"replicas": 1}}
        """, Deployment.class);

    assertThat(read.getMetadata().getManagedFields()).singleElement().satisfies(entry -> {
      assertThat(entry.getManager()).isEqualTo("agentservice");
      assertThat(entry.getFieldsV1().getAdditionalProperties()).containsKey("f:spec");
    });
    assertThat(read.getSpec().getReplicas()).isEqualTo(1);
    assertThat(serialization.unmarshal("{\"metadata\": {\"name\": \"x\"}}", Deployment.class).getMetadata().getManagedFields())
        .isEmpty();
  }

  @Test
  void keptFieldSetReadsWritesAndComparesAsTheParsedOne() {
    Deployment read = serialization.unmarshal("""
        {"metadata": {"name": "bot", "managedFields": [
           {"manager": "agentservice", "operation": "Apply", "apiVersion": "apps/v1", "fieldsType": "FieldsV1",
            "time": "2026-11-30T12:00:00Z",
            "fieldsV1": {"f:spec": {"f:template": {"f:spec": {"f:containers": {"k:{\\"name\\":\\"agent\\"}": {".": {}}}}}}}}]}}
        """, Deployment.class);
    ManagedFieldsEntry entry = read.getMetadata().getManagedFields().get(0);
    var parsed = new FieldsV1();
    parsed.setAdditionalProperty("f:spec", Map.of("f:template", Map.of("f:spec", Map.of("f:containers",
        Map.of("k:{\"name\":\"agent\"}", Map.of(".", Map.of()))))));

    assertThat(entry.getFieldsV1()).isEqualTo(parsed).hasSameHashCodeAs(parsed);
    assertThat(entry.getFieldsV1().edit().build()).isEqualTo(parsed);
    assertThat(entry.getTime()).isEqualTo("2026-11-30T12:00:00Z");
    assertThat(serialization.asJson(read)).contains("\"fieldsV1\":{\"f:spec\":{\"f:template\"");
    assertThat(serialization.unmarshal(serialization.asJson(read), Deployment.class)).isEqualTo(read);
    assertThatThrownBy(() -> entry.getFieldsV1().setAdditionalProperty("f:status", Map.of()))
        .isInstanceOf(UnsupportedOperationException.class);
  }

  @Test
  void writesEntriesAsTheyAre() {
    var entry = new ManagedFieldsEntry();
    entry.setManager("m");
    entry.setOperation("Update");
    var deployment = new Deployment();
    deployment.setMetadata(new io.fabric8.kubernetes.api.model.ObjectMetaBuilder().withName("x").withManagedFields(entry).build());
    assertThat(serialization.asJson(deployment)).contains("\"operation\":\"Update\"");
  }
}
