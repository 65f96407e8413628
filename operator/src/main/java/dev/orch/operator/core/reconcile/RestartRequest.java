package dev.orch.operator.core.reconcile;

import java.util.Locale;
import java.util.Map;
import java.util.function.Function;

import dev.orch.operator.core.MetadataKeys;
import dev.orch.operator.core.status.OrchStatus;
import io.fabric8.kubernetes.api.model.HasMetadata;
import io.fabric8.kubernetes.client.CustomResource;

/**
 * The restart request both AgentService and Swarm honour: the annotation {@code orch.dev/restartedAt}, set as
 * `kubectl rollout restart` sets its own. Copied into the pod template so pods roll, and compared with the
 * status's lastRestartAt to act on each request once.
 */
public final class RestartRequest {

  private RestartRequest() {
  }

  /** The requested restart time, or null when none was ever requested. */
  public static String requestedAt(HasMetadata resource) {
    Map<String, String> annotations = resource.getMetadata().getAnnotations();
    return annotations == null ? null : annotations.get(MetadataKeys.RESTARTED_AT);
  }

  /**
   * True when a restart was requested since the status was last written; a request present before the first
   * status write (a status without observedGeneration, as the reconcile skeleton hands a new resource over) is part
   * of the initial rollout, not a restart.
   */
  public static <S extends OrchStatus> boolean isNew(CustomResource<?, S> resource, Function<S, String> lastRestartAt) {
    String requested = requestedAt(resource);
    S status = resource.getStatus();
    return requested != null && status != null && status.getObservedGeneration() != null
        && !requested.equals(lastRestartAt.apply(status));
  }

  /** Pod-template annotations that make a new request roll fresh pods. */
  public static Map<String, String> podAnnotations(HasMetadata resource) {
    String requested = requestedAt(resource);
    return requested == null ? Map.of() : Map.of(MetadataKeys.RESTARTED_AT, requested);
  }

  /** The command that requests a restart, for status messages. */
  public static String command(HasMetadata resource) {
    return command(resource, MetadataKeys.RESTARTED_AT);
  }

  /** The command that sets {@code annotation} to the current time, for restart requests of other scopes. */
  public static String command(HasMetadata resource, String annotation) {
    return "kubectl -n " + resource.getMetadata().getNamespace() + " annotate "
        + resource.getKind().toLowerCase(Locale.ROOT) + " " + resource.getMetadata().getName() + " " + annotation
        + "=$(date -u +%Y-%m-%dT%H:%M:%SZ) --overwrite";
  }
}
