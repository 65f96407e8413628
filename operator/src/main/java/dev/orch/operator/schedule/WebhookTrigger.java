package dev.orch.operator.schedule;

import java.net.HttpURLConnection;
import java.security.SecureRandom;
import java.time.Clock;
import java.time.Duration;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.time.temporal.ChronoUnit;
import java.util.List;
import java.util.Optional;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.github.benmanes.caffeine.cache.Caffeine;
import com.github.benmanes.caffeine.cache.LoadingCache;
import dev.orch.operator.agent.SecretNames;
import dev.orch.operator.core.bundle.BundleCheck;
import dev.orch.operator.core.bundle.BundleConfigMaps;
import dev.orch.operator.core.config.OperatorSettings;
import dev.orch.operator.core.reconcile.Labels;
import dev.orch.operator.core.status.Conditions;
import io.fabric8.kubernetes.api.model.DeletionPropagation;
import io.fabric8.kubernetes.api.model.batch.v1.Job;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientException;
import io.github.bucket4j.Bandwidth;
import io.github.bucket4j.Bucket;
import io.github.bucket4j.ConsumptionProbe;
import org.jboss.logging.Logger;

/**
 * What a call to a schedule's webhook URL does: limit the rate, find the schedule, check the token, then start a
 * run, or count the call as skipped on the active run's Job when the schedule has skipIfRunning. Plain code over
 * the Kubernetes client, so tests drive it against a real API server; {@link ScheduleWebhookResource} maps outcomes
 * to HTTP. It writes Jobs and input Secrets, never status, so any operator replica can take a call.
 */
public final class WebhookTrigger {
  private static final Logger LOG = Logger.getLogger(WebhookTrigger.class);
  /** Unknown schedules cost an API request too, so all calls together get a ceiling as well. */
  static final int GLOBAL_MULTIPLIER = 20;
  private static final ObjectMapper JSON = new ObjectMapper();
  private static final DateTimeFormatter CALL_TIME = DateTimeFormatter.ofPattern("yyyyMMddHHmmss").withZone(ZoneOffset.UTC);
  private static final SecureRandom RANDOM = new SecureRandom();
  /** Conflicts mean other calls for the same run at the same moment; past a few, the caller may retry. */
  private static final int MAX_COUNT_ATTEMPTS = 5;

  /**
   * @param run the run started, or for a skipped call the active run it was counted on
   * @param detail why it was skipped, not ready or bad input
   */
  public record Outcome(Kind kind, String run, String detail, Duration retryAfter) {
    static Outcome of(Kind kind, String run, String detail) {
      return new Outcome(kind, run, detail, null);
    }
  }

  public enum Kind {
    STARTED,
    /** Counted as skipped on the active run: the schedule has skipIfRunning. */
    SKIPPED,
    /** Unknown schedule, not a webhook schedule, or wrong token: deliberately indistinguishable. */
    NOT_FOUND,
    RATE_LIMITED,
    /** Disabled, missing secrets and the like; the token was right, so the caller may learn why. */
    NOT_READY,
    BAD_INPUT
  }

  private final KubernetesClient client;
  private final OperatorSettings settings;
  private final Clock clock;
  private final Bucket everyone;
  private final LoadingCache<String, Bucket> perSchedule;

  public WebhookTrigger(KubernetesClient client, OperatorSettings settings, Clock clock) {
    this.client = client;
    this.settings = settings;
    this.clock = clock;
    int perMinute = settings.webhooks().requestsPerMinute();
    this.everyone = perMinute(perMinute * GLOBAL_MULTIPLIER);
    // Bounded, because callers choose the keys (any namespace/name pair they like).
    this.perSchedule = Caffeine.newBuilder().maximumSize(10_000).expireAfterAccess(Duration.ofMinutes(5))
        .build(key -> perMinute(perMinute));
  }

