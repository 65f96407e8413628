package dev.orch.kubectl;

import java.io.IOException;
import java.io.InputStream;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonToken;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;

/**
 * JSON and YAML documents as plain maps, lists, strings, numbers and booleans, read with Jackson's streaming parser:
 * the read verbs need a few fields of each object, and a data-binding mapper would cost more to start than the whole
 * read does.
 */
final class JsonTree {
  private JsonTree() {
  }

  /** A JSON document, such as an API server's response. */
  static Object json(InputStream in) throws IOException {
    try (JsonParser parser = new JsonFactory().createParser(in)) {
      return value(parser, parser.nextToken());
    }
  }

  /** A YAML (or JSON) document, such as a kubeconfig; null when it is empty. */
  static Object yaml(InputStream in) throws IOException {
    try (JsonParser parser = new YAMLFactory().createParser(in)) {
      JsonToken first = parser.nextToken();
      return first == null ? null : value(parser, first);
    }
  }

  private static Object value(JsonParser parser, JsonToken token) throws IOException {
    return switch (token) {
      case START_OBJECT -> {
        Map<String, Object> object = new LinkedHashMap<>();
        while (parser.nextToken() == JsonToken.FIELD_NAME) {
          String field = parser.currentName();
          object.put(field, value(parser, parser.nextToken()));
        }
        yield object;
      }
      case START_ARRAY -> {
        List<Object> array = new ArrayList<>();
        for (JsonToken next = parser.nextToken(); next != JsonToken.END_ARRAY; next = parser.nextToken()) {
          array.add(value(parser, next));
        }
        yield array;
      }
      case VALUE_STRING -> parser.getText();
      case VALUE_NUMBER_INT, VALUE_NUMBER_FLOAT -> parser.getNumberValue();
      case VALUE_TRUE -> Boolean.TRUE;
      case VALUE_FALSE -> Boolean.FALSE;
      case VALUE_NULL -> null;
      default -> throw new IOException("unexpected " + token + " at " + parser.currentLocation());
    };
  }
}
