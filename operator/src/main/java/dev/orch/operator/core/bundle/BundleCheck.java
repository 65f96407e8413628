package dev.orch.operator.core.bundle;

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;

import dev.orch.operator.agent.AgentTemplate;
import dev.orch.operator.agent.BundleManifest;
import dev.orch.operator.core.MetadataKeys;
import dev.orch.operator.core.status.Conditions;
import dev.orch.operator.core.status.EventRecorder;
import io.fabric8.kubernetes.api.model.Condition;
import io.fabric8.kubernetes.api.model.ConfigMap;

/**
 * Whether an agent's ConfigMap bundle is there for its pods to mount, and what the operator learns from it: the
 * secrets its orchagent.json requires and the digest of its files, which goes into the pod template so that an
 * edit of the code rolls fresh pods. Bundles of other kinds (url, git, image) are fetched by the pod and have
 * nothing to check here.
 *
 * @param problem why the agent cannot start yet, with the command that fixes it
 * @param podAnnotations pod-template annotations that change when the bundle's files do
 */
public record BundleCheck(Optional<Problem> problem, List<String> requiredSecrets, Map<String, String> podAnnotations) {
  private static final String NOT_FOUND = "BundleNotFound";
  private static final String NOT_LABELLED = "BundleNotLabelled";

  /** A condition reason and a message that says what to do. */
  public record Problem(String reason, String message) {
    /** Stalled: nothing changes until the user creates or labels the ConfigMap. */
    public Conditions.Verdict verdict() {
      return Conditions.Verdict.stalled(reason, message);
    }
  }

  /** Not a ConfigMap bundle: nothing to wait for. */
  public static BundleCheck notAConfigMap() {
    return new BundleCheck(Optional.empty(), List.of(), Map.of());
  }

  static BundleCheck found(ConfigMap bundle) {
    String manifest = bundle.getData() == null ? null : bundle.getData().get(BundleManifest.FILE);
    return new BundleCheck(Optional.empty(), manifest == null ? List.of() : BundleManifest.requiredSecrets(manifest),
        Map.of(MetadataKeys.BUNDLE_SHA256, digest(bundle)));
  }

  static BundleCheck notFound(String namespace, String name) {
    return problem(NOT_FOUND, "bundle ConfigMap " + namespace + "/" + name + " does not exist, so the agent has no code"
        + " to run; create it from the agent's files: kubectl -n " + namespace + " create configmap " + name
        + " --from-file=<agent-directory>/ && kubectl -n " + namespace + " label configmap " + name + " "
        + MetadataKeys.BUNDLE + "=true (or kubectl apply -k <agent-directory> with a configMapGenerator that sets"
        + " that label, as the examples do)");
  }

  static BundleCheck notLabelled(String namespace, String name) {
    return problem(NOT_LABELLED, "bundle ConfigMap " + namespace + "/" + name + " exists but lacks the label "
        + MetadataKeys.BUNDLE + "=true, so the operator does not watch it (it caches only labelled bundles) and"
        + " cannot roll the pods when it changes; add the label: kubectl -n " + namespace + " label configmap " + name
        + " " + MetadataKeys.BUNDLE + "=true (with kustomize, set it under generatorOptions.labels)");
  }

  private static BundleCheck problem(String reason, String message) {
    return new BundleCheck(Optional.of(new Problem(reason, message)), List.of(), Map.of());
  }

  public boolean satisfied() {
    return problem.isEmpty();
  }

  /** A warning event the first time the problem shows: when the status it replaces was not stalled by it already. */
  public Optional<EventRecorder.Notice> noticeAfter(List<Condition> previousConditions) {
    return problem.filter(p -> Conditions.find(previousConditions, Conditions.STALLED)
            .filter(c -> "True".equals(c.getStatus()) && p.reason().equals(c.getReason())).isEmpty())
        .map(p -> EventRecorder.Notice.warning(p.reason(), p.message()));
  }

  /** The bundle's ConfigMap name, when the agent's bundle is a ConfigMap. */
  static Optional<String> configMapName(AgentTemplate agent) {
    return Optional.ofNullable(agent.getBundle()).map(b -> b.configMap()).map(c -> c.name());
  }

  /** SHA-256 over every file's name and content, in name order: any edit of the code changes it. */
  static String digest(ConfigMap bundle) {
    try {
      MessageDigest sha256 = MessageDigest.getInstance("SHA-256");
      Map<String, String> text = bundle.getData() == null ? Map.of() : bundle.getData();
      Map<String, String> binary = bundle.getBinaryData() == null ? Map.of() : bundle.getBinaryData();
      for (var file : new TreeMap<>(text).entrySet()) {
        update(sha256, "data", file.getKey(), file.getValue());
      }
      for (var file : new TreeMap<>(binary).entrySet()) {
        update(sha256, "binaryData", file.getKey(), file.getValue());
      }
      return HexFormat.of().formatHex(sha256.digest());
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException("every Java runtime provides SHA-256", e);
    }
  }

  /** Length-prefixed parts, so that no two different bundles feed the digest the same bytes. */
  private static void update(MessageDigest sha256, String... parts) {
    for (String part : parts) {
      byte[] bytes = part.getBytes(StandardCharsets.UTF_8);
      sha256.update(ByteBuffer.allocate(Integer.BYTES).putInt(bytes.length).array());
      sha256.update(bytes);
    }
  }
}
