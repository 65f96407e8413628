package dev.orch.kubectl;

import java.io.PrintWriter;
import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.Map;
import java.util.concurrent.Callable;

import io.fabric8.kubernetes.client.KubernetesClient;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Spec;

/** What every verb shares: the connection flags of the root command, stdout/stderr and the terminal's colours. */
public abstract class Verb implements Callable<Integer> {
  public static final String FIELD_MANAGER = "kubectl-orch";

  @Spec
  protected CommandSpec spec;

  protected KubectlOrch root() {
    return (KubectlOrch) spec.root().userObject();
  }

  protected Cluster cluster() {
    return root().cluster;
  }

  /**
   * Whether the verb only reads: such a verb reads through the kubeconfig's own HTTP path when it can (see
   * {@link Cluster#reader(boolean)}); a verb that writes reads through fabric8's client too, so that a run makes
   * one connection, not two.
   */
  protected boolean readsOnly() {
    return false;
  }

  /** How this verb reads resources. */
  protected ApiReader reader() {
    return cluster().reader(readsOnly());
  }

  protected KubernetesClient client() {
    return cluster().client();
  }

  protected String namespace() {
    return cluster().namespace();
  }

  protected PrintWriter out() {
    return spec.commandLine().getOut();
  }

  protected PrintWriter err() {
    return spec.commandLine().getErr();
  }

  protected Terminal terminal() {
    return root().terminal;
  }

  /**
   * Sets a request annotation (restart, trigger, sleep, promote...) to the current time and returns the value. The
   * operator acts on each value once, so a request must differ from the last: the full clock precision keeps two
   * requests in the same second apart, which `kubectl rollout restart`'s seconds would not.
   */
  protected String requestNow(Kind kind, String name, String annotation) {
    return requestNow(kind, name, annotation, "");
  }

  /** {@link #requestNow(Kind, String, String)} with the time after {@code prefix} (orch.dev/promote=full-TIME). */
  protected String requestNow(Kind kind, String name, String annotation, String prefix) {
    String value = prefix + Instant.now();
    Patches.mergeMetadataAnnotation(client(), kind, namespace(), name, annotation, value);
    return value;
  }

  /** The resource as a JSON object (read with {@link Fields}), or a UserError that says how to find the right name. */
  protected Map<String, Object> require(Kind kind, String name) {
    Map<String, Object> resource = reader().find(ApiReader.collection(kind, namespace()) + "/"
        + URLEncoder.encode(name, StandardCharsets.UTF_8));
    if (resource == null) {
      throw new UserError(kind.lowerCase() + " \"" + name + "\" not found in namespace " + namespace() + "; list them with"
          + " kubectl orch " + (kind == Kind.AGENT_SERVICE ? "list" : "list " + kind.lowerCase() + "s") + " -n " + namespace()
          + " (or kubectl get " + kind.lowerCase() + "s)");
    }
    return resource;
  }
}
