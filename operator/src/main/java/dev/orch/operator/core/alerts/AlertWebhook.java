package dev.orch.operator.core.alerts;

import java.io.IOException;
import java.io.InputStream;
import java.net.InetAddress;
import java.net.URI;
import java.net.UnknownHostException;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.KeyStore;
import java.security.cert.Certificate;
import java.security.cert.CertificateFactory;
import java.security.cert.X509Certificate;
import java.time.Duration;
import java.time.Instant;
import java.util.Locale;
import java.util.Optional;
import java.util.Set;

import javax.net.ssl.SSLContext;
import javax.net.ssl.TrustManagerFactory;
import javax.net.ssl.X509TrustManager;

import com.fasterxml.jackson.annotation.JsonProperty;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.orch.operator.core.crashloop.CrashLoopRecord;

/**
 * Delivers crash-loop alerts: an HTTPS POST of the hosted product's JSON payload, with a per-attempt timeout
 * and retries with backoff. Refuses URLs that are not https or whose host resolves to a loopback, link-local or
 * cloud-metadata address (an alert URL is user input; it must not turn the operator into a probe of its own
 * node). The CRD refuses such literal hosts at admission; this check, after DNS resolution, also catches names
 * that resolve to them.
 */
public final class AlertWebhook {
  public static final String CRASH_LOOP_EVENT = "service.crash_loop";
  public static final String WARNING_EVENT = "service.crash_loop_warning";
  public static final String TLS_EXPIRING_EVENT = "service.tls_expiring";
  private static final Set<String> METADATA_HOSTS = Set.of("metadata.google.internal", "metadata", "instance-data");
  private static final ObjectMapper JSON = new ObjectMapper();

  private final HttpClient http;
  private final int attempts;
  private final Duration timeout;
  private final Duration firstBackoff;

  /** The alert body, field for field as the hosted product sends it. */
  public record Payload(
      String event,
      @JsonProperty("service_id") String serviceId,
      @JsonProperty("workspace_id") String workspaceId,
      @JsonProperty("service_name") String serviceName,
      @JsonProperty("restart_count") long restartCount,
      @JsonProperty("consecutive_restart_failures") int consecutiveRestartFailures,
      int threshold,
      @JsonProperty("auto_paused") boolean autoPaused,
      @JsonProperty("last_error") String lastError) {
  }

  public AlertWebhook(Optional<Path> extraCaBundle, int attempts, Duration timeout, Duration firstBackoff) {
    this.http = HttpClient.newBuilder().connectTimeout(timeout).followRedirects(HttpClient.Redirect.NEVER)
        .sslContext(sslContext(extraCaBundle)).build();
    this.attempts = attempts;
    this.timeout = timeout;
    this.firstBackoff = firstBackoff;
  }

  public CrashLoopRecord.AlertOutcome deliver(String url, Payload payload) {
    return deliver(url, payload.event(), payload);
  }

  /** Delivers any alert body (serialized as JSON) under the same rules; {@code event} names it in the outcome. */
  public CrashLoopRecord.AlertOutcome deliver(String url, String event, Object payload) {
    Optional<String> refused = refusal(url);
    if (refused.isPresent()) {
      return new CrashLoopRecord.AlertOutcome(event, Instant.now().toString(), false, null, refused.get());
    }
    String body;
    try {
      body = JSON.writeValueAsString(payload);
    } catch (IOException e) {
      throw new IllegalStateException(e);
    }
    HttpRequest request = HttpRequest.newBuilder(URI.create(url)).timeout(timeout)
        .header("Content-Type", "application/json").header("User-Agent", "orch-operator")
        .POST(HttpRequest.BodyPublishers.ofString(body)).build();
    String error = null;
    Integer status = null;
    Duration backoff = firstBackoff;
    for (int attempt = 1; attempt <= attempts; attempt++) {
      try {
        HttpResponse<Void> response = http.send(request, HttpResponse.BodyHandlers.discarding());
        status = response.statusCode();
        if (status / 100 == 2) {
          return new CrashLoopRecord.AlertOutcome(event, Instant.now().toString(), true, status, null);
        }
        error = "receiver answered HTTP " + status;
        if (status / 100 == 4 && status != 408 && status != 429) {
          break; // the receiver refuses this request; repeating it will not help
        }
      } catch (IOException e) {
        error = e.getClass().getSimpleName() + (e.getMessage() == null ? "" : ": " + e.getMessage());
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        error = "interrupted";
        break;
      }
      if (attempt < attempts) {
        sleep(backoff);
        backoff = backoff.multipliedBy(2);
      }
    }
    return new CrashLoopRecord.AlertOutcome(event, Instant.now().toString(), false, status,
        error + " after " + attempts + " attempt(s)");
  }

