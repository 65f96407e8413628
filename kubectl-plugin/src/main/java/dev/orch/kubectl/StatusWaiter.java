package dev.orch.kubectl;

import java.io.PrintWriter;
import java.time.Duration;
import java.time.Instant;
import java.util.Map;
import java.util.Objects;

import io.fabric8.kubernetes.api.model.GenericKubernetesResource;
import io.fabric8.kubernetes.client.KubernetesClient;

/**
 * --wait: follows a resource's kstatus conditions until the operator has seen the current generation and says Ready
 * (exit 0) or Stalled (exit 1), printing each new Reconciling reason on the way.
 */
final class StatusWaiter {
  private static final Duration POLL = Duration.ofMillis(500);

  private final KubernetesClient client;
  private final Kind kind;
  private final String namespace;
  private final String name;
  private final PrintWriter out;
  private final PrintWriter err;
  private final Terminal terminal;

  StatusWaiter(KubernetesClient client, Kind kind, String namespace, String name, PrintWriter out, PrintWriter err,
      Terminal terminal) {
    this.client = client;
    this.kind = kind;
    this.namespace = namespace;
    this.name = name;
    this.out = out;
    this.err = err;
    this.terminal = terminal;
  }

  int await(Duration timeout) {
    Instant deadline = Instant.now().plus(timeout);
    String reference = kind.lowerCase() + "/" + name;
    String lastProgress = null;
    GenericKubernetesResource resource = null;
    while (Instant.now().isBefore(deadline)) {
      resource = kind.in(client).inNamespace(namespace).withName(name).get();
      if (resource == null) {
        throw new UserError(reference + " was deleted while waiting for it");
      }
      if (observedCurrentGeneration(resource)) {
        Map<String, Object> stalled = Fields.condition(resource, "Stalled");
        if (stalled != null && "True".equals(stalled.get("status"))) {
          err.println("error: " + reference + " is " + terminal.state("Stalled") + ": " + stalled.get("reason") + ": "
              + stalled.get("message"));
          err.flush();
          return KubectlOrch.FAILED;
        }
        Map<String, Object> ready = Fields.condition(resource, "Ready");
        if (ready != null && "True".equals(ready.get("status"))) {
          out.println(reference + " is " + terminal.state("Ready") + ": " + ready.get("message"));
          out.flush();
          return 0;
        }
        String progress = describe(Fields.condition(resource, "Reconciling"), ready);
        if (progress != null && !Objects.equals(progress, lastProgress)) {
          err.println("waiting for " + reference + ": " + progress);
          err.flush();
          lastProgress = progress;
        }
      }
      try {
        Thread.sleep(POLL.toMillis());
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        throw new UserError("interrupted while waiting for " + reference);
      }
    }
    Map<String, Object> ready = resource == null ? null : Fields.condition(resource, "Ready");
    throw new UserError("timed out after " + timeout.toSeconds() + "s waiting for " + reference + " to be Ready"
        + (ready == null ? " (the operator has not written its status: is orch-operator running?)"
            : " (Ready is " + ready.get("status") + ": " + ready.get("reason") + ": " + ready.get("message") + ")")
        + "; see kubectl orch info " + (kind == Kind.AGENT_SERVICE ? name : reference) + ", or wait longer with --timeout");
  }

  private static boolean observedCurrentGeneration(GenericKubernetesResource resource) {
    Long observed = Fields.number(resource, "status", "observedGeneration");
    Long generation = resource.getMetadata().getGeneration();
    return observed != null && (generation == null || observed >= generation);
  }

  private static String describe(Map<String, Object> reconciling, Map<String, Object> ready) {
    Map<String, Object> condition = reconciling != null && "True".equals(reconciling.get("status")) ? reconciling : ready;
    return condition == null ? null : condition.get("reason") + ": " + condition.get("message");
  }
}
