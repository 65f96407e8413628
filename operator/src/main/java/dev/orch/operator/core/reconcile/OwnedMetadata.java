package dev.orch.operator.core.reconcile;

import java.util.Map;

import dev.orch.operator.agent.AgentTemplate;
import io.fabric8.kubernetes.api.model.HasMetadata;
import io.fabric8.kubernetes.api.model.ObjectMeta;
import io.fabric8.kubernetes.api.model.ObjectMetaBuilder;
import io.fabric8.kubernetes.api.model.OwnerReference;
import io.fabric8.kubernetes.api.model.OwnerReferenceBuilder;
import io.fabric8.kubernetes.client.CustomResource;

/**
 * The metadata of every object the operator makes for an AgentService, Swarm or Schedule: a name, the owner's
 * namespace, the owner's labels ({@link Labels#of}) and, once applied, the owner as controller ({@link PlannedDependent}
 * adds it to planned objects, {@link #controlledBy} is for the others).
 */
public final class OwnedMetadata {
  private OwnedMetadata() {
  }

  /** An object named like its owner, as most owned objects are (so they can be found without a plan). */
  public static ObjectMeta of(CustomResource<? extends AgentTemplate, ?> owner, String component) {
    return named(owner, owner.getMetadata().getName(), Labels.of(owner, component));
  }

  public static ObjectMeta named(HasMetadata owner, String name, Map<String, String> labels) {
    return new ObjectMetaBuilder().withName(name).withNamespace(owner.getMetadata().getNamespace()).withLabels(labels)
        .build();
  }

  /**
   * Makes {@code owner} the controlling owner ({@code controller: true}), so that deleting it garbage-collects the
   * object and tools such as {@code kubectl get -o wide} and Argo CD show which resource an object belongs to.
   */
  public static OwnerReference controlledBy(HasMetadata owner) {
    return new OwnerReferenceBuilder()
        .withApiVersion(owner.getApiVersion()).withKind(owner.getKind())
        .withName(owner.getMetadata().getName()).withUid(owner.getMetadata().getUid())
        .withController(true).build();
  }
}
