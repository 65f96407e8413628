package dev.orch.operator.agentservice;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.io.ByteArrayInputStream;
import java.nio.file.Path;
import java.security.cert.CertificateFactory;
import java.security.cert.X509Certificate;
import java.time.Duration;
import java.time.Instant;
import java.util.Base64;
import java.util.Optional;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.io.TempDir;

import dev.orch.localcluster.ClusterConnection;
import dev.orch.localcluster.WithKubernetes;
import dev.orch.operator.agent.Bundle;
import dev.orch.operator.core.status.Conditions;
import dev.orch.operator.core.reconcile.Labels;
import dev.orch.operator.core.config.OperatorSettings;
import dev.orch.operator.testing.Bundles;
import dev.orch.operator.testing.CertManagerController;
import dev.orch.operator.testing.CertManagerCrds;
import dev.orch.operator.testing.CustomResources;
import dev.orch.operator.testing.Kubelet;
import dev.orch.operator.testing.RunningOperator;
import io.fabric8.certmanager.api.model.v1.CertificateBuilder;
import io.fabric8.certmanager.api.model.v1.ClusterIssuer;
import io.fabric8.certmanager.api.model.v1.ClusterIssuerBuilder;
import io.fabric8.kubernetes.api.model.ObjectMetaBuilder;
import io.fabric8.kubernetes.api.model.Secret;
import io.fabric8.kubernetes.client.KubernetesClient;

/**
 * The real cert-manager controllers (built from its Go module) with a CA ClusterIssuer on the local control
 * plane: a TLS AgentService gets a certificate cert-manager actually signed, and an https URL.
 */
@WithKubernetes(controllerManager = true)
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class AgentServiceCertManagerTest {
  private static final Duration TIMEOUT = Duration.ofSeconds(90);
  private final KubernetesClient client;
  private final ClusterConnection cluster;
  private boolean installedHere;
  private CertManagerController certManager;
  private RunningOperator<AgentService> operator;
  private String selfSigned;
  private String issuer;

  AgentServiceCertManagerTest(KubernetesClient client, ClusterConnection cluster) {
    this.client = client;
    this.cluster = cluster;
  }

  @BeforeAll
  void start(@TempDir Path workDir) {
    if (!CertManagerCrds.served(client)) {
      CertManagerCrds.install(client);
      installedHere = true;
    }
    certManager = CertManagerController.start(cluster, client.getNamespace(), workDir);
    operator = RunningOperator.start(client, meters -> new AgentServiceReconciler(OperatorSettings.defaults(), meters));
    selfSigned = "selfsigned-" + client.getNamespace();
    issuer = "ca-" + client.getNamespace();
  }

  @AfterAll
  void stop() {
    if (operator != null) {
      operator.close();
    }
    if (certManager != null) {
      certManager.close();
    }
    client.resources(ClusterIssuer.class).withName(issuer).delete();
    client.resources(ClusterIssuer.class).withName(selfSigned).delete();
    if (installedHere) {
      CertManagerCrds.uninstall(client);
    }
  }

  @Test
  void aCaClusterIssuerGivesATlsServiceARealCertificateAndAnHttpsUrl() throws Exception {
    // A CA the way cert-manager's documentation bootstraps one: a self-signed issuer signs the CA certificate, whose
    // Secret (in the cluster resource namespace) a CA issuer then signs with.
    client.resource(new ClusterIssuerBuilder().withNewMetadata().withName(selfSigned).endMetadata()
        .withNewSpec().withNewSelfSigned().endSelfSigned().endSpec().build()).create();
    client.resource(new CertificateBuilder().withNewMetadata().withName("test-ca").endMetadata()
        .withNewSpec().withIsCA(true).withCommonName("orch test CA").withSecretName("test-ca")
        .withNewIssuerRef().withName(selfSigned).withKind("ClusterIssuer").withGroup("cert-manager.io").endIssuerRef()
        .endSpec().build()).create();
    client.resource(new ClusterIssuerBuilder().withNewMetadata().withName(issuer).endMetadata()
        .withNewSpec().withNewCa().withSecretName("test-ca").endCa().endSpec().build()).create();
    withControllerLog(() -> await().atMost(TIMEOUT).until(() -> client.resources(ClusterIssuer.class).withName(issuer).get(),
        i -> i.getStatus() != null && i.getStatus().getConditions() != null
            && i.getStatus().getConditions().stream().anyMatch(c -> "Ready".equals(c.getType()) && "True".equals(c.getStatus()))));

    AgentServiceSpec spec = new AgentServiceSpec();
    spec.setAgent("acme/secure@1.0.0");
    spec.setBundle(new Bundle(new Bundle.ConfigMapSource("secure-bundle"), null, null, null, null));
    spec.setIngress(new AgentServiceSpec.Ingress("secure.example.com", "/", null,
        new AgentServiceSpec.Tls(issuer, AgentServiceSpec.IssuerKind.ClusterIssuer, null)));
    AgentService service = new AgentService();
    service.setMetadata(new ObjectMetaBuilder().withName("secure").withNamespace(client.getNamespace()).build());
    service.setSpec(spec);
    Bundles.put(client, "secure-bundle", Bundles.HELLO);
    AgentService applied = client.resource(service).create();
    await().atMost(TIMEOUT).until(() -> Kubelet.markReady(client, Labels.selector(applied)) > 0);

    AgentService ready = withControllerLog(() -> await().atMost(TIMEOUT)
        .until(() -> client.resources(AgentService.class).withName("secure").get(), s -> s.getStatus() != null
            && Conditions.isTrue(s.getStatus().getConditions(), Conditions.READY)));
    assertThat(ready.getStatus().getUrl()).isEqualTo("https://secure.example.com");
    assertThat(ready.getStatus().getTls().getReady()).isTrue();

    Secret secret = client.secrets().withName("secure-tls").get();
    X509Certificate issued = x509(secret, "tls.crt");
    X509Certificate ca = x509(client.secrets().withName("test-ca").get(), "tls.crt");
    issued.verify(ca.getPublicKey());
    assertThat(issued.getIssuerX500Principal().getName()).isEqualTo("CN=orch test CA");
    assertThat(issued.getSubjectAlternativeNames().stream().map(san -> String.valueOf(san.get(1))).toList())
        .containsExactly("secure.example.com");
    assertThat(issued.getNotAfter().toInstant()).isEqualTo(Instant.parse(ready.getStatus().getTls().getNotAfter()));
    assertThat(Optional.ofNullable(secret.getData().get("tls.key"))).isPresent();
  }

  private static X509Certificate x509(Secret secret, String key) throws Exception {
    return (X509Certificate) CertificateFactory.getInstance("X.509").generateCertificate(
        new ByteArrayInputStream(Base64.getDecoder().decode(secret.getData().get(key))));
  }

  /** A timeout shows what cert-manager's controller logged. */
  private <T> T withControllerLog(java.util.concurrent.Callable<T> wait) throws Exception {
    try {
      return wait.call();
    } catch (org.awaitility.core.ConditionTimeoutException e) {
      throw new AssertionError(e.getMessage() + "; cert-manager's log:\n" + certManager.log(), e);
    }
  }
}
