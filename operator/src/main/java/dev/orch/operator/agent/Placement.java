package dev.orch.operator.agent;

import java.util.List;
import java.util.Map;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonPropertyDescription;
import io.fabric8.generator.annotation.Size;
import io.fabric8.kubernetes.api.model.Affinity;
import io.fabric8.kubernetes.api.model.Toleration;

/** Where the agent's pods may run; copied as is into the pod spec. */
@JsonInclude(JsonInclude.Include.NON_EMPTY)
public record Placement(
    @Size(max = 64)
    @JsonPropertyDescription("Node labels the pods' nodes must carry.")
    Map<String, String> nodeSelector,

    @Size(max = 64)
    @JsonPropertyDescription("Taints the pods tolerate.")
    List<Toleration> tolerations,

    @JsonPropertyDescription("Node and pod (anti-)affinity rules.")
    Affinity affinity) {
}