  public Outcome fire(String namespace, String name, String token, byte[] body) {
    Optional<Duration> wait = refused(perSchedule.get(namespace + "/" + name)).or(() -> refused(everyone));
    if (wait.isPresent()) {
      return new Outcome(Kind.RATE_LIMITED, null, null, wait.get());
    }
    Schedule schedule = find(namespace, name);
    String expected = schedule != null && schedule.getSpec().getType() == ScheduleSpec.Type.WEBHOOK
        && schedule.getStatus() != null && schedule.getStatus().getWebhook() != null
        ? schedule.getStatus().getWebhook().tokenSha256() : null;
    if (!WebhookToken.matches(expected, token)) {
      return Outcome.of(Kind.NOT_FOUND, null, null);
    }
    Optional<String> invalid = invalidJson(body);
    if (invalid.isPresent()) {
      return Outcome.of(Kind.BAD_INPUT, null, invalid.get());
    }
    if (!Conditions.isTrue(schedule.getStatus().getConditions(), Conditions.READY)) {
      return Outcome.of(Kind.NOT_READY, null, Conditions.find(schedule.getStatus().getConditions(), Conditions.READY)
          .map(c -> c.getReason() + ": " + c.getMessage()).orElse("the schedule has not been reconciled yet"));
    }

    BundleCheck bundle = BundleConfigMaps.fetch(client, namespace, schedule.getSpec());
    if (bundle.problem().isPresent()) {
      return Outcome.of(Kind.NOT_READY, null, bundle.problem().get().reason() + ": " + bundle.problem().get().message());
    }
    Optional<Job> active = Boolean.TRUE.equals(schedule.getSpec().getSkipIfRunning()) ? activeRun(schedule) : Optional.empty();
    if (active.isPresent()) {
      String activeName = active.get().getMetadata().getName();
      countSkippedCall(active.get());
      return Outcome.of(Kind.SKIPPED, activeName, "run " + activeName + " is still active and the schedule has skipIfRunning: true");
    }
    String runId = SchedulePlan.runId(schedule, ScheduleStatus.Trigger.WEBHOOK,
        CALL_TIME.format(clock.instant()) + "-" + Integer.toString(RANDOM.nextInt(36 * 36 * 36), 36));
    List<String> secretNames = SecretNames.of(schedule.getSpec(), bundle.requiredSecrets());
    Job job = client.resource(SchedulePlan.run(schedule, runId, ScheduleStatus.Trigger.WEBHOOK, body.length > 0,
        secretNames, settings)).create();
    if (body.length > 0) {
      try {
        client.resource(SchedulePlan.input(job, body)).create();
      } catch (KubernetesClientException e) {
        // Without its input Secret the pod could never start; better no run than one stuck until its timeout.
        client.resource(job).withPropagationPolicy(DeletionPropagation.BACKGROUND).delete();
        throw e;
      }
    }
    LOG.infof("Schedule %s/%s: webhook run %s started", namespace, schedule.getMetadata().getName(), runId);
    return Outcome.of(Kind.STARTED, runId, null);
  }

  /** On the active run's Job, guarded by its resourceVersion: a call counted meanwhile by another replica is re-read. */
  private void countSkippedCall(Job active) {
    Job job = active;
    for (int attempt = 1; ; attempt++) {
      try {
        client.resource(RunHistory.SkippedCalls.counted(job, clock.instant().truncatedTo(ChronoUnit.SECONDS))).update();
        return;
      } catch (KubernetesClientException e) {
        if (e.getCode() != HttpURLConnection.HTTP_CONFLICT || attempt == MAX_COUNT_ATTEMPTS) {
          throw e;
        }
      }
      job = client.resource(active).get();
      if (job == null) {
        return; // the run ended and its Job went: nothing left to count on
      }
    }
  }

  private Schedule find(String namespace, String name) {
    try {
      return client.resources(Schedule.class).inNamespace(namespace).withName(name).get();
    } catch (KubernetesClientException e) {
      if (e.getCode() == 403 || e.getCode() == 404) {
        return null; // a namespace the operator may not read is, to the caller, just not there
      }
      throw e;
    }
  }

  private Optional<Job> activeRun(Schedule schedule) {
    return client.batch().v1().jobs().inNamespace(schedule.getMetadata().getNamespace())
        .withLabels(Labels.selector(schedule)).withLabel(Labels.COMPONENT, SchedulePlan.RUN_COMPONENT)
        .list().getItems().stream().filter(RunHistory::isActive).findFirst();
  }

  private static Optional<String> invalidJson(byte[] body) {
    if (body.length == 0) {
      return Optional.empty();
    }
    try {
      JSON.readTree(body);
      return Optional.empty();
    } catch (JsonProcessingException e) {
      return Optional.of("the body must be JSON (it reaches the run as ORCH_RUN_INPUT): " + e.getOriginalMessage());
    } catch (java.io.IOException e) {
      return Optional.of("the body could not be read: " + e.getMessage());
    }
  }

  private static Optional<Duration> refused(Bucket bucket) {
    ConsumptionProbe probe = bucket.tryConsumeAndReturnRemaining(1);
    return probe.isConsumed() ? Optional.empty() : Optional.of(Duration.ofNanos(probe.getNanosToWaitForRefill()));
  }

  private static Bucket perMinute(int requests) {
    return Bucket.builder().addLimit(Bandwidth.builder().capacity(requests).refillGreedy(requests, Duration.ofMinutes(1)).build())
        .build();
  }
}
