package dev.orch.kubectl;

import java.io.File;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;

/**
 * The kubeconfig as kubectl reads it (--kubeconfig, else the files $KUBECONFIG lists, merged with the first
 * definition of each name winning, else ~/.kube/config), for the connections the plugin makes without the fabric8
 * client: a server with its CA (or insecure-skip-tls-verify), and a bearer token, token file, client certificate or
 * basic auth.
 *
 * <p>Anything else is left to fabric8's client, which covers it: exec credential plugins, auth providers (OIDC),
 * impersonation, proxy-url and tls-server-name, HTTP(S)_PROXY in the environment, and no kubeconfig at all (in a pod,
 * the service account). {@link #connection} is empty then.
 */
final class Kubeconfig {
  private static final Set<String> USER_FIELDS = Set.of("token", "tokenFile", "client-certificate",
      "client-certificate-data", "client-key", "client-key-data", "username", "password", "extensions");
  private static final Set<String> CLUSTER_FIELDS = Set.of("server", "certificate-authority",
      "certificate-authority-data", "insecure-skip-tls-verify", "extensions", "disable-compression");
  private static final List<String> PROXY_VARIABLES = List.of("HTTPS_PROXY", "https_proxy", "HTTP_PROXY", "http_proxy");

  /**
   * Where and how to connect. Certificates are as the kubeconfig gives them: base64 PEM data, or the path of a PEM
   * file (resolved against the kubeconfig's directory).
   */
  record Connection(String server, String namespace, boolean insecure, String caData, String caFile,
      String clientCertData, String clientCertFile, String clientKeyData, String clientKeyFile, String token,
      String username, String password) {
  }

  private Kubeconfig() {
  }

  /**
   * The connection of the context (--context, else current-context), or empty when the fabric8 client has to make
   * it (see the class comment).
   *
   * @param explicit --kubeconfig, or null
   */
  static Optional<Connection> connection(File explicit, String context, Map<String, String> environment) {
    if (PROXY_VARIABLES.stream().anyMatch(v -> environment.get(v) != null && !environment.get(v).isEmpty())) {
      return Optional.empty();
    }
    List<Path> files = files(explicit, environment);
    if (files.isEmpty()) {
      return Optional.empty();
    }
    Map<String, Map<String, Object>> clusters = new LinkedHashMap<>();
    Map<String, Map<String, Object>> users = new LinkedHashMap<>();
    Map<String, Map<String, Object>> contexts = new LinkedHashMap<>();
    String currentContext = null;
    for (Path file : files) {
      Object document = read(file);
      if (!(document instanceof Map<?, ?>)) {
        continue;
      }
      Path directory = file.toAbsolutePath().getParent();
      collect(document, "clusters", "cluster", directory, clusters);
      collect(document, "users", "user", directory, users);
      collect(document, "contexts", "context", directory, contexts);
      String current = Fields.string(document, "current-context");
      if (currentContext == null && current != null && !current.isEmpty()) {
        currentContext = current;
      }
    }
    Map<String, Object> chosen = contexts.get(context != null ? context : currentContext);
    if (chosen == null) {
      return Optional.empty();
    }
    Map<String, Object> cluster = clusters.get(Fields.string(chosen, "cluster"));
    Map<String, Object> user = users.getOrDefault(Fields.string(chosen, "user"), Map.of());
    if (cluster == null || Fields.string(cluster, "server") == null || !CLUSTER_FIELDS.containsAll(cluster.keySet())
        || !USER_FIELDS.containsAll(user.keySet())) {
      return Optional.empty();
    }
    String token = Fields.string(user, "token");
    if ((token == null || token.isEmpty()) && Fields.string(user, "tokenFile") != null) {
      token = readString(Path.of(Fields.string(user, "tokenFile"))).strip();
    }
    String namespace = Fields.string(chosen, "namespace");
    return Optional.of(new Connection(Fields.string(cluster, "server").replaceAll("/+$", ""),
        namespace == null || namespace.isEmpty() ? null : namespace, Fields.isTrue(cluster, "insecure-skip-tls-verify"),
        Fields.string(cluster, "certificate-authority-data"), Fields.string(cluster, "certificate-authority"),
        Fields.string(user, "client-certificate-data"), Fields.string(user, "client-certificate"),
        Fields.string(user, "client-key-data"), Fields.string(user, "client-key"), token == null || token.isEmpty()
            ? null : token, Fields.string(user, "username"), Fields.string(user, "password")));
  }

  private static List<Path> files(File explicit, Map<String, String> environment) {
    if (explicit != null) {
      return List.of(explicit.toPath());
    }
    String variable = environment.get("KUBECONFIG");
    List<Path> files = new ArrayList<>();
    if (variable != null && !variable.isEmpty()) {
      for (String entry : variable.split(File.pathSeparator)) {
        if (!entry.isEmpty() && Files.isRegularFile(Path.of(entry))) {
          files.add(Path.of(entry));
        }
      }
      return files;
    }
    Path home = Path.of(System.getProperty("user.home"), ".kube", "config");
    return Files.isRegularFile(home) ? List.of(home) : List.of();
  }

  /** Each named entry of the list the first time its name appears, with its file paths made absolute. */
  private static void collect(Object document, String list, String field, Path directory,
      Map<String, Map<String, Object>> into) {
    for (Map<String, Object> entry : Fields.objects(document, list)) {
      Map<String, Object> value = Fields.object(entry, field);
      String name = Fields.string(entry, "name");
      if (name != null && !into.containsKey(name)) {
        into.put(name, resolvePaths(value == null ? Map.of() : value, directory));
      }
    }
  }

  private static Map<String, Object> resolvePaths(Map<String, Object> entry, Path directory) {
    Map<String, Object> resolved = new LinkedHashMap<>(entry);
    for (String key : List.of("certificate-authority", "client-certificate", "client-key", "tokenFile")) {
      if (resolved.get(key) instanceof String path && !path.isEmpty()) {
        resolved.put(key, directory.resolve(path).toString());
      }
    }
    return resolved;
  }

  private static Object read(Path file) {
    try (InputStream in = Files.newInputStream(file)) {
      return JsonTree.yaml(in);
    } catch (IOException e) {
      throw new UserError("cannot read the kubeconfig " + file + " (" + e.getMessage() + "); fix the file or pass"
          + " another with --kubeconfig");
    }
  }

  private static String readString(Path file) {
    try {
      return Files.readString(file);
    } catch (IOException e) {
      throw new UserError("cannot read the kubeconfig's tokenFile " + file + " (" + e.getMessage() + "); fix the"
          + " user's tokenFile or pick another --context");
    }
  }
}
