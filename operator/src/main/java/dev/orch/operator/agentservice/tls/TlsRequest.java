package dev.orch.operator.agentservice.tls;

import java.util.List;
import java.util.Optional;

import dev.orch.operator.agentservice.AgentService;
import dev.orch.operator.agentservice.AgentServiceSpec;
import dev.orch.operator.core.reconcile.Labels;
import dev.orch.operator.core.reconcile.OwnedMetadata;
import dev.orch.operator.core.config.OperatorSettings;
import io.fabric8.certmanager.api.model.v1.Certificate;
import io.fabric8.certmanager.api.model.v1.CertificateBuilder;

/**
 * A service's wish for a certificate: the host it is for, the Secret that receives it and the cert-manager issuer
 * that signs it. The operator makes the {@link Certificate} itself (see the README's TLS section for why it does
 * not leave it to cert-manager's ingress-shim).
 */
public record TlsRequest(String certificateName, String host, String secretName, String issuer, String issuerKind) {
  public static final String CERT_MANAGER_GROUP = "cert-manager.io";

  /**
   * The spec's own issuer for its ingress host, or the operator's default cluster issuer when the spec does not
   * configure the ingress at all (the host then comes from the base domain).
   */
  public static Optional<TlsRequest> of(AgentService service, String host, OperatorSettings settings) {
    String name = service.getMetadata().getName();
    AgentServiceSpec.Ingress ingress = service.getSpec().getIngress();
    if (ingress != null && ingress.tls() != null) {
      AgentServiceSpec.Tls tls = ingress.tls();
      String kind = tls.issuerKind() == null ? AgentServiceSpec.IssuerKind.ClusterIssuer.name() : tls.issuerKind().name();
      return Optional.of(new TlsRequest(name, host, tls.secretName() != null ? tls.secretName() : name + "-tls",
          tls.issuer(), kind));
    }
    if (ingress == null) {
      return settings.defaultClusterIssuer().map(issuer -> new TlsRequest(name, host, name + "-tls", issuer,
          AgentServiceSpec.IssuerKind.ClusterIssuer.name()));
    }
    return Optional.empty();
  }

  /** The Certificate cert-manager fulfils: the host as its only DNS name, into the Ingress's TLS Secret. */
  public Certificate certificate(AgentService service) {
    return new CertificateBuilder()
        .withMetadata(OwnedMetadata.named(service, certificateName, Labels.of(service, "certificate")))
        .withNewSpec()
        .withSecretName(secretName)
        .withDnsNames(List.of(host))
        .withNewIssuerRef().withName(issuer).withKind(issuerKind).withGroup(CERT_MANAGER_GROUP).endIssuerRef()
        .endSpec()
        .build();
  }

  /** What a user runs to see cert-manager's own account of the certificate. */
  public String describeCommand(String namespace) {
    return "kubectl describe certificate " + certificateName + " -n " + namespace;
  }
}
