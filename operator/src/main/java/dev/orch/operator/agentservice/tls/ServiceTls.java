package dev.orch.operator.agentservice.tls;

import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Optional;

import dev.orch.operator.agentservice.AgentService;
import dev.orch.operator.agentservice.AgentServiceStatus;
import dev.orch.operator.core.alerts.AlertSender;
import dev.orch.operator.core.alerts.AlertWebhook;
import dev.orch.operator.core.config.OperatorSettings;
import dev.orch.operator.core.reconcile.Labels;
import dev.orch.operator.core.reconcile.OwnedResources;
import dev.orch.operator.core.status.Conditions;
import io.fabric8.certmanager.api.model.v1.Certificate;
import io.fabric8.certmanager.api.model.v1.CertificateRequest;
import io.fabric8.kubernetes.api.model.Condition;
import io.javaoperatorsdk.operator.api.reconciler.Context;

/**
 * The AgentService reconciler's TLS steps, so that it needs a few lines for them: ask whether cert-manager is
 * there (and then watch its CertificateRequests), observe the Certificate, fold {@link TlsCalculator}'s result into
 * the status, and send the expiry alert.
 */
public final class ServiceTls {
  private static final String REQUESTS = "certificate-requests";
  private final CertManagerApi api;
  private final OperatorSettings.Tls settings;
  private final AlertSender<AgentService> alerts;

  public ServiceTls(CertManagerApi api, OperatorSettings.Tls settings, AlertSender<AgentService> alerts) {
    this.api = api;
    this.settings = settings;
    this.alerts = alerts;
  }

  /**
   * Whether the cluster serves cert-manager's API, handed to the workflow for the Certificate dependent's activation
   * (asked for every service, TLS or not: a service without the answer would deactivate the informer for all);
   * while it does, CertificateRequests made for our Certificates (they carry its labels) are watched too.
   */
  public boolean served(Context<AgentService> context) {
    boolean served = api.served();
    CertManagerApi.remember(context, served);
    var sources = context.eventSourceRetriever();
    boolean watching = !sources.getEventSourcesFor(CertificateRequest.class).isEmpty();
    if (served && !watching) {
      sources.dynamicallyRegisterEventSource(OwnedResources.eventSource(sources.eventSourceContextForDynamicRegistration(),
          CertificateRequest.class, REQUESTS, Labels.MADE_FOR_AGENTSERVICE));
    } else if (!served && watching) {
      // cert-manager was uninstalled: a watch on a resource that no longer exists only fails and retries.
      sources.dynamicallyDeRegisterEventSource(REQUESTS);
    }
    return served;
  }

  public TlsCalculator.Observation observe(Optional<TlsRequest> request, boolean served, Context<AgentService> context) {
    var sources = context.eventSourceRetriever();
    Optional<Certificate> certificate = served && !sources.getEventSourcesFor(Certificate.class).isEmpty()
        ? context.getSecondaryResource(Certificate.class) : Optional.empty();
    List<CertificateRequest> requests = served && !sources.getEventSourcesFor(CertificateRequest.class).isEmpty()
        ? List.copyOf(context.getSecondaryResources(CertificateRequest.class)) : List.of();
    return new TlsCalculator.Observation(request, served, certificate, requests);
  }

  /**
   * Folds the TLS result into a computed status: the tls section; a URL only once https is true; and the
   * certificate's problem as the verdict when it is worse than the workload's (a Ready service waits for its
   * certificate; anything Stalls for a certificate that cannot be issued; the workload's own Stalled or paused stays).
   */
  public static void fold(AgentServiceStatus status, AgentServiceStatus previous, TlsCalculator.Result tls, long generation,
      String now) {
    status.setTls(tls.status());
    if (tls.status() == null) {
      return;
    }
    if (!tls.httpsReady()) {
      status.setUrl(null);
    }
    if (tls.problem().isEmpty()) {
      return;
    }
    Conditions.Verdict problem = tls.problem().get();
    boolean workloadReady = Conditions.isTrue(status.getConditions(), Conditions.READY);
    Optional<Condition> workloadProgressing = Conditions.find(status.getConditions(), Conditions.RECONCILING)
        .filter(c -> "True".equals(c.getStatus()));
    Conditions.Verdict verdict;
    if (workloadReady || workloadProgressing.isPresent() && problem.stalled()) {
      verdict = problem;
    } else if (workloadProgressing.isPresent()) {
      // Both still on their way: say both, so the certificate is not a surprise once the pods are ready.
      verdict = Conditions.Verdict.progressing(workloadProgressing.get().getReason(),
          workloadProgressing.get().getMessage() + "; " + problem.message());
    } else {
      return;
    }
    status.setConditions(Conditions.merge(previous == null ? null : previous.getConditions(), verdict, generation, now));
    status.showFailure(verdict);
  }

  /** When to look again although nothing changed: the expiry window opens, or cert-manager may have been installed. */
  public Optional<Duration> recheckIn(TlsCalculator.Result tls) {
    if (tls.status() != null && TlsCalculator.NOT_INSTALLED.equals(tls.status().getReason())) {
      return Optional.of(api.recheck());
    }
    return tls.recheckIn();
  }

  public TlsCalculator.Result compute(AgentService service, TlsCalculator.Observation seen, Instant now) {
    AgentServiceStatus previous = service.getStatus();
    return TlsCalculator.compute(service.getMetadata().getNamespace(), seen, previous == null ? null : previous.getTls(),
        settings.expiryWarning(), now);
  }

  /**
   * Queues service.tls_expiring for a service whose status (already written) records the alert as due, so an
   * operator restart cannot send it twice; the outcome reaches the status through the next reconcile.
   */
  public void alert(AgentService service) {
    String url = service.getSpec().getAlertWebhookUrl();
    TlsStatus tls = service.getStatus().getTls();
    if (url == null || tls == null) {
      return;
    }
    alerts.send(service, url, AlertWebhook.TLS_EXPIRING_EVENT, new TlsExpiringAlert(AlertWebhook.TLS_EXPIRING_EVENT,
        service.getMetadata().getUid(), service.getMetadata().getNamespace(), service.getMetadata().getName(),
        tls.getCertificate(), tls.getHost(), tls.getNotAfter(), tls.getRenewalTime(), tls.getReason(), tls.getMessage()));
  }
}
