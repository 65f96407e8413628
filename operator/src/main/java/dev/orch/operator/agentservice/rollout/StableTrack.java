package dev.orch.operator.agentservice.rollout;

import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Optional;

import dev.orch.operator.agent.AgentPod;
import dev.orch.operator.agentservice.AgentService;
import dev.orch.operator.agentservice.AgentServiceSpec;
import dev.orch.operator.core.MetadataKeys;
import dev.orch.operator.core.reconcile.Labels;
import io.fabric8.kubernetes.api.model.PodTemplateSpec;
import io.fabric8.kubernetes.api.model.Service;
import io.fabric8.kubernetes.api.model.ServiceBuilder;
import io.fabric8.kubernetes.api.model.apps.Deployment;

/**
 * The {@code orch.dev/track: stable} label on the stable Deployment's pods, which lets a Service select the stable
 * track alone: a Gateway route's stable backend, and the main Service while an aborted canary's pods stay for their
 * logs. The label is in the pod template only, never in a Deployment's selector (immutable).
 */
public final class StableTrack {
  public static final String LABEL = MetadataKeys.TRACK + "=" + GatewayRoutes.STABLE_TRACK;

  private StableTrack() {
  }

  /**
   * Labels the stable template the spec asks for, for a routed or canary service. A stable Deployment that runs
   * without the label (made before canaries kept their pods) gets it only with the next template change: adding
   * it alone would roll every stable pod at a moment nobody chose, and would look like a new revision to the
   * canary. Until then an aborted canary is scaled to zero instead ({@link #allPodsLabelled}).
   */
  static void label(AgentServiceSpec spec, PodTemplateSpec desired, Optional<Deployment> stable) {
    if (spec.getGateway() == null && !CanaryRollout.isCanary(spec)) {
      return;
    }
    boolean changing = stable.isEmpty() || labelled(stable.get())
        || !CanaryRollout.hash(desired).equals(CanaryRollout.templateHash(stable.get()));
    if (spec.getGateway() != null || changing) {
      desired.getMetadata().getLabels().put(MetadataKeys.TRACK, GatewayRoutes.STABLE_TRACK);
    }
  }

  /** Every pod of the stable Deployment runs its current template, and that template carries the label. */
  static boolean allPodsLabelled(Optional<Deployment> stable) {
    if (stable.isEmpty() || stable.get().getStatus() == null || !labelled(stable.get())) {
      return false;
    }
    Deployment d = stable.get();
    var status = d.getStatus();
    boolean observed = status.getObservedGeneration() != null && d.getMetadata().getGeneration() != null
        && status.getObservedGeneration() >= d.getMetadata().getGeneration();
    int total = status.getReplicas() == null ? 0 : status.getReplicas();
    int updated = status.getUpdatedReplicas() == null ? 0 : status.getUpdatedReplicas();
    return observed && updated == total;
  }

  /** The main Service selecting the stable track only; a selector-less one (asleep, to the activator) stays so. */
  static Service selectingStableOnly(Service service) {
    if (service.getSpec().getSelector() == null) {
      return service;
    }
    Map<String, String> selector = new LinkedHashMap<>(service.getSpec().getSelector());
    selector.put(MetadataKeys.TRACK, GatewayRoutes.STABLE_TRACK);
    return new ServiceBuilder(service).editSpec().withSelector(selector).endSpec().build();
  }

  /** The command that shows a kept canary's logs, the last crashed run's with {@code --previous}. */
  static String canaryLogsCommand(AgentService service) {
    StringBuilder selector = new StringBuilder();
    Labels.selector(service).forEach((key, value) -> selector.append(key).append('=').append(value).append(','));
    selector.append(MetadataKeys.TRACK).append('=').append(CanaryRollout.CANARY_TRACK);
    return "kubectl logs -n " + service.getMetadata().getNamespace() + " -l " + selector + " -c " + AgentPod.AGENT_CONTAINER + " --previous";
  }

  private static boolean labelled(Deployment deployment) {
    Map<String, String> labels = deployment.getSpec().getTemplate().getMetadata().getLabels();
    return labels != null && GatewayRoutes.STABLE_TRACK.equals(labels.get(MetadataKeys.TRACK));
  }
}
