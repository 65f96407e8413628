package dev.orch.operator.core.status;

import java.time.Instant;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.util.Locale;
import java.util.UUID;

import io.fabric8.kubernetes.api.model.HasMetadata;
import io.fabric8.kubernetes.api.model.MicroTime;
import io.fabric8.kubernetes.api.model.ObjectReferenceBuilder;
import io.fabric8.kubernetes.api.model.events.v1.EventBuilder;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientException;
import org.jboss.logging.Logger;

/** Kubernetes Events on our resources: the "recent events" timeline `kubectl describe` shows. */
public final class EventRecorder {
  private static final Logger LOG = Logger.getLogger(EventRecorder.class);
  static final String REPORTING_CONTROLLER = "orch.dev/orch-operator";

  /** The API server reads eventTime with exactly six fractional digits. */
  private static final DateTimeFormatter MICRO_TIME =
      DateTimeFormatter.ofPattern("yyyy-MM-dd'T'HH:mm:ss.SSSSSS'Z'").withZone(ZoneOffset.UTC);

  public enum Type { Normal, Warning }

  /** An event to emit: computed by pure code, sent by {@link #emit}. */
  public record Notice(Type type, String reason, String message) {
    public static Notice normal(String reason, String message) {
      return new Notice(Type.Normal, reason, message);
    }

    public static Notice warning(String reason, String message) {
      return new Notice(Type.Warning, reason, message);
    }
  }

  private final KubernetesClient client;
  private final String instance;

  public EventRecorder(KubernetesClient client) {
    this.client = client;
    this.instance = System.getenv().getOrDefault("HOSTNAME", "orch-operator");
  }

  public void emit(HasMetadata regarding, Notice notice) {
    var event = new EventBuilder()
        .withNewMetadata()
        .withName(regarding.getMetadata().getName() + "." + UUID.randomUUID().toString().substring(0, 8))
        .withNamespace(regarding.getMetadata().getNamespace())
        .endMetadata()
        .withRegarding(new ObjectReferenceBuilder().withApiVersion(regarding.getApiVersion()).withKind(regarding.getKind())
            .withName(regarding.getMetadata().getName()).withNamespace(regarding.getMetadata().getNamespace())
            .withUid(regarding.getMetadata().getUid()).withResourceVersion(regarding.getMetadata().getResourceVersion()).build())
        .withType(notice.type().name())
        .withReason(notice.reason())
        .withNote(truncate(notice.message()))
        .withAction(notice.reason().toLowerCase(Locale.ROOT))
        .withReportingController(REPORTING_CONTROLLER)
        .withReportingInstance(instance)
        .withEventTime(new MicroTime(MICRO_TIME.format(Instant.now())))
        .build();
    try {
      client.resource(event).create();
    } catch (KubernetesClientException e) {
      // An event is a courtesy; failing to write one must not fail the reconcile.
      LOG.warnf("cannot record event %s on %s/%s: %s", notice.reason(), regarding.getKind(), regarding.getMetadata().getName(), e.getMessage());
    }
  }

  private static String truncate(String note) {
    return note.length() <= 1024 ? note : note.substring(0, 1021) + "...";
  }
}
