package dev.orch.operator.agent;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonPropertyDescription;
import io.fabric8.generator.annotation.Pattern;
import io.fabric8.generator.annotation.Required;
import io.fabric8.generator.annotation.Size;
import io.fabric8.generator.annotation.ValidationRule;

/**
 * {@code spec.dependencyCache}: keep the agent's workspace (bundle, venv, node_modules, prepare's markers) on a
 * PersistentVolumeClaim instead of an emptyDir, so a new pod (a wake, a restart, a node drain) finds its
 * dependencies installed and {@code prepare} takes its fast path. See {@link DependencyCache}.
 */
@JsonInclude(JsonInclude.Include.NON_NULL)
@ValidationRule(
    value = "isQuantity(self.size) && quantity(self.size).compareTo(quantity('64Mi')) >= 0"
        + " && quantity(self.size).compareTo(quantity('100Gi')) <= 0",
    fieldPath = ".size",
    message = "dependencyCache.size must be a quantity between 64Mi and 100Gi, e.g. 1Gi (a venv with a few packages"
        + " needs 100-300Mi)")
public record DependencyCacheSpec(
    @Required
    @Size(max = 16)
    @JsonPropertyDescription("The claim's size, a quantity between 64Mi and 100Gi (e.g. 1Gi). It can grow later only"
        + " when the StorageClass allows volume expansion, and never shrink.")
    String size,
    @Size(max = 253)
    @Pattern("^[a-z0-9]([-a-z0-9.]*[a-z0-9])?$")
    @JsonPropertyDescription("The StorageClass of the claim; omitted: the cluster's default StorageClass. The claim is"
        + " ReadWriteOnce, so any class works; it cannot be changed once the claim exists (delete the claim to move).")
    String storageClassName) {
}
