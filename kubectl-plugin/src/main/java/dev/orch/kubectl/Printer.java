package dev.orch.kubectl;

import java.io.PrintWriter;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;
import com.fasterxml.jackson.dataformat.yaml.YAMLGenerator;
import io.fabric8.kubernetes.api.model.HasMetadata;
import io.fabric8.kubernetes.client.utils.Serialization;

/** -o json and -o yaml as kubectl prints them: one object as itself, several as a v1 List. */
public final class Printer {
  private static final ObjectMapper YAML = new ObjectMapper(YAMLFactory.builder()
      .enable(YAMLGenerator.Feature.MINIMIZE_QUOTES)
      .enable(YAMLGenerator.Feature.ALWAYS_QUOTE_NUMBERS_AS_STRINGS)
      .disable(YAMLGenerator.Feature.SPLIT_LINES)
      .build()).setSerializationInclusion(JsonInclude.Include.NON_NULL);
  private Printer() {
  }

  public static void print(PrintWriter out, String format, List<?> objects) {
    printDocument(out, format, objects.size() == 1 ? objects.get(0) : list(objects));
  }

  /** A v1 List even of one object, as `kubectl get` prints a listing. */
  public static void printList(PrintWriter out, String format, List<?> objects) {
    printDocument(out, format, list(objects));
  }

  /** Any document, such as one field of a resource (rollout status -o json prints status.rollout). */
  public static void printDocument(PrintWriter out, String format, Object document) {
    switch (format) {
      case "json" -> out.println(json(document));
      case "yaml" -> out.print(yaml(document));
      default -> throw new UserError("unknown output format " + format + "; use -o json or -o yaml");
    }
    out.flush();
  }

  /** Objects as YAML documents, for `kubectl apply -f -` and GitOps repositories. */
  public static void printDocuments(PrintWriter out, List<? extends HasMetadata> objects) {
    for (HasMetadata object : objects) {
      out.print(yaml(object));
    }
    out.flush();
  }

  /** YAML as kubectl writes it: strings quoted only where YAML would read them as something else. */
  public static String yaml(Object document) {
    try {
      return YAML.writeValueAsString(document);
    } catch (JsonProcessingException e) {
      throw new IllegalStateException("Kubernetes objects always serialize", e);
    }
  }

  public static String json(Object document) {
    try {
      return Serialization.jsonMapper().writerWithDefaultPrettyPrinter().writeValueAsString(document);
    } catch (JsonProcessingException e) {
      throw new IllegalStateException("Kubernetes objects always serialize", e);
    }
  }

  private static Map<String, Object> list(List<?> objects) {
    Map<String, Object> list = new LinkedHashMap<>();
    list.put("apiVersion", "v1");
    list.put("kind", "List");
    list.put("items", objects);
    list.put("metadata", Map.of("resourceVersion", ""));
    return list;
  }
}
