package dev.orch.kubectl;

import java.io.ByteArrayInputStream;
import java.io.File;
import java.io.IOException;
import java.net.HttpURLConnection;
import java.nio.charset.StandardCharsets;
import java.util.Map;
import java.util.Optional;

import io.fabric8.kubernetes.api.model.StatusBuilder;
import io.fabric8.kubernetes.client.Config;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientBuilder;
import io.fabric8.kubernetes.client.KubernetesClientException;
import picocli.CommandLine.Option;
import picocli.CommandLine.ScopeType;

/**
 * kubectl's connection flags, inherited by every verb. Connections are made on first use only: --help, completion
 * and --dry-run=client never read a kubeconfig or load the HTTP stack, which keeps them instant. Reads go through
 * {@link #reader(boolean)}, which skips the fabric8 client for the verbs that only read when the kubeconfig allows it.
 */
public final class Cluster implements AutoCloseable {
  @Option(names = "--kubeconfig", scope = ScopeType.INHERIT, paramLabel = "FILE",
      description = "Path to the kubeconfig file (default: $KUBECONFIG, then ~/.kube/config).")
  File kubeconfig;

  @Option(names = "--context", scope = ScopeType.INHERIT, paramLabel = "NAME",
      description = "The kubeconfig context to use.")
  String context;

  @Option(names = {"-n", "--namespace"}, scope = ScopeType.INHERIT, paramLabel = "NAMESPACE",
      description = "The namespace (default: the context's namespace, else default).")
  String namespace;

  /** The kubeconfig's connection as {@link Kubeconfig} reads it; empty when fabric8's client has to make it. */
  private Optional<Kubeconfig.Connection> connection;
  private Config config;
  private KubernetesClient client;
  private HttpApiReader httpReader;

  /** The namespace the command works in: -n, else the kubeconfig context's, else default. */
  public String namespace() {
    if (namespace != null) {
      return namespace;
    }
    String fromConfig = connection().isPresent() ? connection().get().namespace() : config().getNamespace();
    return fromConfig == null ? "default" : fromConfig;
  }

  /** The API server's address, once a kubeconfig was read. */
  public Optional<String> server() {
    if (connection != null && connection.isPresent()) {
      return connection.map(Kubeconfig.Connection::server);
    }
    return Optional.ofNullable(config).map(Config::getMasterUrl);
  }

  /**
   * How verbs read. A verb that only reads goes through the JDK's HTTP client when the kubeconfig allows it (see
   * {@link Kubeconfig}), which saves setting up fabric8's client; otherwise through fabric8's client, which a verb
   * that writes sets up anyway.
   */
  public ApiReader reader(boolean readsOnly) {
    if (readsOnly && connection().isPresent()) {
      if (httpReader == null) {
        httpReader = new HttpApiReader(connection().get());
      }
      return httpReader;
    }
    return this::getThroughClient;
  }

  private Map<String, Object> getThroughClient(String path) {
    String body = client().raw(path);
    if (body == null) {
      // fabric8's raw() answers a 404 with null, not with the API server's Status.
      throw new KubernetesClientException(new StatusBuilder().withCode(HttpURLConnection.HTTP_NOT_FOUND)
          .withMessage("the server could not find the requested resource (GET " + path + ")").build());
    }
    try {
      return Fields.object(JsonTree.json(new ByteArrayInputStream(body.getBytes(StandardCharsets.UTF_8))));
    } catch (IOException e) {
      throw new KubernetesClientException("the API server answered GET " + path + " with no JSON: " + e, e);
    }
  }

  private Optional<Kubeconfig.Connection> connection() {
    if (connection == null) {
      checkKubeconfigExists();
      connection = Kubeconfig.connection(kubeconfig, context, System.getenv());
    }
    return connection;
  }

  public KubernetesClient client() {
    if (client == null) {
      client = new KubernetesClientBuilder().withConfig(config()).build();
    }
    return client;
  }

  private Config config() {
    if (config == null) {
      if (kubeconfig != null) {
        checkKubeconfigExists();
        config = Config.fromKubeconfig(context, kubeconfig);
      } else {
        config = Config.autoConfigure(context);
      }
    }
    return config;
  }

  private void checkKubeconfigExists() {
    if (kubeconfig != null && !kubeconfig.isFile()) {
      throw new UserError("kubeconfig " + kubeconfig + " does not exist; pass the path of a kubeconfig file to"
          + " --kubeconfig");
    }
  }

  @Override
  public void close() {
    if (client != null) {
      client.close();
    }
  }
}
