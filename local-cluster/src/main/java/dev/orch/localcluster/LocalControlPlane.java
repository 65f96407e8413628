package dev.orch.localcluster;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.ServerSocket;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.security.NoSuchAlgorithmException;
import java.security.SecureRandom;
import java.security.cert.X509Certificate;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Base64;
import java.util.HashMap;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

import javax.net.ssl.HttpsURLConnection;
import javax.net.ssl.SSLContext;
import javax.net.ssl.TrustManager;
import javax.net.ssl.X509TrustManager;

import io.fabric8.kubernetes.client.Config;
import io.fabric8.kubernetes.client.ConfigBuilder;

/**
 * etcd and kube-apiserver (and, on demand, kube-controller-manager) as real processes on loopback, on free
 * ports, in a temporary directory. Without a node no kubelet or scheduler runs: tests play the kubelet by writing
 * pod status. With a node ({@link #startWithNode}) pods really run, on a {@link LocalNode}, and the API server
 * also listens on the node's address so that pods reach it through the {@code kubernetes} Service.
 */
public final class LocalControlPlane implements ClusterConnection {
  private static final Duration STARTUP_TIMEOUT = Duration.ofSeconds(90);
  private static final String ADMIN_USER = "orch-admin";
  private static final SSLContext TRUST_ALL = trustAll();

  private final KubeBinaries binaries;
  private final Path workDir;
  private final String adminToken;
  /** Running components by binary name, in start order; their flags, so a restart starts them as before. */
  private final Map<String, Process> processes = new LinkedHashMap<>();
  private final Map<String, List<String>> flags = new HashMap<>();
  private final int apiServerPort;
  private Path kubeconfig;
  private boolean controllerManagerRunning;
  private final String podReachableAddress;
  private LocalNode node;
  private final Thread shutdownHook = new Thread(this::stopProcesses, "local-control-plane-shutdown");

  private LocalControlPlane(KubeBinaries binaries, Path workDir, String podReachableAddress) {
    this.binaries = binaries;
    this.workDir = workDir;
    this.podReachableAddress = podReachableAddress;
    this.apiServerPort = freePort();
    byte[] token = new byte[32];
    new SecureRandom().nextBytes(token);
    this.adminToken = HexFormat.of().formatHex(token);
  }

  /** Starts etcd and kube-apiserver and waits until the API server reports ready. */
  public static LocalControlPlane start(KubeBinaries binaries) {
    return start(binaries, null);
  }

  /**
   * Starts the control plane with the controller manager and a real node (see {@link LocalNode}), waiting until
   * the node is Ready. Waits first if another run on this host holds the node.
   */
  public static LocalControlPlane startWithNode(KubeBinaries binaries) {
    LocalControlPlane plane = start(binaries, LocalNode.nodeIp());
    try {
      plane.ensureControllerManager();
      plane.node = LocalNode.start(plane.kubeconfig, binaries);
    } catch (RuntimeException e) {
      plane.close();
      throw e;
    }
    return plane;
  }

