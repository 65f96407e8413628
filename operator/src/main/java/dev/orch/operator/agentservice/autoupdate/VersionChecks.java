package dev.orch.operator.agentservice.autoupdate;

import java.time.Duration;
import java.time.Instant;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;

import dev.orch.operator.agentservice.AgentService;
import dev.orch.operator.core.status.Conditions.Verdict;
import io.javaoperatorsdk.operator.processing.event.ResourceID;
import io.javaoperatorsdk.operator.processing.event.source.inbound.SimpleInboundEventSource;

/**
 * Asks bundle sources for their versions off the reconcile thread: {@code git ls-remote} may take 30 s and a
 * download 60 s, which would hold a reconcile thread (of ten) and every later change of the service for as long.
 * A due check is handed to a few checker threads, at most one per service; when it ends, its result waits here and
 * the service is reconciled again, which folds the result into its status ({@link #observe}).
 *
 * <p>A result is taken when a reconcile reads it, not when the status is written (unlike an alert's outcome): if
 * that write fails, the check is simply due again and runs again.
 */
public final class VersionChecks extends SimpleInboundEventSource<AgentService> {
  static final int CHECKERS = 2;
  static final int QUEUED = 64;
  private final BundleVersions versions;
  private final Set<ResourceID> running = ConcurrentHashMap.newKeySet();
  private final Map<ResourceID, Finished> finished = new ConcurrentHashMap<>();
  private ThreadPoolExecutor checkers;

  /** A check's answer, with the service as it was when the check started (its bundle and check-update request). */
  private record Finished(AgentService asked, BundleVersions.Result result) {
  }

  /**
   * @param status the auto-update status for this reconcile's status write; null without spec.autoUpdate
   * @param recheckIn when the next check is due; empty while one runs (its end triggers the reconcile)
   * @param holdingBack set while the first check of the spec's source runs: nothing is deployed until the version
   *     is known, so that a pod never runs a version the status does not name
   */
  public record Observation(AutoUpdateStatus status, Optional<Duration> recheckIn, Optional<Verdict> holdingBack) {
    public static final Observation NONE = new Observation(null, Optional.empty(), Optional.empty());
  }

  public VersionChecks(BundleVersions versions) {
    super("auto-update-checks");
    this.versions = versions;
  }

  @Override
  public synchronized void start() {
    checkers = new ThreadPoolExecutor(CHECKERS, CHECKERS, 1, TimeUnit.MINUTES, new ArrayBlockingQueue<>(QUEUED), runnable -> {
      Thread thread = new Thread(runnable, "orch-version-check");
      thread.setDaemon(true);
      return thread;
    });
    checkers.allowCoreThreadTimeOut(true);
    super.start();
  }

  @Override
  public synchronized void stop() {
    if (checkers != null) {
      checkers.shutdownNow();
    }
    super.stop();
  }

  /**
   * The auto-update status after this reconcile: the previous one with a finished check's answer folded in, and a
   * new check started when one is due and none runs for the service.
   */
  public Observation observe(AgentService service, Instant now) {
    ResourceID id = ResourceID.fromResource(service);
    AutoUpdateStatus previous = service.getStatus() == null ? null : service.getStatus().getAutoUpdate();
    if (service.getSpec().getAutoUpdate() == null) {
      finished.remove(id);
      return Observation.NONE;
    }
    AutoUpdateStatus status = previous;
    Finished done = finished.remove(id);
    // A check of a bundle the spec no longer names says nothing about the one it names now.
    if (done != null && done.asked().getSpec().getBundle().equals(service.getSpec().getBundle())) {
      status = AutoUpdates.afterCheck(done.asked(), previous, done.result(), now.toString());
    }
    Optional<Duration> next = AutoUpdates.nextCheckIn(service, status, now);
    if (next.filter(Duration::isZero).isPresent() && running.add(id)) {
      start(service, id);
    }
    if (!running.contains(id)) {
      return new Observation(status, next, Optional.empty());
    }
    Optional<Verdict> holdingBack = AutoUpdates.checked(service.getSpec(), status) ? Optional.empty()
        : Optional.of(Verdict.progressing("CheckingVersion", "asking " + AutoUpdates.source(service.getSpec())
            + " for its version (spec.autoUpdate) before deploying it; git ls-remote takes at most 30s, a download 60s"));
    return new Observation(status, Optional.empty(), holdingBack);
  }

  private void start(AgentService service, ResourceID id) {
    try {
      checkers.execute(() -> {
        BundleVersions.Result result;
        try {
          result = versions.current(service.getSpec().getBundle());
        } catch (RuntimeException e) {
          result = BundleVersions.Result.failed("the check failed: " + e);
        }
        finish(id, new Finished(service, result));
      });
    } catch (RejectedExecutionException e) {
      finish(id, new Finished(service, BundleVersions.Result.failed("not checked: " + QUEUED
          + " version checks were already waiting for slow sources; the next interval tries again")));
    }
  }

  private void finish(ResourceID id, Finished done) {
    finished.put(id, done);
    running.remove(id);
    if (isRunning()) {
      propagateEvent(id);
    }
  }
}
