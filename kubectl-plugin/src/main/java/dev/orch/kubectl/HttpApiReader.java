package dev.orch.kubectl;

import java.io.IOException;
import java.io.InputStream;
import java.net.HttpURLConnection;
import java.net.URL;
import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.security.KeyStore;
import java.security.cert.Certificate;
import java.security.cert.CertificateFactory;
import java.security.cert.X509Certificate;
import java.util.Base64;
import java.util.Map;

import javax.net.ssl.HttpsURLConnection;
import javax.net.ssl.KeyManager;
import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLSocketFactory;
import javax.net.ssl.TrustManager;
import javax.net.ssl.TrustManagerFactory;
import javax.net.ssl.X509TrustManager;

import io.fabric8.kubernetes.api.model.StatusBuilder;
import io.fabric8.kubernetes.client.KubernetesClientException;
import io.fabric8.kubernetes.client.internal.CertUtils;
import io.fabric8.kubernetes.client.internal.SSLUtils;

/**
 * GETs over the JDK's HttpsURLConnection with what the kubeconfig gives: no client library to set up, which is most
 * of a read verb's start-up with fabric8's client. Trusts the kubeconfig's CA only, as kubectl does (the system's CAs
 * when it names none).
 */
final class HttpApiReader implements ApiReader {
  private static final int TIMEOUT_MILLIS = 10_000;

  private final Kubeconfig.Connection connection;
  private SSLSocketFactory sockets;

  HttpApiReader(Kubeconfig.Connection connection) {
    this.connection = connection;
  }

  @Override
  public Map<String, Object> get(String path) {
    HttpURLConnection http;
    int code;
    try {
      http = (HttpURLConnection) new URL(connection.server() + path).openConnection();
      if (http instanceof HttpsURLConnection https) {
        https.setSSLSocketFactory(sockets());
        if (connection.insecure()) {
          https.setHostnameVerifier((host, session) -> true);
        }
      }
      http.setConnectTimeout(TIMEOUT_MILLIS);
      http.setReadTimeout(TIMEOUT_MILLIS);
      http.setRequestProperty("Accept", "application/json");
      http.setRequestProperty("User-Agent", "kubectl-orch");
      String authorization = authorization();
      if (authorization != null) {
        http.setRequestProperty("Authorization", authorization);
      }
      code = http.getResponseCode();
    } catch (IOException e) {
      throw new KubernetesClientException("cannot reach " + connection.server() + ": " + e, e);
    }
    try (InputStream body = code / 100 == 2 ? http.getInputStream() : http.getErrorStream()) {
      Object document = body == null ? null : JsonTree.json(body);
      if (code / 100 != 2) {
        throw failure(code, document);
      }
      if (!(document instanceof Map<?, ?>)) {
        throw new KubernetesClientException("the API server answered GET " + path + " with no JSON object");
      }
      @SuppressWarnings("unchecked")
      Map<String, Object> object = (Map<String, Object>) document;
      return object;
    } catch (IOException e) {
      throw new KubernetesClientException("reading GET " + path + " from " + connection.server() + " failed: " + e, e);
    }
  }

  /** The API server's Status as fabric8's client reports a failed request, so errors read the same either way. */
  private static KubernetesClientException failure(int code, Object document) {
    String message = Fields.string(document, "message");
    return new KubernetesClientException(new StatusBuilder().withCode(code)
        .withMessage(message == null ? "HTTP " + code : message).withReason(Fields.string(document, "reason")).build());
  }

  private String authorization() {
    if (connection.token() != null) {
      return "Bearer " + connection.token();
    }
    if (connection.username() != null && connection.password() != null) {
      return "Basic " + Base64.getEncoder().encodeToString((connection.username() + ":" + connection.password())
          .getBytes(StandardCharsets.UTF_8));
    }
    return null;
  }

  private SSLSocketFactory sockets() throws IOException {
    if (sockets == null) {
      try {
        SSLContext context = SSLContext.getInstance("TLS");
        context.init(keyManagers(), trustManagers(), null);
        sockets = context.getSocketFactory();
      } catch (GeneralSecurityException e) {
        throw new UserError("the kubeconfig's certificates cannot be used (" + e.getMessage() + "); check the"
            + " context's certificate-authority and client certificate, e.g. with kubectl cluster-info");
      }
    }
    return sockets;
  }

  private TrustManager[] trustManagers() throws IOException, GeneralSecurityException {
    if (connection.insecure()) {
      return new TrustManager[] {new TrustEverything()};
    }
    if (connection.caData() == null && connection.caFile() == null) {
      return null;
    }
    KeyStore trusted = KeyStore.getInstance(KeyStore.getDefaultType());
    trusted.load(null, null);
    int index = 0;
    try (InputStream pem = CertUtils.getInputStreamFromDataOrFile(connection.caData(), connection.caFile())) {
      for (Certificate certificate : CertificateFactory.getInstance("X.509").generateCertificates(pem)) {
        trusted.setCertificateEntry("ca-" + index++, certificate);
      }
    }
    TrustManagerFactory factory = TrustManagerFactory.getInstance(TrustManagerFactory.getDefaultAlgorithm());
    factory.init(trusted);
    return factory.getTrustManagers();
  }

  /** The client certificate, through fabric8's PEM reader (PKCS#8, PKCS#1 and EC keys), as its client would. */
  private KeyManager[] keyManagers() throws IOException, GeneralSecurityException {
    if (connection.clientCertData() == null && connection.clientCertFile() == null) {
      return null;
    }
    String key;
    try (InputStream pem = CertUtils.getInputStreamFromDataOrFile(connection.clientKeyData(), connection.clientKeyFile())) {
      key = new String(pem.readAllBytes(), StandardCharsets.UTF_8);
    }
    String algorithm = key.contains("BEGIN EC PRIVATE KEY") ? "EC" : "RSA";
    return SSLUtils.keyManagers(connection.clientCertData(), connection.clientCertFile(), connection.clientKeyData(),
        connection.clientKeyFile(), algorithm, "", null, "");
  }

  /** insecure-skip-tls-verify: true, as kubectl takes it. */
  private static final class TrustEverything implements X509TrustManager {
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
  }
}
