package dev.orch.operator.sleep;

import java.util.Map;

import dev.orch.operator.core.MetadataKeys;
import io.fabric8.kubernetes.api.model.HasMetadata;

/**
 * The annotations that put a resource to sleep or wake it. Each new value is acted on once (the status keeps
 * the last value handled), so a manifest that keeps an annotation does nothing on its next apply.
 */
public final class SleepRequests {

  private SleepRequests() {
  }

  /** The annotations' current values (null when absent). */
  public record Seen(String sleep, String wake, String wakeOnRequest, String keepAwake) {
    public static Seen of(HasMetadata resource) {
      Map<String, String> annotations = resource.getMetadata().getAnnotations();
      if (annotations == null) {
        return new Seen(null, null, null, null);
      }
      return new Seen(annotations.get(MetadataKeys.SLEEP), annotations.get(MetadataKeys.WAKE), annotations.get(MetadataKeys.WAKE_ON_REQUEST),
          annotations.get(MetadataKeys.KEEP_AWAKE));
    }
  }
}
