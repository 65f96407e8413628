package dev.orch.kubectl;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.KeyStore;
import java.security.cert.Certificate;
import java.security.cert.X509Certificate;
import java.util.Base64;
import java.util.Collections;
import java.util.Map;

import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLSocket;
import javax.net.ssl.TrustManager;
import javax.net.ssl.X509TrustManager;

import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.io.TempDir;

import dev.orch.localcluster.ClusterConnection;
import dev.orch.localcluster.WithKubernetes;
import io.fabric8.kubernetes.api.model.GenericKubernetesResource;
import io.fabric8.kubernetes.api.model.ObjectMetaBuilder;
import io.fabric8.kubernetes.client.Config;
import io.fabric8.kubernetes.client.KubernetesClient;
import picocli.CommandLine;

/**
 * The read verbs' own kubeconfig reader and HTTP client against the real API server: the kubeconfig's CA is checked,
 * the first definition of a name wins across $KUBECONFIG, paths are relative to their file, and what the reader does
 * not handle (here an exec credential plugin) goes through fabric8's client with the same output.
 */
@WithKubernetes
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class KubeconfigTest {
  private final KubernetesClient client;
  private final String server;
  private final String token;

  @TempDir
  static Path directory;

  KubeconfigTest(KubernetesClient client, ClusterConnection cluster) {
    this.client = client;
    Config admin = cluster.adminConfig();
    this.server = admin.getMasterUrl().replaceAll("/+$", "");
    this.token = admin.getOauthToken();
  }

  @BeforeAll
  void oneService() throws IOException, GeneralSecurityException {
    GenericKubernetesResource service = new GenericKubernetesResource();
    service.setApiVersion(Kind.API_VERSION);
    service.setKind("AgentService");
    service.setMetadata(new ObjectMetaBuilder().withName("reader-bot").build());
    service.setAdditionalProperty("spec", Map.of("agent", "acme/reader-bot@2.0.0",
        "bundle", Map.of("configMap", Map.of("name", "reader-bot-bundle"))));
    Kind.AGENT_SERVICE.in(client).resource(service).create();
    Files.writeString(directory.resolve("api-ca.crt"), pem(serverRootCertificate()));
  }

  @Test
  void readsThroughTheJdkClientCheckingTheKubeconfigCaWithTheContextsNamespace() throws IOException {
    Path kubeconfig = write("ca.yaml", kubeconfig("certificate-authority: api-ca.crt", "token: " + token,
        client.getNamespace()));

    assertThat(Kubeconfig.connection(kubeconfig.toFile(), null, Map.of())).hasValueSatisfying(connection -> {
      assertThat(connection.caFile()).isEqualTo(directory.resolve("api-ca.crt").toString());
      assertThat(connection.insecure()).isFalse();
    });
    String[] result = run("--kubeconfig", kubeconfig.toString(), "list");
    assertThat(result[0]).as(result[1]).isEqualTo("0");
    assertThat(result[1]).contains("reader-bot", "acme/reader-bot@2.0.0");
  }

  @Test
  void refusesAServerCertificateTheKubeconfigCaDidNotSign() throws Exception {
    KeyStore system = KeyStore.getInstance(Path.of(System.getProperty("java.home"), "lib", "security", "cacerts")
        .toFile(), (char[]) null);
    String otherCa = Base64.getEncoder().encodeToString(pem(system.getCertificate(Collections.list(system.aliases())
        .get(0))).getBytes(StandardCharsets.US_ASCII));
    Path kubeconfig = write("other-ca.yaml", kubeconfig("certificate-authority-data: " + otherCa, "token: " + token,
        client.getNamespace()));

    String[] result = run("--kubeconfig", kubeconfig.toString(), "list");

    assertThat(result[0]).as(result[1]).isEqualTo("1");
    assertThat(result[1]).contains("error: the API server at " + server + " is not the one the kubeconfig trusts",
        "unable to find valid certification path", "certificate-authority", "kubectl cluster-info");
  }

  @Test
  void mergesKubeconfigFilesAsKubectlDoesTheFirstDefinitionWinning() throws IOException {
    Path tokenFile = write("token", token + "\n");
    Path first = write("first.yaml", kubeconfig("insecure-skip-tls-verify: true", "tokenFile: " + tokenFile.getFileName(),
        client.getNamespace()));
    Path second = write("second.yaml", """
        apiVersion: v1
        kind: Config
        clusters: [{name: c, cluster: {server: "https://127.0.0.1:1"}}]
        users: [{name: u, user: {token: wrong}}, {name: other, user: {token: other}}]
        contexts: [{name: ctx, context: {cluster: c, user: u}}, {name: elsewhere, context: {cluster: c, user: other}}]
        current-context: elsewhere
        """);
    Map<String, String> environment = Map.of("KUBECONFIG", first + ":" + directory.resolve("missing.yaml") + ":" + second);

    assertThat(Kubeconfig.connection(null, null, environment)).hasValueSatisfying(connection -> {
      assertThat(connection.server()).isEqualTo(server);
      assertThat(connection.token()).isEqualTo(token);
      assertThat(connection.namespace()).isEqualTo(client.getNamespace());
    });
    assertThat(Kubeconfig.connection(null, "elsewhere", environment)).hasValueSatisfying(connection ->
        assertThat(connection.token()).isEqualTo("other"));
    assertThat(Kubeconfig.connection(null, "no-such-context", environment)).as("fabric8 reports it").isEmpty();
    assertThat(Kubeconfig.connection(null, null, Map.of("KUBECONFIG", first.toString(), "HTTPS_PROXY",
        "http://proxy:3128"))).as("proxies are fabric8's").isEmpty();
  }

  @Test
  void leavesAnExecCredentialPluginToFabric8sClientWithTheSameOutput() throws IOException {
    String credential = "{\"apiVersion\":\"client.authentication.k8s.io/v1\",\"kind\":\"ExecCredential\","
        + "\"status\":{\"token\":\"" + token + "\"}}";
    Path plugin = write("credential-plugin", "#!/bin/sh\necho '" + credential + "'\n");
    plugin.toFile().setExecutable(true);
    Path kubeconfig = write("exec.yaml", kubeconfig("insecure-skip-tls-verify: true", """
        exec: {apiVersion: client.authentication.k8s.io/v1, command: %s, interactiveMode: Never}"""
        .formatted(plugin), client.getNamespace()));

    assertThat(Kubeconfig.connection(kubeconfig.toFile(), null, Map.of())).isEmpty();
    String[] list = run("--kubeconfig", kubeconfig.toString(), "list");
    assertThat(list[0]).as(list[1]).isEqualTo("0");
    assertThat(list[1]).contains("reader-bot", "acme/reader-bot@2.0.0");
    String[] missing = run("--kubeconfig", kubeconfig.toString(), "info", "nobody");
    assertThat(missing[0]).isEqualTo("1");
    assertThat(missing[1]).contains("error: agentservice \"nobody\" not found in namespace " + client.getNamespace());
  }

  @Test
  void saysWhereTheUnreachableServerIs() throws IOException {
    Path kubeconfig = write("unreachable.yaml", kubeconfig("insecure-skip-tls-verify: true", "token: x", "default")
        .replace(server, "https://127.0.0.1:1"));

    String[] result = run("--kubeconfig", kubeconfig.toString(), "info", "reader-bot");

    assertThat(result[0]).isEqualTo("1");
    assertThat(result[1]).contains("error: cannot reach the Kubernetes API server at https://127.0.0.1:1",
        "Connection refused", "kubectl cluster-info");
  }

  private String kubeconfig(String clusterField, String userField, String namespace) {
    return """
        apiVersion: v1
        kind: Config
        clusters:
        - name: c
          cluster:
            server: %s
            %s
        users:
        - name: u
          user:
            %s
        contexts:
        - name: ctx
          context: {cluster: c, user: u, namespace: %s}
        current-context: ctx
        """.formatted(server, clusterField, userField, namespace);
  }

  private static Path write(String name, String content) throws IOException {
    return Files.writeString(directory.resolve(name), content);
  }

  /** Exit code and stdout + stderr of a run in this JVM. */
  private static String[] run(String... args) {
    StringWriter out = new StringWriter();
    CommandLine commandLine = KubectlOrch.commandLine(new PrintWriter(out), new PrintWriter(out), Terminal.plain(),
        System.in);
    try {
      int exit = commandLine.execute(args);
      return new String[] {String.valueOf(exit), out.toString()};
    } finally {
      ((KubectlOrch) commandLine.getCommand()).cluster.close();
    }
  }

  /** The last certificate of the chain the API server presents: the CA a kubeconfig would name. */
  private X509Certificate serverRootCertificate() throws IOException, GeneralSecurityException {
    SSLContext trustAll = SSLContext.getInstance("TLS");
    trustAll.init(null, new TrustManager[] {new X509TrustManager() {
      @Override
      public void checkClientTrusted(X509Certificate[] chain, String authType) {
      }

      @Override
      public void checkServerTrusted(X509Certificate[] chain, String authType) {
      }

      @Override
      public X509Certificate[] getAcceptedIssuers() {
        return new X509Certificate[0];
      }
    }}, null);
    URI uri = URI.create(server);
    try (SSLSocket socket = (SSLSocket) trustAll.getSocketFactory().createSocket(uri.getHost(), uri.getPort())) {
      socket.startHandshake();
      Certificate[] chain = socket.getSession().getPeerCertificates();
      return (X509Certificate) chain[chain.length - 1];
    }
  }

  private static String pem(Certificate certificate) {
    try {
      return "-----BEGIN CERTIFICATE-----\n" + Base64.getMimeEncoder(64, "\n".getBytes(StandardCharsets.US_ASCII))
          .encodeToString(certificate.getEncoded()) + "\n-----END CERTIFICATE-----\n";
    } catch (GeneralSecurityException e) {
      throw new IllegalStateException(e);
    }
  }
}
