package dev.orch.kubectl;

import java.io.File;
import java.util.Optional;

import io.fabric8.kubernetes.client.Config;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientBuilder;
import picocli.CommandLine.Option;
import picocli.CommandLine.ScopeType;

/**
 * kubectl's connection flags, inherited by every verb. The client is made on first use only: --help, completion
 * and --dry-run=client never read a kubeconfig or load the HTTP stack, which keeps them instant.
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

  private Config config;
  private KubernetesClient client;

  /** The namespace the command works in: -n, else the kubeconfig context's, else default. */
  public String namespace() {
    if (namespace != null) {
      return namespace;
    }
    String fromConfig = config().getNamespace();
    return fromConfig == null ? "default" : fromConfig;
  }

  /** The API server's address, once a kubeconfig was read. */
  public Optional<String> server() {
    return Optional.ofNullable(config).map(Config::getMasterUrl);
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
        if (!kubeconfig.isFile()) {
          throw new UserError("kubeconfig " + kubeconfig + " does not exist; pass the path of a kubeconfig file to"
              + " --kubeconfig");
        }
        config = Config.fromKubeconfig(context, kubeconfig);
      } else {
        config = Config.autoConfigure(context);
      }
    }
    return config;
  }

  @Override
  public void close() {
    if (client != null) {
      client.close();
    }
  }
}
