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

  private MetadataKeys() {
  }
}
