package dev.orch.operator.agentservice.tls;

import dev.orch.operator.agentservice.AgentService;
import dev.orch.operator.core.reconcile.Labels;
import dev.orch.operator.core.reconcile.PlannedDependent;
import io.fabric8.certmanager.api.model.v1.Certificate;
import io.javaoperatorsdk.operator.api.config.informer.Informer;
import io.javaoperatorsdk.operator.processing.dependent.kubernetes.KubernetesDependent;

/** The Certificate of a TLS service, applied from the plan; its informer caches only the operator's Certificates. */
@KubernetesDependent(informer = @Informer(labelSelector = Labels.MADE_FOR_AGENTSERVICE))
public final class CertificateDependent extends PlannedDependent<Certificate, AgentService> {
  public CertificateDependent() {
    super(Certificate.class);
  }
}
