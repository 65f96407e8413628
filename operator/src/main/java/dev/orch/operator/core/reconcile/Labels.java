package dev.orch.operator.core.reconcile;

import java.util.LinkedHashMap;
import java.util.Map;

import dev.orch.operator.agent.AgentTemplate;
import dev.orch.operator.core.MetadataKeys;
import io.fabric8.kubernetes.api.model.HasMetadata;
import io.fabric8.kubernetes.client.CustomResource;

/** The labels on everything the operator creates, so `kubectl get all -l ...` finds a resource's objects. */
public final class Labels {
  public static final String MANAGED_BY = "app.kubernetes.io/managed-by";
  public static final String OPERATOR = "orch-operator";
  public static final String INSTANCE = "app.kubernetes.io/instance";
  public static final String NAME = "app.kubernetes.io/name";
  public static final String COMPONENT = "app.kubernetes.io/component";

  /*
   * What the operator made for each kind (the label MetadataKeys.KIND holds the kind in lower case, see selector()), as
   * constants so that informer annotations can use them: the informers of owned objects then cache the
   * operator's own Deployments, Services, Pods... instead of every one in the cluster.
   */
  public static final String MADE_FOR_AGENTSERVICE = MANAGED_BY + "=" + OPERATOR + "," + MetadataKeys.KIND + "=agentservice";
  public static final String MADE_FOR_SWARM = MANAGED_BY + "=" + OPERATOR + "," + MetadataKeys.KIND + "=swarm";
  public static final String MADE_FOR_SCHEDULE = MANAGED_BY + "=" + OPERATOR + "," + MetadataKeys.KIND + "=schedule";

  private Labels() {
  }

  /** Labels that select the pods of one owner; also used as the workload's selector, so they never change. */
  public static Map<String, String> selector(HasMetadata owner) {
    Map<String, String> labels = new LinkedHashMap<>();
    labels.put(INSTANCE, owner.getMetadata().getName());
    labels.put(MetadataKeys.KIND, owner.getKind().toLowerCase(java.util.Locale.ROOT));
    return labels;
  }

  /** The selector labels plus the descriptive ones. */
  public static Map<String, String> of(CustomResource<? extends AgentTemplate, ?> owner, String component) {
    Map<String, String> labels = selector(owner);
    labels.put(NAME, agentName(owner.getSpec().getAgent()));
    labels.put(COMPONENT, component);
    labels.put(MANAGED_BY, OPERATOR);
    return labels;
  }

  /** "acme/discord-bot@1.2" → "discord-bot": label values allow no slash or at-sign. */
  static String agentName(String agent) {
    String name = agent.substring(agent.indexOf('/') + 1);
    int at = name.indexOf('@');
    name = at >= 0 ? name.substring(0, at) : name;
    return name.length() > 63 ? name.substring(0, 63) : name;
  }
}