  /** Why the URL must not be called, or empty when it may. */
  public static Optional<String> refusal(String url) {
    URI uri;
    try {
      uri = URI.create(url);
    } catch (IllegalArgumentException e) {
      return Optional.of("alertWebhookUrl is not a valid URL: " + e.getMessage());
    }
    if (!"https".equalsIgnoreCase(uri.getScheme()) || uri.getHost() == null) {
      return Optional.of("alertWebhookUrl must be an https:// URL with a host; got " + url);
    }
    String host = uri.getHost().toLowerCase(Locale.ROOT);
    if (METADATA_HOSTS.contains(host)) {
      return Optional.of("alertWebhookUrl points at a cloud metadata service (" + host + "); use your alert receiver's URL");
    }
    try {
      for (InetAddress address : InetAddress.getAllByName(host)) {
        if (address.isLoopbackAddress() || address.isAnyLocalAddress() || address.isLinkLocalAddress()
            || isMetadataAddress(address)) {
          return Optional.of("alertWebhookUrl resolves to the loopback, link-local or metadata address "
              + address.getHostAddress() + ", which would make the operator call its own host or the cloud's metadata"
              + " service; use your alert receiver's URL");
        }
      }
    } catch (UnknownHostException e) {
      return Optional.of("alertWebhookUrl host " + host + " does not resolve; check the URL");
    }
    return Optional.empty();
  }

  private static boolean isMetadataAddress(InetAddress address) {
    String text = address.getHostAddress();
    // AWS's IPv6 metadata endpoint and Alibaba's; 169.254.169.254 is already link-local.
    return text.startsWith("fd00:ec2:") || text.equals("100.100.100.200");
  }

  /** The JVM's trusted CAs plus, when configured, the CAs in a PEM bundle (for in-house or test receivers). */
  public static SSLContext sslContext(Optional<Path> extraCaBundle) {
    try {
      if (extraCaBundle.isEmpty()) {
        return SSLContext.getDefault();
      }
      KeyStore trust = KeyStore.getInstance(KeyStore.getDefaultType());
      trust.load(null, null);
      TrustManagerFactory defaults = TrustManagerFactory.getInstance(TrustManagerFactory.getDefaultAlgorithm());
      defaults.init((KeyStore) null);
      int index = 0;
      for (var manager : defaults.getTrustManagers()) {
        if (manager instanceof X509TrustManager x509) {
          for (X509Certificate ca : x509.getAcceptedIssuers()) {
            trust.setCertificateEntry("default-" + index++, ca);
          }
        }
      }
      try (InputStream in = Files.newInputStream(extraCaBundle.get())) {
        for (Certificate ca : CertificateFactory.getInstance("X.509").generateCertificates(in)) {
          trust.setCertificateEntry("extra-" + index++, ca);
        }
      }
      TrustManagerFactory combined = TrustManagerFactory.getInstance(TrustManagerFactory.getDefaultAlgorithm());
      combined.init(trust);
      SSLContext context = SSLContext.getInstance("TLS");
      context.init(null, combined.getTrustManagers(), null);
      return context;
    } catch (GeneralSecurityException | IOException e) {
      throw new IllegalStateException("cannot load the alert CA bundle " + extraCaBundle.orElse(null)
          + " (orch.alerts.ca-bundle): " + e.getMessage(), e);
    }
  }

  private static void sleep(Duration duration) {
    try {
      Thread.sleep(duration.toMillis());
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }
}
