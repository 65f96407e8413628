package dev.orch.operator.core.config;

import java.io.IOException;

import jakarta.inject.Singleton;

import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.databind.DeserializationContext;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.deser.std.StringDeserializer;
import com.fasterxml.jackson.databind.module.SimpleModule;

import io.quarkus.kubernetes.client.KubernetesClientObjectMapperCustomizer;

/**
 * The operator's client reads each short string value once per distinct text: every cached Deployment, pod and
 * AgentService repeats the same images, container and volume names, labels, paths and policies, and Jackson
 * makes a new copy of each for every object it reads. {@link String#intern()} keeps one; the JVM drops an entry
 * once no object holds its text, so unique values (UIDs, resource versions) cost only while cached. Long texts
 * (scripts, termination messages, annotations holding JSON) are rarely repeated and stay as read.
 */
@Singleton
public class SharedStrings implements KubernetesClientObjectMapperCustomizer {
  static final int LONGEST_SHARED = 128;

  @Override
  public void customize(ObjectMapper mapper) {
    install(mapper);
  }

  public static ObjectMapper install(ObjectMapper mapper) {
    return mapper.registerModule(new SimpleModule("orch-shared-strings").addDeserializer(String.class, new Interning()));
  }

  static final class Interning extends StringDeserializer {
    @Override
    public String deserialize(JsonParser parser, DeserializationContext context) throws IOException {
      String value = super.deserialize(parser, context);
      return value != null && value.length() <= LONGEST_SHARED ? value.intern() : value;
    }
  }
}