  private static LocalControlPlane start(KubeBinaries binaries, String podReachableAddress) {
    try {
      LocalControlPlane plane = new LocalControlPlane(binaries, Files.createTempDirectory("orch-control-plane-"), podReachableAddress);
      Runtime.getRuntime().addShutdownHook(plane.shutdownHook);
      try {
        plane.startEtcdAndApiServer();
      } catch (RuntimeException e) {
        String logs = plane.logTail(40);
        plane.close();
        throw new IllegalStateException(e.getMessage() + "\n" + logs, e);
      }
      return plane;
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  private void startEtcdAndApiServer() throws IOException {
    int etcdClientPort = freePort();
    int etcdPeerPort = freePort();
    String etcdUrl = "http://127.0.0.1:" + etcdClientPort;
    String peerUrl = "http://127.0.0.1:" + etcdPeerPort;
    launch("etcd", List.of(
        "--name=orch-test",
        "--data-dir=" + workDir.resolve("etcd-data"),
        "--listen-client-urls=" + etcdUrl,
        "--advertise-client-urls=" + etcdUrl,
        "--listen-peer-urls=" + peerUrl,
        "--initial-advertise-peer-urls=" + peerUrl,
        "--initial-cluster=orch-test=" + peerUrl,
        // Test data is disposable; skipping fsync keeps etcd from dominating test time on slow disks.
        "--unsafe-no-fsync=true",
        "--log-level=warn"));

    writeServiceAccountKeys();
    Files.writeString(workDir.resolve("tokens.csv"), adminToken + "," + ADMIN_USER + ",orch-admin-uid,\"system:masters\"\n");
    Files.writeString(workDir.resolve("audit-policy.yaml"), """
        apiVersion: audit.k8s.io/v1
        kind: Policy
        omitStages: ["RequestReceived"]
        rules:
        - level: Metadata
          verbs: ["create", "update", "patch", "delete", "deletecollection"]
        - level: None
        """);
    List<String> apiServerArgs = new ArrayList<>(List.of(
        "--etcd-servers=" + etcdUrl,
        "--secure-port=" + apiServerPort,
        "--cert-dir=" + workDir.resolve("pki"),
        "--token-auth-file=" + workDir.resolve("tokens.csv"),
        "--authorization-mode=RBAC",
        "--service-cluster-ip-range=10.96.0.0/16",
        "--service-account-issuer=https://kubernetes.default.svc",
        "--service-account-key-file=" + workDir.resolve("sa.pub"),
        "--service-account-signing-key-file=" + workDir.resolve("sa.key"),
        "--allow-privileged=true",
        "--audit-policy-file=" + workDir.resolve("audit-policy.yaml"),
        "--audit-log-path=" + auditLog(),
        "--audit-log-format=json"));
    if (podReachableAddress == null) {
      apiServerArgs.addAll(List.of("--bind-address=127.0.0.1", "--advertise-address=127.0.0.1"));
    } else {
      // Pods reach the API server at the kubernetes Service, which points at the advertised address.
      apiServerArgs.addAll(List.of("--bind-address=0.0.0.0", "--advertise-address=" + podReachableAddress,
          "--kubelet-preferred-address-types=InternalIP"));
    }
    launch("kube-apiserver", apiServerArgs);
    kubeconfig = writeKubeconfig();
    awaitApiServerReady();
  }

  @Override
  public void ensureControllerManager() {
    ensureControllerManager(List.of());
  }

  /**
   * Starts kube-controller-manager with more flags (a benchmark giving it the operator's API budget and threads);
   * when it already runs, nothing changes.
   */
  public synchronized void ensureControllerManager(List<String> moreFlags) {
    if (controllerManagerRunning) {
      return;
    }
    List<String> flags = new ArrayList<>(List.of(
        "--kubeconfig=" + kubeconfig,
        "--bind-address=127.0.0.1",
        "--secure-port=" + freePort(),
        "--leader-elect=false",
        "--use-service-account-credentials=false",
        "--service-account-private-key-file=" + workDir.resolve("sa.key"),
        "--root-ca-file=" + workDir.resolve("pki/apiserver.crt"),
        "--cluster-name=orch-test",
        // The garbage collector and the workload controllers are what tests need; cloud controllers would only
        // complain. Node lifecycle runs when there is a node: it lifts the not-ready taint a new node registers with;
        // so does the volume binder, which binds claims to the local PersistentVolumes node tests make.
        "--controllers=*,-nodeipam," + (podReachableAddress == null ? "-nodelifecycle,-persistentvolume-binder," : "")
            + "-cloud-node-lifecycle,-service-lb-controller,-node-route-controller,-attachdetach",
        "--concurrent-gc-syncs=5"));
    flags.addAll(moreFlags);
    launch("kube-controller-manager", flags);
    controllerManagerRunning = true;
  }

  /**
   * Stops one component with SIGTERM, as a supervisor restarting it would, leaves it down for {@code downtime}, and
   * starts it again with the same flags and data; returns when the API server is ready again. For tests of what an
   * operator must survive: "kube-apiserver" or "etcd" (the API server then stays up, answering errors).
   */
  public synchronized void restart(String component, Duration downtime) {
    Process running = processes.get(component);
    if (running == null) {
      throw new IllegalArgumentException(component + " is not running here; running: " + processes.keySet());
    }
    stop(running);
    sleep(downtime);
    launch(component, flags.get(component));
    awaitApiServerReady();
  }

  private synchronized void launch(String binary, List<String> args) {
    List<String> command = new ArrayList<>();
    command.add(binaries.path(binary).toString());
    command.addAll(args);
    try {
      Process process = new ProcessBuilder(command)
          .redirectErrorStream(true)
          .redirectOutput(ProcessBuilder.Redirect.appendTo(logFile(binary).toFile()))
          .start();
      processes.put(binary, process);
      flags.put(binary, List.copyOf(args));
    } catch (IOException e) {
      throw new UncheckedIOException("cannot start " + binary, e);
    }
  }

  private void awaitApiServerReady() {
    Instant deadline = Instant.now().plus(STARTUP_TIMEOUT);
    String last = "no answer yet";
    while (Instant.now().isBefore(deadline)) {
      for (Process p : processes.values()) {
        if (!p.isAlive()) {
          throw new IllegalStateException(p.info().command().orElse("a control plane process")
              + " exited with code " + p.exitValue() + " during startup");
        }
      }
      try {
        HttpsURLConnection readyz = (HttpsURLConnection) URI.create(serverUrl() + "/readyz").toURL().openConnection();
        readyz.setSSLSocketFactory(TRUST_ALL.getSocketFactory());
        // With a node, the self-signed certificate names the node's address, not the loopback one asked here.
        readyz.setHostnameVerifier((host, session) -> true);
        readyz.setRequestProperty("Authorization", "Bearer " + adminToken);
        readyz.setConnectTimeout(2_000);
        readyz.setReadTimeout(5_000);
        int code = readyz.getResponseCode();
        readyz.disconnect();
        if (code == 200) {
          return;
        }
        last = "HTTP " + code;
      } catch (IOException e) {
        last = e.toString();
      }
      sleep(Duration.ofMillis(250));
    }
    throw new IllegalStateException("kube-apiserver was not ready within " + STARTUP_TIMEOUT.toSeconds() + "s (" + last + ")");
  }

  private void writeServiceAccountKeys() throws IOException {
    try {
      KeyPairGenerator generator = KeyPairGenerator.getInstance("RSA");
      generator.initialize(2048);
      KeyPair pair = generator.generateKeyPair();
      Files.writeString(workDir.resolve("sa.key"), pem("PRIVATE KEY", pair.getPrivate().getEncoded()));
      Files.writeString(workDir.resolve("sa.pub"), pem("PUBLIC KEY", pair.getPublic().getEncoded()));
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException(e);
    }
  }

  private static String pem(String type, byte[] der) {
    return "-----BEGIN " + type + "-----\n"
        + Base64.getMimeEncoder(64, "\n".getBytes(StandardCharsets.US_ASCII)).encodeToString(der)
        + "\n-----END " + type + "-----\n";
  }

  private Path writeKubeconfig() throws IOException {
    Path file = workDir.resolve("kubeconfig");
    Files.writeString(file, """
        apiVersion: v1
        kind: Config
        clusters:
        - name: orch-local
          cluster:
            server: %s
            insecure-skip-tls-verify: true
        users:
        - name: %s
          user:
            token: %s
        contexts:
        - name: orch-local
          context:
            cluster: orch-local
            user: %s
        current-context: orch-local
        """.formatted(serverUrl(), ADMIN_USER, adminToken, ADMIN_USER));
    return file;
  }

  public String serverUrl() {
    return "https://127.0.0.1:" + apiServerPort;
  }

  /** JSON-lines audit log of every write request the API server served. */
  public Path auditLog() {
    return workDir.resolve("audit.log");
  }

  @Override
  public Config adminConfig() {
    return new ConfigBuilder(Config.empty())
        .withMasterUrl(serverUrl())
        .withOauthToken(adminToken)
        .withTrustCerts(true)
        .withDisableHostnameVerification(true)
        .withRequestTimeout(30_000)
        .build();
  }

  @Override
  public Path kubeconfig() {
    return kubeconfig;
  }

  @Override
  public String describe() {
    return "local etcd + kube-apiserver" + (controllerManagerRunning ? " + kube-controller-manager" : "")
        + (node != null ? " + node " + LocalNode.NAME + " (logs in " + node.workDir() + ")" : "")
        + " at " + serverUrl() + " (logs in " + workDir + ")";
  }

  @Override
  public boolean runsPods() {
    return node != null;
  }

  @Override
  public void loadImages(List<String> images) {
    if (node == null) {
      throw new IllegalStateException("this control plane has no node to load images into; start it with startWithNode");
    }
    node.loadImages(images);
  }

  @Override
  public String logTail(int lines) {
    StringBuilder out = new StringBuilder();
    for (String component : List.of("etcd", "kube-apiserver", "kube-controller-manager")) {
      Path log = logFile(component);
      if (!Files.exists(log)) {
        continue;
      }
      try {
        List<String> all = Files.readAllLines(log, StandardCharsets.UTF_8);
        out.append("----- last ").append(Math.min(lines, all.size())).append(" lines of ").append(log).append('\n');
        all.subList(Math.max(0, all.size() - lines), all.size()).forEach(l -> out.append(l).append('\n'));
      } catch (IOException e) {
        out.append("(cannot read ").append(log).append(": ").append(e.getMessage()).append(")\n");
      }
    }
    return out.toString();
  }

  private Path logFile(String component) {
    return workDir.resolve(component + ".log");
  }

  @Override
  public void close() {
    stopProcesses();
    try {
      Runtime.getRuntime().removeShutdownHook(shutdownHook);
    } catch (IllegalStateException alreadyShuttingDown) {
      // the hook is running or has run; nothing left to do
    }
    deleteRecursively(workDir);
  }

  private synchronized void stopProcesses() {
    if (node != null) {
      node.close();
    }
    // Reverse order: controllers before the API server before etcd.
    List<Process> running = new ArrayList<>(processes.values());
    for (int i = running.size() - 1; i >= 0; i--) {
      stop(running.get(i));
    }
    processes.clear();
  }

  private static void stop(Process p) {
    p.destroy();
    try {
      if (!p.waitFor(10, TimeUnit.SECONDS)) {
        p.destroyForcibly().waitFor(5, TimeUnit.SECONDS);
      }
    } catch (InterruptedException e) {
      p.destroyForcibly();
      Thread.currentThread().interrupt();
    }
  }

  private static void deleteRecursively(Path dir) {
    if (System.getenv("ORCH_KEEP_CONTROL_PLANE_DIR") != null) {
      return;
    }
    try (var paths = Files.walk(dir)) {
      paths.sorted(java.util.Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
    } catch (IOException ignored) {
      // a leftover temp dir is harmless
    }
  }

  private static int freePort() {
    try (ServerSocket socket = new ServerSocket(0, 1, java.net.InetAddress.getLoopbackAddress())) {
      return socket.getLocalPort();
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  private static void sleep(Duration duration) {
    try {
      Thread.sleep(duration.toMillis());
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException(e);
    }
  }

  /** The API server's certificate is self-signed and made at startup; loopback-only, so trusting it is safe. */
  private static SSLContext trustAll() {
    try {
      SSLContext context = SSLContext.getInstance("TLS");
      context.init(null, new TrustManager[] {new X509TrustManager() {
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
      }}, new SecureRandom());
      return context;
    } catch (Exception e) {
      throw new IllegalStateException(e);
    }
  }

}
