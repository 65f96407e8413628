package dev.orch.operator.core.config;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

import com.fasterxml.jackson.databind.ObjectMapper;

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
  void writesEntriesAsTheyAre() {
    var entry = new ManagedFieldsEntry();
    entry.setManager("m");
    entry.setOperation("Update");
    var deployment = new Deployment();
    deployment.setMetadata(new io.fabric8.kubernetes.api.model.ObjectMetaBuilder().withName("x").withManagedFields(entry).build());
    assertThat(serialization.asJson(deployment)).contains("\"operation\":\"Update\"");
  }
}
