package dev.orch.kubectl;

import java.util.List;
import java.util.Map;

import io.fabric8.kubernetes.api.model.GenericKubernetesResource;

/** Typed reads of a generic resource's nested fields; a missing field is null, never an exception. */
public final class Fields {
  private Fields() {
  }

  public static Object get(Object node, Object... path) {
    Object current = node instanceof GenericKubernetesResource resource ? resource.getAdditionalProperties() : node;
    for (Object step : path) {
      if (current instanceof Map<?, ?> map) {
        current = map.get(step);
      } else if (current instanceof List<?> list && step instanceof Integer index) {
        current = index < list.size() ? list.get(index) : null;
      } else {
        return null;
      }
    }
    return current;
  }

  public static String string(Object node, Object... path) {
    Object value = get(node, path);
    return value == null ? null : String.valueOf(value);
  }

  public static Long number(Object node, Object... path) {
    return get(node, path) instanceof Number number ? number.longValue() : null;
  }

  public static boolean isTrue(Object node, Object... path) {
    return Boolean.TRUE.equals(get(node, path));
  }

  @SuppressWarnings("unchecked")
  public static List<Map<String, Object>> objects(Object node, Object... path) {
    return get(node, path) instanceof List<?> list ? (List<Map<String, Object>>) list : List.of();
  }

  @SuppressWarnings("unchecked")
  public static Map<String, Object> object(Object node, Object... path) {
    return get(node, path) instanceof Map<?, ?> map ? (Map<String, Object>) map : null;
  }

  @SuppressWarnings("unchecked")
  public static List<String> strings(Object node, Object... path) {
    return get(node, path) instanceof List<?> list ? (List<String>) list : List.of();
  }

  /** The condition of that type, or null. */
  public static Map<String, Object> condition(Object resource, String type) {
    return objects(resource, "status", "conditions").stream().filter(c -> type.equals(c.get("type"))).findFirst()
        .orElse(null);
  }

  public static boolean conditionTrue(Object resource, String type) {
    Map<String, Object> condition = condition(resource, type);
    return condition != null && "True".equals(condition.get("status"));
  }
}
