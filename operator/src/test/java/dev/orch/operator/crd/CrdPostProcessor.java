package dev.orch.operator.crd;

import java.io.IOException;
import java.lang.reflect.ParameterizedType;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;

import com.fasterxml.jackson.annotation.JsonClassDescription;
import dev.orch.operator.agentservice.AgentService;
import dev.orch.operator.schedule.Schedule;
import dev.orch.operator.swarm.Swarm;
import io.fabric8.crd.generator.annotation.AdditionalPrinterColumn;
import io.fabric8.kubernetes.api.model.apiextensions.v1.CustomResourceColumnDefinition;
import io.fabric8.kubernetes.api.model.apiextensions.v1.CustomResourceDefinition;
import io.fabric8.kubernetes.api.model.apiextensions.v1.JSONSchemaProps;
import io.fabric8.kubernetes.client.utils.KubernetesSerialization;

/**
 * Build step after CRD generation, for what fabric8's generator does not do:
 * <ul>
 * <li>it sorts printer columns by name, but kubectl shows them in CRD order, and users read Name, Agent,
 * State... left to right: the columns are put in the order the {@link AdditionalPrinterColumn} annotations are
 * declared on the kind's class;
 * <li>it takes descriptions from properties only, so {@code kubectl explain agentservice} showed nothing for the
 * kind, {@code spec} and {@code status}: those come from the {@link JsonClassDescription} of the kind's class
 * and of its spec and status classes.
 * </ul>
 */
public final class CrdPostProcessor {
  private static final List<Class<?>> KINDS = List.of(AgentService.class, Swarm.class, Schedule.class);

  private CrdPostProcessor() {
  }

  public static void main(String[] args) throws IOException {
    Path directory = Path.of(args[0]);
    KubernetesSerialization serialization = new KubernetesSerialization();
    try (Stream<Path> files = Files.list(directory)) {
      for (Path file : files.filter(f -> f.toString().endsWith(".yml")).toList()) {
        CustomResourceDefinition crd = serialization.unmarshal(Files.readString(file), CustomResourceDefinition.class);
        Class<?> kind = kindClass(crd.getSpec().getNames().getKind());
        List<String> declared = Arrays.stream(kind.getAnnotationsByType(AdditionalPrinterColumn.class))
            .map(AdditionalPrinterColumn::name).toList();
        crd.getSpec().getVersions().forEach(version -> {
          version.getAdditionalPrinterColumns()
              .sort(Comparator.comparingInt((CustomResourceColumnDefinition c) -> declared.indexOf(c.getName())));
          describe(version.getSchema().getOpenAPIV3Schema(), kind);
        });
        crd.setStatus(null);
        Files.writeString(file, "# Generated from the model classes by `make crds`; edit the classes, not this file.\n"
            + serialization.asYaml(crd).replaceFirst("^---\n", ""));
      }
    }
  }

  private static void describe(JSONSchemaProps root, Class<?> kind) {
    root.setDescription(description(kind));
    var typeArguments = ((ParameterizedType) kind.getGenericSuperclass()).getActualTypeArguments();
    Map<String, JSONSchemaProps> properties = root.getProperties();
    properties.get("spec").setDescription(description((Class<?>) typeArguments[0]));
    properties.get("status").setDescription(description((Class<?>) typeArguments[1]));
  }

  private static String description(Class<?> type) {
    JsonClassDescription description = type.getAnnotation(JsonClassDescription.class);
    if (description == null) {
      throw new IllegalStateException(type.getName() + " needs a @JsonClassDescription: kubectl explain shows it");
    }
    return description.value();
  }

  private static Class<?> kindClass(String kind) {
    return KINDS.stream().filter(k -> k.getSimpleName().equals(kind)).findFirst()
        .orElseThrow(() -> new IllegalStateException("no model class for generated CRD kind " + kind + "; add it to KINDS"));
  }
}
