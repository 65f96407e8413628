package dev.orch.operator.core.config;

import java.io.IOException;
import java.util.ArrayList;
import java.util.List;

import jakarta.inject.Singleton;

import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonToken;
import com.fasterxml.jackson.databind.DeserializationContext;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.annotation.JsonDeserialize;
import com.fasterxml.jackson.databind.deser.std.StdDeserializer;
import com.fasterxml.jackson.databind.node.ObjectNode;

import io.fabric8.kubernetes.api.model.ManagedFieldsEntry;
import io.fabric8.kubernetes.api.model.ObjectMeta;
import io.quarkus.kubernetes.client.KubernetesClientObjectMapperCustomizer;

/**
 * The operator's client keeps, of every object's {@code metadata.managedFields}, only the server-side-apply
 * entries of the object itself. java-operator-sdk compares a dependent's desired state with the fields its
 * own apply entry lists, so that entry must stay; the rest (each controller's and kubelet's update entries,
 * status subresource entries) mirrors the fields each wrote as nested maps, often as large as the object itself,
 * and nothing reads it. Done when JSON is read rather than in the informers' item stores because
 * java-operator-sdk shares one item store among the informers of several watched namespaces.
 *
 * <p>The kept entry's field set stays compressed JSON ({@link CompressedFieldSet}) until java-operator-sdk compares: as the
 * nested maps Jackson would make of it, a Deployment's entry was the largest part of its cached copy.
 */
@Singleton
public class AppliedFieldsOnly implements KubernetesClientObjectMapperCustomizer {
  static final String APPLY = "Apply";

  @Override
  public void customize(ObjectMapper mapper) {
    install(mapper);
  }

  public static ObjectMapper install(ObjectMapper mapper) {
    return mapper.addMixIn(ObjectMeta.class, ObjectMetaReading.class);
  }

  abstract static class ObjectMetaReading {
    @JsonDeserialize(using = Entries.class)
    abstract void setManagedFields(List<ManagedFieldsEntry> managedFields);
  }

  static final class Entries extends StdDeserializer<List<ManagedFieldsEntry>> {
    Entries() {
      super(List.class);
    }

    @Override
    public List<ManagedFieldsEntry> deserialize(JsonParser parser, DeserializationContext context) throws IOException {
      if (!parser.isExpectedStartArrayToken()) {
        return context.reportInputMismatch(this, "metadata.managedFields must be a list, not %s", parser.currentToken());
      }
      List<ManagedFieldsEntry> kept = new ArrayList<>();
      while (parser.nextToken() != JsonToken.END_ARRAY) {
        JsonNode entry = context.readTree(parser);
        if (APPLY.equals(entry.path("operation").asText()) && entry.path("subresource").asText().isEmpty()
            && entry instanceof ObjectNode fields) {
          JsonNode fieldSet = fields.remove("fieldsV1");
          ManagedFieldsEntry applied = context.readTreeAsValue(fields, ManagedFieldsEntry.class);
          if (fieldSet != null && fieldSet.isObject()) {
            applied.setFieldsV1(new CompressedFieldSet(fieldSet));
          }
          kept.add(applied);
        }
      }
      return kept;
    }
  }
}
