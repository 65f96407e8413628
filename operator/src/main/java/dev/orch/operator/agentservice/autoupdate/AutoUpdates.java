package dev.orch.operator.agentservice.autoupdate;

import java.time.Duration;
import java.time.Instant;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.stream.Stream;

import dev.orch.operator.agent.Bundle;
import dev.orch.operator.agentservice.AgentService;
import dev.orch.operator.agentservice.AgentServiceSpec;
import dev.orch.operator.agentservice.rollout.Durations;
import dev.orch.operator.core.MetadataKeys;
import dev.orch.operator.core.status.EventRecorder.Notice;
import io.fabric8.kubernetes.api.model.Container;
import io.fabric8.kubernetes.api.model.EnvVar;
import io.fabric8.kubernetes.api.model.PodTemplateSpec;

/**
 * spec.autoUpdate as pure functions: when the source is due for a check, the status after one, and the pod
 * template pinned to the version seen, so that a new version changes the template and rolls out with the
 * service's strategy (a canary protects auto-updates too).
 */
public final class AutoUpdates {
  static final Duration DEFAULT_INTERVAL = Duration.ofMinutes(5);

  private AutoUpdates() {
  }

  static Duration interval(AgentServiceSpec.AutoUpdate autoUpdate) {
    return autoUpdate.interval() == null ? DEFAULT_INTERVAL : Durations.parse(autoUpdate.interval());
  }

  /**
   * How long until the next check; zero when one is due now (the source was never checked, the spec names another
   * one, the interval passed, or a check was asked for).
   */
  public static Optional<Duration> nextCheckIn(AgentService service, AutoUpdateStatus status, Instant now) {
    AgentServiceSpec.AutoUpdate autoUpdate = service.getSpec().getAutoUpdate();
    if (autoUpdate == null) {
      return Optional.empty();
    }
    if (!checked(service.getSpec(), status) || checkRequested(service, status).isPresent()) {
      return Optional.of(Duration.ZERO);
    }
    Duration left = Duration.between(now, Instant.parse(status.checkedAt()).plus(interval(autoUpdate)));
    return Optional.of(left.isNegative() ? Duration.ZERO : left);
  }

  /** Whether the status holds a check of the source the spec names now (a new bundle's version is unknown). */
  public static boolean checked(AgentServiceSpec spec, AutoUpdateStatus status) {
    return status != null && status.checkedAt() != null && source(spec).equals(status.source());
  }

  /** The source a version belongs to: the git repository and ref, or the archive's URL. */
  static String source(AgentServiceSpec spec) {
    Bundle bundle = spec.getBundle();
    return bundle.git() != null ? bundle.git().repository() + "#" + (bundle.git().ref() == null ? "HEAD" : bundle.git().ref())
        : String.valueOf(bundle.url());
  }

  static Optional<String> checkRequested(AgentService service, AutoUpdateStatus status) {
    Map<String, String> annotations = service.getMetadata().getAnnotations();
    String value = annotations == null ? null : annotations.get(MetadataKeys.CHECK_UPDATE);
    return value == null || status != null && value.equals(status.handledCheck()) ? Optional.empty() : Optional.of(value);
  }

  /**
   * The status after a check that answered {@code result}: a new version is recorded with its time, an error kept;
   * a version of another source (the spec's bundle changed) is not kept.
   *
   * @param service the service as it was when the check started: its bundle and its check request
   */
  public static AutoUpdateStatus afterCheck(AgentService service, AutoUpdateStatus previous, BundleVersions.Result result,
      String now) {
    String handled = checkRequested(service, previous).orElse(previous == null ? null : previous.handledCheck());
    String source = source(service.getSpec());
    boolean sameSource = previous != null && source.equals(previous.source());
    String version = sameSource ? previous.version() : null;
    String observedAt = sameSource ? previous.observedAt() : null;
    if (result.version() != null && !result.version().equals(version)) {
      version = result.version();
      observedAt = now;
    }
    return new AutoUpdateStatus(version, source, observedAt, now, result.error(), handled);
  }

  /** The event a check deserves: a new version, or a new failure. */
  public static Optional<Notice> notice(AgentService service, AutoUpdateStatus before, AutoUpdateStatus after) {
    if (after == null) {
      return Optional.empty();
    }
    if (after.version() != null && !after.version().equals(before == null ? null : before.version())) {
      return Optional.of(Notice.normal("NewVersion", describe(service.getSpec()) + " is at " + after.version()
          + "; rolling it out with the service's rollout strategy"));
    }
    if (after.error() != null && !Objects.equals(after.error(), before == null ? null : before.error())) {
      return Optional.of(Notice.warning("AutoUpdateCheckFailed", after.error()));
    }
    return Optional.empty();
  }

  private static String describe(AgentServiceSpec spec) {
    return spec.getBundle().git() != null
        ? "branch " + (spec.getBundle().git().ref() == null ? "HEAD" : spec.getBundle().git().ref()) + " of "
            + spec.getBundle().git().repository()
        : spec.getBundle().url();
  }

  /**
   * Pins the pod template to the version seen: the runner fetches exactly that commit (ORCH_GIT_REF) or checks the
   * archive against that digest (ORCH_BUNDLE_SHA256), so a pod never runs a version the status does not name.
   */
  public static void pin(PodTemplateSpec template, AgentServiceSpec spec, AutoUpdateStatus status) {
    if (spec.getAutoUpdate() == null || !checked(spec, status) || status.version() == null) {
      return;
    }
    String variable = spec.getBundle().git() != null ? "ORCH_GIT_REF" : "ORCH_BUNDLE_SHA256";
    Stream.concat(template.getSpec().getInitContainers().stream(), template.getSpec().getContainers().stream())
        .filter(c -> c.getEnv() != null && c.getEnv().stream().anyMatch(e -> "ORCH_BUNDLE_KIND".equals(e.getName())))
        .forEach(c -> setEnv(c, variable, status.version()));
    Map<String, String> annotations = new java.util.TreeMap<>(template.getMetadata().getAnnotations() == null ? Map.of()
        : template.getMetadata().getAnnotations());
    annotations.put(MetadataKeys.BUNDLE_VERSION, status.version());
    template.getMetadata().setAnnotations(annotations);
  }

  private static void setEnv(Container container, String name, String value) {
    container.getEnv().removeIf(e -> name.equals(e.getName()));
    int after = 0;
    for (int i = 0; i < container.getEnv().size(); i++) {
      if ("ORCH_BUNDLE_KIND".equals(container.getEnv().get(i).getName())) {
        after = i + 1;
      }
    }
    container.getEnv().add(after, new EnvVar(name, value, null));
  }
}
