package dev.orch.operator.testing;

import java.io.IOException;
import java.io.InputStream;
import java.net.Inet4Address;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.NetworkInterface;
import java.net.SocketException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.KeyStore;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;

import javax.net.ssl.KeyManagerFactory;
import javax.net.ssl.SSLContext;

import com.sun.net.httpserver.HttpsConfigurator;
import com.sun.net.httpserver.HttpsServer;

/**
 * A local HTTPS alert receiver (and file server) with a self-signed certificate made by the JDK's keytool; its CA file is what
 * the operator is configured to trust, as an in-house receiver would be. It listens on this machine's first
 * non-loopback address, because the operator refuses to send alerts to loopback (its own host).
 */
public final class HttpsReceiver implements AutoCloseable {
  private static final String PASSWORD = "receiver";
  private final HttpsServer server;
  private final Path caBundle;
  public final List<String> bodies = new CopyOnWriteArrayList<>();
  public final List<String> hung = new CopyOnWriteArrayList<>();
  private final CountDownLatch closed = new CountDownLatch(1);
  private final Map<String, byte[]> files = new ConcurrentHashMap<>();

  public HttpsReceiver(Path workDir) throws Exception {
    InetAddress address = nonLoopbackAddress();
    Path keystore = workDir.resolve("receiver.p12");
    caBundle = workDir.resolve("receiver-ca.pem");
    keytool("-genkeypair", "-alias", "receiver", "-keyalg", "RSA", "-keysize", "2048", "-dname", "CN=localhost",
        "-ext", "SAN=ip:" + address.getHostAddress(), "-validity", "2", "-storetype", "PKCS12",
        "-keystore", keystore.toString(), "-storepass", PASSWORD, "-keypass", PASSWORD);
    keytool("-exportcert", "-rfc", "-alias", "receiver", "-keystore", keystore.toString(), "-storepass", PASSWORD,
        "-file", caBundle.toString());
    KeyStore keys = KeyStore.getInstance("PKCS12");
    try (InputStream in = Files.newInputStream(keystore)) {
      keys.load(in, PASSWORD.toCharArray());
    }
    KeyManagerFactory keyManagers = KeyManagerFactory.getInstance(KeyManagerFactory.getDefaultAlgorithm());
    keyManagers.init(keys, PASSWORD.toCharArray());
    SSLContext tls = SSLContext.getInstance("TLS");
    tls.init(keyManagers.getKeyManagers(), null, null);
    server = HttpsServer.create(new InetSocketAddress(address, 0), 0);
    server.setHttpsConfigurator(new HttpsConfigurator(tls));
    server.setExecutor(Executors.newCachedThreadPool());
    server.createContext("/alerts", exchange -> {
      bodies.add(new String(exchange.getRequestBody().readAllBytes(), StandardCharsets.UTF_8));
      exchange.sendResponseHeaders(200, -1);
      exchange.close();
    });
    // A dead receiver: takes the request, then never answers.
    server.createContext("/hang", exchange -> {
      hung.add(new String(exchange.getRequestBody().readAllBytes(), StandardCharsets.UTF_8));
      try {
        closed.await();
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      }
      exchange.close();
    });
    server.createContext("/files/", exchange -> {
      byte[] body = files.get(exchange.getRequestURI().getPath().substring("/files/".length()));
      if (body == null) {
        exchange.sendResponseHeaders(404, -1);
      } else {
        exchange.sendResponseHeaders(200, body.length);
        exchange.getResponseBody().write(body);
      }
      exchange.close();
    });
    server.start();
  }

  /** Serves {@code body} at {@link #fileUrl}{@code (name)} (a bundle archive, for instance) until replaced. */
  public String serve(String name, byte[] body) {
    files.put(name, body);
    return fileUrl(name);
  }

  public String fileUrl(String name) {
    return "https://" + server.getAddress().getAddress().getHostAddress() + ":" + server.getAddress().getPort() + "/files/" + name;
  }

  public String url() {
    return "https://" + server.getAddress().getAddress().getHostAddress() + ":" + server.getAddress().getPort() + "/alerts";
  }

  /** A URL whose receiver takes each request and never answers it; the requests it took are in {@link #hung}. */
  public String hangingUrl() {
    return url().replaceFirst("/alerts$", "/hang");
  }

  private static InetAddress nonLoopbackAddress() throws SocketException {
    return Collections.list(NetworkInterface.getNetworkInterfaces()).stream()
        .filter(HttpsReceiver::isUp)
        .flatMap(network -> Collections.list(network.getInetAddresses()).stream())
        .filter(a -> a instanceof Inet4Address && !a.isLoopbackAddress() && !a.isLinkLocalAddress())
        .findFirst()
        .orElseThrow(() -> new IllegalStateException("the alert tests need an IPv4 address other than loopback"
            + " (the operator refuses loopback alert URLs); this machine has none up"));
  }

  private static boolean isUp(NetworkInterface network) {
    try {
      return network.isUp() && !network.isLoopback();
    } catch (SocketException e) {
      return false;
    }
  }

  public Path caBundle() {
    return caBundle;
  }

  private static void keytool(String... args) throws IOException, InterruptedException {
    List<String> command = new java.util.ArrayList<>();
    command.add(Path.of(System.getProperty("java.home"), "bin", "keytool").toString());
    command.addAll(List.of(args));
    Process process = new ProcessBuilder(command).redirectErrorStream(true).start();
    String output = new String(process.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    if (!process.waitFor(60, TimeUnit.SECONDS) || process.exitValue() != 0) {
      throw new IOException("keytool " + String.join(" ", args) + " failed: " + output);
    }
  }

  @Override
  public void close() {
    closed.countDown();
    server.stop(0);
  }
}
