package dev.orch.operator.core.alerts;

import java.time.Instant;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;

import dev.orch.operator.core.crashloop.CrashLoopRecord.AlertOutcome;
import dev.orch.operator.core.status.EventRecorder;
import dev.orch.operator.core.status.EventRecorder.Notice;
import io.fabric8.kubernetes.api.model.HasMetadata;
import io.javaoperatorsdk.operator.processing.event.ResourceID;
import io.javaoperatorsdk.operator.processing.event.source.inbound.SimpleInboundEventSource;
import io.micrometer.core.instrument.MeterRegistry;
import org.jboss.logging.Logger;

/**
 * Delivers alerts off the reconcile thread, so a slow or dead receiver (each delivery may retry for tens of
 * seconds) holds up no reconcile: deliveries wait in a bounded queue for a few sender threads; a full queue
 * refuses the alert at once and says so. When a delivery ends, its outcome waits here and the resource is
 * reconciled again, which writes it to status in its one status write ({@link #pending}, {@link #written}).
 *
 * <p>An alert level is marked as sent in status before its alert is queued, so an operator restart can lose a
 * queued alert but never send one twice. The same status write shows the delivery as under way
 * ({@link AlertOutcome#underWay}); an operator that finds such a delivery that it never started itself reports it
 * as unconfirmed ({@link #unconfirmed}), so a lost alert is never silent.
 */
public final class AlertSender<P extends HasMetadata> extends SimpleInboundEventSource<P> {
  private static final Logger LOG = Logger.getLogger(AlertSender.class);
  static final int SENDERS = 2;
  static final int QUEUED = 64;
  private final AlertWebhook webhook;
  private final MeterRegistry meters;
  private final Map<ResourceID, AlertOutcome> outcomes = new ConcurrentHashMap<>();
  private final Map<ResourceID, Integer> underWay = new ConcurrentHashMap<>();
  private ThreadPoolExecutor senders;
  private EventRecorder events;

  public AlertSender(AlertWebhook webhook, MeterRegistry meters) {
    super("alert-outcomes");
    this.webhook = webhook;
    this.meters = meters;
  }

  /** Where failed deliveries are announced; set with the reconciler's other event sources. */
  public void announceWith(EventRecorder recorder) {
    this.events = recorder;
  }

  @Override
  public synchronized void start() {
    senders = new ThreadPoolExecutor(SENDERS, SENDERS, 1, TimeUnit.MINUTES, new ArrayBlockingQueue<>(QUEUED), runnable -> {
      Thread thread = new Thread(runnable, "orch-alert-sender");
      thread.setDaemon(true);
      return thread;
    });
    senders.allowCoreThreadTimeOut(true);
    super.start();
  }

  @Override
  public synchronized void stop() {
    if (senders != null) {
      senders.shutdownNow();
    }
    super.stop();
  }

  /** Queues the delivery of a crash-loop or rollout {@code payload} to {@code url}; returns at once. */
  public void send(P resource, String url, AlertWebhook.Payload payload) {
    send(resource, url, payload.event(), payload);
  }

  /** Queues the delivery of {@code payload}, a JSON body whose "event" is {@code event}; returns at once. */
  public void send(P resource, String url, String event, Object payload) {
    ResourceID id = ResourceID.fromResource(resource);
    underWay.merge(id, 1, Integer::sum);
    try {
      senders.execute(() -> finished(resource, id, url, event, webhook.deliver(url, event, payload)));
    } catch (java.util.concurrent.RejectedExecutionException e) {
      finished(resource, id, url, event, new AlertOutcome(event, Instant.now().toString(), false, null,
          "not sent: " + QUEUED + " alerts were already waiting for slow receivers"));
    }
  }

  private void finished(P resource, ResourceID id, String url, String event, AlertOutcome outcome) {
    meters.counter("orch.alerts", "event", event, "outcome", outcome.delivered() ? "sent" : "failed").increment();
    if (outcome.delivered()) {
      LOG.infof("alert %s for %s/%s delivered to %s (HTTP %d)", event, id.getNamespace().orElse(""),
          id.getName(), url, outcome.httpStatus());
    } else {
      LOG.warnf("alert %s for %s/%s to %s failed: %s", event, id.getNamespace().orElse(""), id.getName(), url,
          outcome.error());
      events.emit(resource, Notice.warning("AlertFailed", "alert " + event + " to " + url + " failed: "
          + outcome.error()));
    }
    // Pending before no longer under way: a reconcile in between must not take the delivery for a lost one.
    outcomes.put(id, outcome);
    underWay.computeIfPresent(id, (key, count) -> count == 1 ? null : count - 1);
    if (isRunning()) {
      propagateEvent(id);
    }
  }

  /** The outcome of a delivery that the resource's status does not show yet. */
  public Optional<AlertOutcome> pending(P resource) {
    return Optional.ofNullable(outcomes.get(ResourceID.fromResource(resource)));
  }

  /**
   * What a status should show instead of {@code shown} when it says a delivery is under way that this process
   * neither runs nor has finished: the process that started it stopped, so nobody can tell whether it arrived.
   */
  public Optional<AlertOutcome> unconfirmed(P resource, AlertOutcome shown, Instant now) {
    ResourceID id = ResourceID.fromResource(resource);
    if (shown == null || !shown.underWay() || underWay.containsKey(id) || outcomes.containsKey(id)) {
      return Optional.empty();
    }
    return Optional.of(AlertOutcome.unconfirmed(shown.event(), now));
  }

  /** Forgets an outcome once a status write has recorded it (a newer one stays). */
  public void written(P resource, AlertOutcome outcome) {
    outcomes.remove(ResourceID.fromResource(resource), outcome);
  }
}
