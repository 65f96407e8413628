package dev.orch.operator.reliability;

import io.fabric8.kubernetes.api.model.GenericKubernetesResource;
import io.fabric8.kubernetes.api.model.HasMetadata;
import io.fabric8.kubernetes.client.KubernetesClient;

/**
 * What the reliability tests apply and check, as plain YAML and generic objects: they exercise the packaged operator
 * from outside, as a user's kubectl would. Each AgentService carries a VERSION env value, so a test can tell from the
 * Deployment alone which change the operator has reconciled.
 */
final class Workload {
  private Workload() {
  }

  static String agentService(String name, String version, String moreSpec) {
    return """
        apiVersion: orch.dev/v1alpha1
        kind: AgentService
        metadata:
          name: %s
        spec:
          agent: acme/%s@1.0.0
          bundle:
            url: https://bundles.example.com/agent.tar.gz
          env:
            - name: VERSION
              value: %s
          requiredSecrets: [TOKEN]
        %s""".formatted(name, name, version, moreSpec.indent(2));
  }

  /** Server-side applies the YAML into the client's namespace, as the test's own field manager. */
  static void apply(KubernetesClient client, String yaml) {
    GenericKubernetesResource resource = client.getKubernetesSerialization().unmarshal(yaml, GenericKubernetesResource.class);
    resource.getMetadata().setNamespace(client.getNamespace());
    client.resource(resource).fieldManager("reliability-test").forceConflicts().serverSideApply();
  }

  /** Whether the object's pod template (a Deployment's, or a CronJob's job template) has VERSION=version. */
  static boolean carriesVersion(KubernetesClient client, HasMetadata object, String version) {
    return object != null && client.getKubernetesSerialization().asJson(object)
        .contains("{\"name\":\"VERSION\",\"value\":\"" + version + "\"}");
  }

  static boolean deployedWith(KubernetesClient client, String name, String version) {
    return carriesVersion(client, client.apps().deployments().withName(name).get(), version);
  }
}
