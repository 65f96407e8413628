package dev.orch.operator.core.config;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.Map;
import java.util.zip.Deflater;
import java.util.zip.DeflaterOutputStream;
import java.util.zip.InflaterInputStream;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.type.TypeReference;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;

import io.fabric8.kubernetes.api.model.FieldsV1;

/**
 * A server-side-apply field set ({@code managedFields[].fieldsV1}) held as compressed JSON and turned into maps
 * only when read. Every informer keeps one per object, and java-operator-sdk reads it only when it compares an
 * object with its desired state; as nested maps (one per field, with an entry and a key string each) a
 * Deployment's field set took tens of KiB of the cache, as JSON text a few, compressed a few hundred bytes
 * (its keys repeat {@code f:} and the same field names). Read-only: it describes an object as the API server
 * sent it.
 */
final class CompressedFieldSet extends FieldsV1 {
  // Field sets name list items by their keys (an owner's UID, a port), so their field names are not worth the
  // symbol table that Jackson would otherwise keep them in.
  private static final ObjectMapper JSON = new ObjectMapper(JsonFactory.builder()
      .disable(JsonFactory.Feature.CANONICALIZE_FIELD_NAMES).disable(JsonFactory.Feature.INTERN_FIELD_NAMES).build());
  private static final String READ_ONLY = "a cached object's managed field set is read-only; copy it with edit()";
  private static final TypeReference<Map<String, Object>> FIELDS = new TypeReference<>() {
  };

  private final byte[] deflated;

  CompressedFieldSet(JsonNode fieldSet) {
    var bytes = new ByteArrayOutputStream();
    var deflater = new Deflater(Deflater.BEST_SPEED);
    try (var out = new DeflaterOutputStream(bytes, deflater)) {
      JSON.writeValue(out, fieldSet);
    } catch (IOException e) {
      throw new UncheckedIOException("cannot compress a managed field set in memory", e);
    } finally {
      deflater.end();
    }
    this.deflated = bytes.toByteArray();
  }

  @Override
  public Map<String, Object> getAdditionalProperties() {
    try (var in = new InflaterInputStream(new ByteArrayInputStream(deflated))) {
      return JSON.readValue(in, FIELDS);
    } catch (IOException e) {
      // The bytes are what this class compressed from a parsed object, so they always read back.
      throw new UncheckedIOException("a managed field set no longer reads back", e);
    }
  }

  @Override
  public void setAdditionalProperty(String name, Object value) {
    throw new UnsupportedOperationException(READ_ONLY);
  }

  @Override
  public void setAdditionalProperties(Map<String, Object> additionalProperties) {
    throw new UnsupportedOperationException(READ_ONLY);
  }
}
