package dev.orch.operator.core.config;

import java.util.Map;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.type.TypeReference;
import com.fasterxml.jackson.databind.ObjectMapper;

import io.fabric8.kubernetes.api.model.FieldsV1;

/**
 * A server-side-apply field set ({@code managedFields[].fieldsV1}) held as its JSON text and turned into maps
 * only when read. Every informer keeps one per object, and java-operator-sdk reads it only when it compares an
 * object with its desired state; as nested maps (one per field, with an entry and a key string each) a
 * Deployment's field set took tens of KiB of the cache, as text a few. Read-only: it describes an object
 * as the API server sent it.
 */
final class FieldSetText extends FieldsV1 {
  private static final ObjectMapper JSON = new ObjectMapper();
  private static final TypeReference<Map<String, Object>> FIELDS = new TypeReference<>() {
  };

  private final String json;

  FieldSetText(String json) {
    this.json = json;
  }

  @Override
  public Map<String, Object> getAdditionalProperties() {
    try {
      return JSON.readValue(json, FIELDS);
    } catch (JsonProcessingException e) {
      // The text is what Jackson itself wrote from a parsed object, so it always reads back.
      throw new IllegalStateException("a managed field set no longer reads as JSON: " + json, e);
    }
  }

  @Override
  public void setAdditionalProperty(String name, Object value) {
    throw new UnsupportedOperationException("a cached object's managed field set is read-only; copy it with edit()");
  }

  @Override
  public void setAdditionalProperties(Map<String, Object> additionalProperties) {
    throw new UnsupportedOperationException("a cached object's managed field set is read-only; copy it with edit()");
  }
}
