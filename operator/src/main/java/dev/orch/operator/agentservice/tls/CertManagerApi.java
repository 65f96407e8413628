package dev.orch.operator.agentservice.tls;

import java.time.Duration;
import java.time.Instant;

import io.fabric8.kubernetes.api.model.APIResourceList;
import io.fabric8.kubernetes.api.model.HasMetadata;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientException;
import io.javaoperatorsdk.operator.api.reconciler.Context;
import io.javaoperatorsdk.operator.api.reconciler.dependent.DependentResource;
import io.javaoperatorsdk.operator.processing.dependent.workflow.Condition;

/**
 * Whether the cluster serves cert-manager's Certificate API, asked through discovery (which every authenticated
 * client may read) at most once per {@code recheck}: a cluster without cert-manager must not get a Certificate
 * informer that can never start, and one where cert-manager gets installed later must be noticed without a restart.
 */
public final class CertManagerApi {
  static final String GROUP_VERSION = TlsRequest.CERT_MANAGER_GROUP + "/v1";
  private static final String CONTEXT_KEY = "orch.certManagerServed";

  private final KubernetesClient client;
  private final Duration recheck;
  private Instant checkedAt;
  private boolean served;

  public CertManagerApi(KubernetesClient client, Duration recheck) {
    this.client = client;
    this.recheck = recheck;
  }

  /** How long a "not installed" answer is trusted; a Stalled service is looked at again after it. */
  public Duration recheck() {
    return recheck;
  }

  public synchronized boolean served() {
    Instant now = Instant.now();
    if (checkedAt == null || !now.isBefore(checkedAt.plus(recheck))) {
      served = ask();
      checkedAt = now;
    }
    return served;
  }

  private boolean ask() {
    try {
      APIResourceList resources = client.getApiResources(GROUP_VERSION);
      return resources != null && resources.getResources().stream().anyMatch(r -> "certificates".equals(r.getName()));
    } catch (KubernetesClientException e) {
      if (e.getCode() == 404) {
        return false;
      }
      throw e;
    }
  }

  /** Hands this reconcile's answer to the workflow, where {@link Served} reads it. */
  public static void remember(Context<?> context, boolean served) {
    context.managedWorkflowAndDependentResourceContext().put(CONTEXT_KEY, served);
  }

  /**
   * Activation condition of the Certificate dependent: java-operator-sdk starts its informer when this first holds
   * and stops it when it no longer does. The answer is the same for every service (the cluster's), never per service:
   * a per-service false would stop the informer for all of them.
   */
  public static final class Served<R extends HasMetadata, P extends HasMetadata> implements Condition<R, P> {
    @Override
    public boolean isMet(DependentResource<R, P> dependent, P primary, Context<P> context) {
      return context.managedWorkflowAndDependentResourceContext().get(CONTEXT_KEY, Boolean.class).orElse(false);
    }
  }
}
