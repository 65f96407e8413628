package dev.orch.kubectl;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import io.fabric8.kubernetes.api.model.ConfigMap;
import io.fabric8.kubernetes.api.model.GenericKubernetesResource;
import io.fabric8.kubernetes.api.model.HasMetadata;
import io.fabric8.kubernetes.api.model.ObjectMetaBuilder;
import io.fabric8.kubernetes.api.model.OwnerReferenceBuilder;
import io.fabric8.kubernetes.client.KubernetesClientException;
import io.fabric8.kubernetes.client.dsl.Resource;
import picocli.CommandLine.Mixin;

/**
 * Deploy of any kind: pack the directory into the bundle ConfigMap, server-side apply it and the resource with
 * field manager kubectl-orch, the ConfigMap owned by the resource so that it goes with it, then optionally wait.
 *
 * <p>The ConfigMap is written before the resource: the operator then never sees a resource whose bundle is missing
 * (no BundleNotFound warning on a first deploy). A new resource has no UID before it is created, so a first deploy
 * writes the ConfigMap once more with its owner. Deploy forces conflicts: like `orch service deploy`, it states the
 * whole configuration; to let a GitOps tool own the objects instead, print them with --dry-run=client -o yaml.
 */
public abstract class DeployVerb extends Verb {
  @Mixin
  AgentOptions agent;

  @Mixin
  DeployFlags flags;

  protected abstract Kind kind();

  /** The kind's own spec fields, added after the shared ones. */
  protected abstract Map<String, Object> kindSpec();

  @Override
  public Integer call() {
    agent.checkSource();
    boolean clientDryRun = flags.clientDryRun();
    if (flags.output != null && !List.of("yaml", "json").contains(flags.output)) {
      throw new UserError("-o " + flags.output + " is not an output of deploy; use -o yaml or -o json");
    }
    BundleDirectory.Packed packed = agent.pack();
    String name = agent.resourceName(packed == null ? null : packed.manifest());
    String namespace = namespace();
    Map<String, Object> spec = agent.spec(name, namespace, packed);
    spec.putAll(kindSpec());
    GenericKubernetesResource resource = new GenericKubernetesResource();
    resource.setApiVersion(Kind.API_VERSION);
    resource.setKind(kind().kind());
    resource.setMetadata(new ObjectMetaBuilder().withName(name).withNamespace(namespace).build());
    resource.setAdditionalProperty("spec", spec);
    ConfigMap bundle = packed == null ? null : packed.configMap();
    if (bundle != null) {
      bundle.getMetadata().setName(AgentOptions.bundleName(name));
      bundle.getMetadata().setNamespace(namespace);
    }

    if (clientDryRun) {
      List<HasMetadata> objects = new ArrayList<>();
      if (bundle != null) {
        objects.add(bundle);
      }
      objects.add(resource);
      if ("json".equals(flags.output)) {
        Printer.print(out(), "json", objects);
      } else {
        Printer.printDocuments(out(), objects);
      }
      return 0;
    }

    List<HasMetadata> applied = apply(resource, bundle);
    String reference = kind().lowerCase() + "/" + name;
    if (flags.output != null) {
      Printer.print(out(), flags.output, applied);
    } else {
      out().println(reference + (flags.serverDryRun() ? " checked by the API server (server dry run)" : " deployed")
          + (packed == null ? "" : " with bundle configmap/" + bundle.getMetadata().getName() + " ("
              + packed.files().size() + (packed.files().size() == 1 ? " file" : " files")
              + (packed.archived() ? " in bundle.tar.gz" : "") + ")"));
      if (!flags.serverDryRun()) {
        out().println(nextSteps(name));
      }
      out().flush();
    }
    if (flags.wait && !flags.serverDryRun()) {
      return new StatusWaiter(client(), kind(), namespace, name, out(), err(), terminal()).await(flags.timeout());
    }
    return 0;
  }

  /** What to run next, as the reference CLI prints after a deploy. */
  protected String nextSteps(String name) {
    return "  status: kubectl orch info " + name + "\n  logs:   kubectl orch logs " + name;
  }

  private List<HasMetadata> apply(GenericKubernetesResource resource, ConfigMap bundle) {
    var resources = kind().in(client()).inNamespace(resource.getMetadata().getNamespace());
    String name = resource.getMetadata().getName();
    GenericKubernetesResource existing = flags.serverDryRun() ? null : resources.withName(name).get();
    List<HasMetadata> applied = new ArrayList<>();
    boolean newBundle = false;
    if (bundle != null) {
      if (existing != null) {
        ownBy(bundle, existing);
      } else if (!flags.serverDryRun()) {
        newBundle = client().configMaps().inNamespace(bundle.getMetadata().getNamespace()).withName(bundle.getMetadata()
            .getName()).get() == null;
      }
      applied.add(serverSideApply(client().configMaps().inNamespace(bundle.getMetadata().getNamespace()).resource(bundle)));
    }
    GenericKubernetesResource written;
    try {
      written = serverSideApply(resources.resource(resource));
    } catch (KubernetesClientException e) {
      if (newBundle) {
        // Not deployed after all: leave nothing behind that no resource owns.
        client().configMaps().inNamespace(bundle.getMetadata().getNamespace()).withName(bundle.getMetadata().getName())
            .delete();
      }
      throw e;
    }
    if (bundle != null && existing == null && !flags.serverDryRun()) {
      ownBy(bundle, written);
      applied.set(0, serverSideApply(client().configMaps().inNamespace(bundle.getMetadata().getNamespace())
          .resource(bundle)));
    }
    applied.add(written);
    return applied;
  }

  private <T extends HasMetadata> T serverSideApply(Resource<T> target) {
    return target.dryRun(flags.serverDryRun()).fieldManager(FIELD_MANAGER).forceConflicts().serverSideApply();
  }

  private static void ownBy(ConfigMap bundle, GenericKubernetesResource owner) {
    bundle.getMetadata().setOwnerReferences(List.of(new OwnerReferenceBuilder().withApiVersion(owner.getApiVersion())
        .withKind(owner.getKind()).withName(owner.getMetadata().getName()).withUid(owner.getMetadata().getUid())
        .build()));
  }

  /** A spec map with the given entries, skipping nulls, in order. */
  protected static Map<String, Object> fields(Object... keysAndValues) {
    Map<String, Object> fields = new LinkedHashMap<>();
    for (int i = 0; i < keysAndValues.length; i += 2) {
      if (keysAndValues[i + 1] != null) {
        fields.put((String) keysAndValues[i], keysAndValues[i + 1]);
      }
    }
    return fields;
  }
}
