package dev.orch.operator.core;

/**
 * Every {@code orch.dev/*} label and annotation key the operator reads or writes, in one place: users type them
 * ({@code kubectl annotate}), the examples and chart carry them, and a key renamed in one reader only would
 * break silently.
 */
public final class MetadataKeys {
  /** Label on everything made for an orch kind: the kind's name in lower case. */
  public static final String KIND = "orch.dev/kind";
  /** Label that makes a ConfigMap a bundle the operator watches ({@code "true"}). */
  public static final String BUNDLE = "orch.dev/bundle";
  /** Pod-template annotation: digest of a ConfigMap bundle's files, so an edit rolls fresh pods. */
  public static final String BUNDLE_SHA256 = "orch.dev/bundle-sha256";
  /** Annotation requesting a restart of an AgentService or Swarm; {@code .INDEX} appended for one Swarm replica. */
  public static final String RESTARTED_AT = "orch.dev/restartedAt";
  /** Label on a Swarm replica's Deployment and pods: its index. */
  public static final String REPLICA_INDEX = "orch.dev/replica-index";
  /** Annotation on a Schedule requesting a manual run; its value names the request. */
  public static final String TRIGGER = "orch.dev/trigger";
  /** Label on a Schedule's Job: what started the run (cron, manual, webhook). */
  public static final String RUN_TRIGGER = "orch.dev/trigger";
  /** Annotation on a Schedule whose change makes a new webhook token. */
  public static final String ROTATE_WEBHOOK_TOKEN = "orch.dev/rotate-webhook-token";
  /** Annotation on a running Job: the webhook calls skipped while it ran. */
  public static final String SKIPPED_CALLS = "orch.dev/skipped-calls";
  /** Annotation that puts an AgentService or Swarm to sleep; each new value acts once. */
  public static final String SLEEP = "orch.dev/sleep";
  /** Annotation that wakes a sleeping AgentService or Swarm; each new value acts once. */
  public static final String WAKE = "orch.dev/wake";
  /** Annotation that keeps an AgentService or Swarm awake for a duration (2h) or until a time (RFC 3339); acts once. */
  public static final String KEEP_AWAKE = "orch.dev/keep-awake";
  /** Annotation the activator sets when a request arrives for a sleeping service (any operator replica may). */
  public static final String WAKE_ON_REQUEST = "orch.dev/wake-on-request";
  /** Annotation on a sleeping service's Service: the hosts the activator answers for it. */
  public static final String ACTIVATOR_HOSTS = "orch.dev/activator-hosts";
  /** Annotation on an HTTPRoute: hash of what the operator last applied. */
  public static final String APPLIED_HASH = "orch.dev/applied-hash";
  /** Annotation: next canary step, or every remaining step with full (or full-ANYTHING); retries an aborted canary. */
  public static final String PROMOTE = "orch.dev/promote";
  /** Annotation: all traffic back to the stable version. */
  public static final String ABORT = "orch.dev/abort";
  /** Annotation: back to the revision before the stable one, pinned until the spec changes. */
  public static final String ROLLBACK = "orch.dev/rollback";
  /** Annotation on a Deployment (copied to its ReplicaSets): hash of its pod template, the revision. */
  public static final String TEMPLATE_HASH = "orch.dev/template-hash";
  /** Label on a canary's pods and track Services: stable or canary. */
  public static final String TRACK = "orch.dev/track";
  /** Pod-template annotation on a canary: when it started, so a retried canary gets fresh pods. */
  public static final String CANARY_STARTED = "orch.dev/canary-started";
  /** Annotation: check an auto-updating bundle's source now. */
  public static final String CHECK_UPDATE = "orch.dev/check-update";
  /** Pod-template annotation: the bundle version auto-update pinned. */
  public static final String BUNDLE_VERSION = "orch.dev/bundle-version";

  private MetadataKeys() {
  }
}
