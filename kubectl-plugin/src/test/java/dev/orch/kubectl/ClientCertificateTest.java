package dev.orch.kubectl;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.io.InputStream;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.KeyStore;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

import javax.net.ssl.KeyManagerFactory;
import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLParameters;
import javax.net.ssl.SSLSession;
import javax.net.ssl.TrustManagerFactory;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import com.sun.net.httpserver.HttpsConfigurator;
import com.sun.net.httpserver.HttpsExchange;
import com.sun.net.httpserver.HttpsParameters;
import com.sun.net.httpserver.HttpsServer;

/**
 * Client certificates on the read verbs' own HTTP path, with the key formats clusters hand out (kubeadm and kind:
 * PKCS#1 RSA; k3s: SEC1 EC; PKCS#8), against a TLS server that requires a certificate signed by its CA (the API
 * servers of the JUnit harness take tokens only). Certificates are made with openssl, as a cluster's would be.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class ClientCertificateTest {
  @TempDir
  static Path pki;

  private HttpsServer server;
  private final List<String> clientsSeen = new ArrayList<>();

  @BeforeAll
  void serverRequiringClientCertificates() throws Exception {
    openssl("req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", "ca.key", "-out", "ca.crt", "-days", "1",
        "-subj", "/CN=test-ca");
    Files.writeString(pki.resolve("san.ext"), "subjectAltName=IP:127.0.0.1\n");
    openssl("req", "-newkey", "rsa:2048", "-nodes", "-keyout", "server.key", "-out", "server.csr", "-subj", "/CN=api");
    openssl("x509", "-req", "-in", "server.csr", "-CA", "ca.crt", "-CAkey", "ca.key", "-CAcreateserial", "-out",
        "server.crt", "-days", "1", "-extfile", "san.ext");
    openssl("pkcs12", "-export", "-in", "server.crt", "-inkey", "server.key", "-out", "server.p12", "-passout",
        "pass:test");
    openssl("genrsa", "-traditional", "-out", "rsa.key", "2048");
    openssl("ecparam", "-name", "prime256v1", "-genkey", "-noout", "-out", "ec.key");
    openssl("genpkey", "-algorithm", "RSA", "-out", "pkcs8.key");
    for (String client : List.of("rsa", "ec", "pkcs8")) {
      openssl("req", "-new", "-key", client + ".key", "-out", client + ".csr", "-subj", "/CN=" + client + "-user");
      openssl("x509", "-req", "-in", client + ".csr", "-CA", "ca.crt", "-CAkey", "ca.key", "-CAcreateserial", "-out",
          client + ".crt", "-days", "1");
    }

    KeyStore serverKeys = KeyStore.getInstance("PKCS12");
    try (InputStream in = Files.newInputStream(pki.resolve("server.p12"))) {
      serverKeys.load(in, "test".toCharArray());
    }
    KeyManagerFactory keyManagers = KeyManagerFactory.getInstance(KeyManagerFactory.getDefaultAlgorithm());
    keyManagers.init(serverKeys, "test".toCharArray());
    KeyStore clientCa = KeyStore.getInstance("PKCS12");
    clientCa.load(null, null);
    try (InputStream in = Files.newInputStream(pki.resolve("ca.crt"))) {
      clientCa.setCertificateEntry("ca", java.security.cert.CertificateFactory.getInstance("X.509").generateCertificate(in));
    }
    TrustManagerFactory trustManagers = TrustManagerFactory.getInstance(TrustManagerFactory.getDefaultAlgorithm());
    trustManagers.init(clientCa);
    SSLContext tls = SSLContext.getInstance("TLS");
    tls.init(keyManagers.getKeyManagers(), trustManagers.getTrustManagers(), null);
    server = HttpsServer.create(new InetSocketAddress("127.0.0.1", 0), 0);
    server.setHttpsConfigurator(new HttpsConfigurator(tls) {
      @Override
      public void configure(HttpsParameters parameters) {
        SSLParameters required = tls.getDefaultSSLParameters();
        required.setNeedClientAuth(true);
        parameters.setSSLParameters(required);
      }
    });
    server.createContext("/", exchange -> {
      SSLSession session = ((HttpsExchange) exchange).getSSLSession();
      synchronized (clientsSeen) {
        clientsSeen.add(session.getPeerPrincipal().getName());
      }
      byte[] body = "{\"kind\":\"AgentServiceList\",\"items\":[]}".getBytes(StandardCharsets.UTF_8);
      exchange.sendResponseHeaders(200, body.length);
      exchange.getResponseBody().write(body);
      exchange.close();
    });
    server.start();
  }

  @AfterAll
  void stop() {
    server.stop(0);
  }

  @ParameterizedTest
  @ValueSource(strings = {"rsa", "ec", "pkcs8"})
  void presentsTheKubeconfigsClientCertificateAndChecksTheServerAgainstItsCa(String key) throws IOException {
    Path kubeconfig = Files.writeString(pki.resolve(key + ".yaml"), """
        apiVersion: v1
        kind: Config
        clusters: [{name: c, cluster: {server: "https://127.0.0.1:%d", certificate-authority: ca.crt}}]
        users: [{name: u, user: {client-certificate: %s.crt, client-key: %s.key}}]
        contexts: [{name: ctx, context: {cluster: c, user: u}}]
        current-context: ctx
        """.formatted(server.getAddress().getPort(), key, key));
    Kubeconfig.Connection connection = Kubeconfig.connection(kubeconfig.toFile(), null, Map.of()).orElseThrow();

    Map<String, Object> list = new HttpApiReader(connection).get("/apis/orch.dev/v1alpha1/agentservices");

    assertThat(list).containsEntry("kind", "AgentServiceList");
    synchronized (clientsSeen) {
      assertThat(clientsSeen).contains("CN=" + key + "-user");
    }
  }

  private void openssl(String... args) throws IOException, InterruptedException {
    List<String> command = new ArrayList<>(List.of("openssl"));
    command.addAll(List.of(args));
    Process process = new ProcessBuilder(command).directory(pki.toFile()).redirectErrorStream(true).start();
    String output = new String(process.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    if (process.waitFor() != 0) {
      throw new IllegalStateException(String.join(" ", command) + " failed: " + output);
    }
  }
}
