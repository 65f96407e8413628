package dev.orch.operator.agentservice;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.List;
import java.util.Map;
import java.util.Optional;

import org.junit.jupiter.api.Test;

import dev.orch.operator.agentservice.tls.TlsPlan;
import dev.orch.operator.core.config.OperatorSettings;
import dev.orch.operator.core.reconcile.Plan;
import io.fabric8.certmanager.api.model.v1.Certificate;
import io.fabric8.kubernetes.api.model.networking.v1.Ingress;

/** The Certificate a TLS service owns and what becomes of its Ingress, computed without a cluster. */
class AgentServiceTlsPlanTest {
  private static final OperatorSettings SETTINGS = OperatorSettings.defaults();

  private static AgentService tlsService(AgentServiceSpec.Tls tls) {
    return AgentServicePlanTest.service(s -> s.setIngress(new AgentServiceSpec.Ingress("bot.example.com", "/", null, tls)));
  }

  private static Plan plan(AgentService service, OperatorSettings settings, boolean certManagerServed) {
    return TlsPlan.apply(AgentServicePlan.of(service, List.of(), Map.of(), false, settings), service,
        AgentServicePlan.tls(service, settings), certManagerServed);
  }

  @Test
  void tlsServiceOwnsACertificateForItsHostIntoTheIngressSecretWithoutIngressShim() {
    AgentService service = tlsService(new AgentServiceSpec.Tls("letsencrypt", AgentServiceSpec.IssuerKind.ClusterIssuer, null));
    Plan plan = plan(service, SETTINGS, true);

    Certificate certificate = plan.get(Certificate.class).orElseThrow();
    assertThat(certificate.getMetadata().getName()).isEqualTo("bot");
    assertThat(certificate.getMetadata().getNamespace()).isEqualTo("team-a");
    assertThat(certificate.getMetadata().getLabels()).containsEntry("app.kubernetes.io/managed-by", "orch-operator")
        .containsEntry("orch.dev/kind", "agentservice").containsEntry("app.kubernetes.io/instance", "bot");
    assertThat(certificate.getSpec().getDnsNames()).containsExactly("bot.example.com");
    assertThat(certificate.getSpec().getSecretName()).isEqualTo("bot-tls");
    assertThat(certificate.getSpec().getIssuerRef().getName()).isEqualTo("letsencrypt");
    assertThat(certificate.getSpec().getIssuerRef().getKind()).isEqualTo("ClusterIssuer");
    assertThat(certificate.getSpec().getIssuerRef().getGroup()).isEqualTo("cert-manager.io");

    Ingress ingress = plan.get(Ingress.class).orElseThrow();
    assertThat(ingress.getMetadata().getAnnotations()).as("no ingress-shim annotation").isNullOrEmpty();
    assertThat(ingress.getSpec().getTls()).singleElement().satisfies(t -> {
      assertThat(t.getHosts()).containsExactly("bot.example.com");
      assertThat(t.getSecretName()).isEqualTo(certificate.getSpec().getSecretName());
    });
  }

  @Test
  void namespacedIssuerAndOwnSecretName() {
    Certificate certificate = plan(tlsService(new AgentServiceSpec.Tls("team-ca", AgentServiceSpec.IssuerKind.Issuer, "web-cert")),
        SETTINGS, true).get(Certificate.class).orElseThrow();
    assertThat(certificate.getSpec().getIssuerRef().getKind()).isEqualTo("Issuer");
    assertThat(certificate.getSpec().getSecretName()).isEqualTo("web-cert");
  }

  @Test
  void defaultClusterIssuerCoversBaseDomainServicesOnly() {
    OperatorSettings withIssuer = new OperatorSettings(SETTINGS.runnerImage(), SETTINGS.gatewayImage(),
        Optional.of("agents.example.com"), SETTINGS.vaultSecretName(), Optional.of("public-acme"), true,
        SETTINGS.stableAfter(), Optional.empty(), SETTINGS.webhooks(), SETTINGS.tls());
    AgentService published = AgentServicePlanTest.service(s -> { });
    Certificate certificate = plan(published, withIssuer, true).get(Certificate.class).orElseThrow();
    assertThat(certificate.getSpec().getDnsNames()).containsExactly("bot-team-a.agents.example.com");
    assertThat(certificate.getSpec().getIssuerRef().getName()).isEqualTo("public-acme");

    AgentService ownPlainIngress = AgentServicePlanTest.service(s -> s.setIngress(new AgentServiceSpec.Ingress("bot.example.com", "/", null, null)));
    assertThat(plan(ownPlainIngress, withIssuer, true).get(Certificate.class)).isEmpty();
    assertThat(plan(ownPlainIngress, withIssuer, true).get(Ingress.class).orElseThrow().getSpec().getTls()).isNullOrEmpty();
  }

  @Test
  void withoutCertManagerATlsServiceGetsNeitherCertificateNorIngress() {
    Plan plan = plan(tlsService(new AgentServiceSpec.Tls("letsencrypt", AgentServiceSpec.IssuerKind.ClusterIssuer, null)),
        SETTINGS, false);
    assertThat(plan.get(Certificate.class)).isEmpty();
    assertThat(plan.get(Ingress.class)).as("an Ingress that can never get its certificate").isEmpty();
  }

  @Test
  void plainHttpServiceIsUntouchedByTls() {
    AgentService plain = AgentServicePlanTest.service(s -> s.setIngress(new AgentServiceSpec.Ingress("bot.example.com", "/", null, null)));
    assertThat(plan(plain, SETTINGS, false).get(Ingress.class)).isPresent();
    assertThat(plan(plain, SETTINGS, false).get(Certificate.class)).isEmpty();
  }
}
