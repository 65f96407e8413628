package dev.orch.operator.crd;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.Comparator;
import java.util.List;
import java.util.stream.Stream;

import dev.orch.operator.agentservice.AgentService;
import dev.orch.operator.schedule.Schedule;
import dev.orch.operator.swarm.Swarm;
import io.fabric8.crd.generator.annotation.AdditionalPrinterColumn;
import io.fabric8.kubernetes.api.model.apiextensions.v1.CustomResourceColumnDefinition;
import io.fabric8.kubernetes.api.model.apiextensions.v1.CustomResourceDefinition;
import io.fabric8.kubernetes.client.utils.KubernetesSerialization;

/**
 * Build step after CRD generation: fabric8's generator sorts printer columns by name, but kubectl shows
 * them in CRD order, and users read Name, Agent, State... left to right. Reorders each generated CRD's
 * columns to the order the {@link AdditionalPrinterColumn} annotations are declared on the kind's class.
 */
public final class PrinterColumnOrder {
  private static final List<Class<?>> KINDS = List.of(AgentService.class, Swarm.class, Schedule.class);

  private PrinterColumnOrder() {
  }

  public static void main(String[] args) throws IOException {
    Path directory = Path.of(args[0]);
    KubernetesSerialization serialization = new KubernetesSerialization();
    try (Stream<Path> files = Files.list(directory)) {
      for (Path file : files.filter(f -> f.toString().endsWith(".yml")).toList()) {
        CustomResourceDefinition crd = serialization.unmarshal(Files.readString(file), CustomResourceDefinition.class);
        List<String> declared = declaredColumns(crd.getSpec().getNames().getKind());
        crd.getSpec().getVersions().forEach(version -> version.getAdditionalPrinterColumns()
            .sort(Comparator.comparingInt((CustomResourceColumnDefinition c) -> declared.indexOf(c.getName()))));
        crd.setStatus(null);
        Files.writeString(file, "# Generated from the model classes by `make crds`; edit the classes, not this file.\n"
            + serialization.asYaml(crd).replaceFirst("^---\n", ""));
      }
    }
  }

  private static List<String> declaredColumns(String kind) {
    Class<?> kindClass = KINDS.stream().filter(k -> k.getSimpleName().equals(kind)).findFirst()
        .orElseThrow(() -> new IllegalStateException("no model class for generated CRD kind " + kind + "; add it to KINDS"));
    return Arrays.stream(kindClass.getAnnotationsByType(AdditionalPrinterColumn.class)).map(AdditionalPrinterColumn::name).toList();
  }
}
