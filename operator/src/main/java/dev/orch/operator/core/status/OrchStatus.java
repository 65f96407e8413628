package dev.orch.operator.core.status;

import java.util.ArrayList;
import java.util.List;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonPropertyDescription;
import io.fabric8.generator.annotation.Size;
import io.fabric8.kubernetes.api.model.Condition;

/**
 * Status fields every orch kind shares, in the shape kstatus, Argo CD and {@code kubectl wait} read:
 * the generation the status describes and the Ready / Reconciling / Stalled conditions.
 */
@JsonInclude(JsonInclude.Include.NON_NULL)
public class OrchStatus {
  @JsonPropertyDescription("The metadata.generation this status describes; older means the operator has not caught up yet.")
  private Long observedGeneration;

  @Size(max = 8)
  @JsonPropertyDescription("Ready, Reconciling and Stalled conditions in the standard Kubernetes shape.")
  private List<Condition> conditions = new ArrayList<>();

  public Long getObservedGeneration() {
    return observedGeneration;
  }

  public void setObservedGeneration(Long observedGeneration) {
    this.observedGeneration = observedGeneration;
  }

  /**
   * Shows a failed reconcile beyond the conditions {@link ReconcileFailure} sets; kinds whose listing has a state
   * column override it so that column agrees with the conditions.
   */
  public void showFailure(Conditions.Verdict verdict) {
  }

  public List<Condition> getConditions() {
    return conditions;
  }

  public void setConditions(List<Condition> conditions) {
    this.conditions = conditions;
  }
}
