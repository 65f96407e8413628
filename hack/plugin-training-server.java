// The API server of kubectl-orch's class-data training runs (hack/kubectl-plugin.sh runs it with `java FILE`):
// canned answers over TLS on a loopback port, so that `make plugin` records the classes a read verb loads (the TLS
// handshake, certificate checks, JSON) without a cluster. Arguments: the PKCS12 key store, its password, and the file
// to write the port to; it serves until stdin closes.
import com.sun.net.httpserver.HttpsConfigurator;
import com.sun.net.httpserver.HttpsServer;
import java.io.FileInputStream;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.KeyStore;
import javax.net.ssl.KeyManagerFactory;
import javax.net.ssl.SSLContext;

public class PluginTrainingServer {
  private static final String TIME = "2026-01-01T00:00:00Z";
  private static final String CONDITIONS = "[" + condition("Ready", "True") + "," + condition("Reconciling", "False")
      + "," + condition("Stalled", "False") + "]";
  private static final String SERVICE = """
      {"apiVersion":"orch.dev/v1alpha1","kind":"AgentService","metadata":{"name":"training","namespace":"default",
      "uid":"00000000-0000-0000-0000-000000000001","resourceVersion":"1","generation":1,"creationTimestamp":"%1$s",
      "managedFields":[{"manager":"kubectl-orch","operation":"Apply","apiVersion":"orch.dev/v1alpha1","time":"%1$s",
      "fieldsType":"FieldsV1","fieldsV1":{"f:spec":{"f:agent":{}}}}]},
      "spec":{"agent":"acme/training@1.0.0","bundle":{"configMap":{"name":"training-bundle"}},"minInstances":1,
      "env":[{"name":"LOG_LEVEL","value":"info"}],"requiredSecrets":["TOKEN"]},
      "status":{"observedGeneration":1,"state":"running","health":"healthy","restartCount":2,
      "consecutiveRestartFailures":0,"readyInstances":1,"deployedAt":"%1$s","url":"https://training.example.com",
      "lastError":"exit code 1\\nTraceback","conditions":%2$s}}""".formatted(TIME, CONDITIONS);
  private static final String EVENT = """
      {"apiVersion":"v1","kind":"Event","metadata":{"name":"training.1","namespace":"default","creationTimestamp":"%1$s"},
      "involvedObject":{"kind":"AgentService","name":"training"},"reason":"Deployed","message":"deployed",
      "type":"Normal","count":2,"lastTimestamp":"%1$s"}""".formatted(TIME);

  public static void main(String[] args) throws Exception {
    KeyStore keys = KeyStore.getInstance("PKCS12");
    try (FileInputStream in = new FileInputStream(args[0])) {
      keys.load(in, args[1].toCharArray());
    }
    KeyManagerFactory keyManagers = KeyManagerFactory.getInstance(KeyManagerFactory.getDefaultAlgorithm());
    keyManagers.init(keys, args[1].toCharArray());
    SSLContext tls = SSLContext.getInstance("TLS");
    tls.init(keyManagers.getKeyManagers(), null, null);
    HttpsServer server = HttpsServer.create(new InetSocketAddress("127.0.0.1", 0), 0);
    server.setHttpsConfigurator(new HttpsConfigurator(tls));
    server.createContext("/", exchange -> {
      String path = exchange.getRequestURI().getPath();
      String body;
      int code = 200;
      if (path.equals("/apis/orch.dev/v1alpha1/namespaces/default/agentservices")) {
        body = "{\"apiVersion\":\"orch.dev/v1alpha1\",\"kind\":\"AgentServiceList\",\"metadata\":{},\"items\":["
            + SERVICE + "]}";
      } else if (path.equals("/apis/orch.dev/v1alpha1/namespaces/default/agentservices/training")) {
        body = SERVICE;
      } else if (path.equals("/api/v1/namespaces/default/events")) {
        body = "{\"apiVersion\":\"v1\",\"kind\":\"EventList\",\"metadata\":{},\"items\":[" + EVENT + "]}";
      } else {
        code = 404;
        body = "{\"kind\":\"Status\",\"apiVersion\":\"v1\",\"status\":\"Failure\",\"message\":\"" + path
            + " not found\",\"reason\":\"NotFound\",\"code\":404}";
      }
      byte[] bytes = body.getBytes(StandardCharsets.UTF_8);
      exchange.getResponseHeaders().set("Content-Type", "application/json");
      exchange.sendResponseHeaders(code, bytes.length);
      exchange.getResponseBody().write(bytes);
      exchange.close();
    });
    server.start();
    Path portFile = Path.of(args[2]);
    Files.writeString(Path.of(args[2] + ".partial"), String.valueOf(server.getAddress().getPort()));
    Files.move(Path.of(args[2] + ".partial"), portFile);
    while (System.in.read() >= 0) {
      // serves until the script closes stdin
    }
    server.stop(0);
  }

  private static String condition(String type, String status) {
    return "{\"type\":\"" + type + "\",\"status\":\"" + status + "\",\"reason\":\"Available\",\"message\":\"1 of 1"
        + " instances ready\",\"lastTransitionTime\":\"" + TIME + "\"}";
  }
}
