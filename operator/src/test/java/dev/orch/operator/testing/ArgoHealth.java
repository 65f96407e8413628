package dev.orch.operator.testing;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;

import org.luaj.vm2.Globals;
import org.luaj.vm2.LuaTable;
import org.luaj.vm2.LuaValue;
import org.luaj.vm2.lib.jse.JsePlatform;

import com.fasterxml.jackson.core.type.TypeReference;
import com.fasterxml.jackson.databind.ObjectMapper;

import dev.orch.localcluster.KubeBinaries;

/** Runs argocd/health.lua the way Argo CD does: the resource as the global {@code obj}, a table {status, message} back. */
public final class ArgoHealth {
  private static final ObjectMapper JSON = new ObjectMapper();

  public record Health(String status, String message) {
  }

  private ArgoHealth() {
  }

  public static Path script() {
    return KubeBinaries.repositoryRoot().resolve("argocd/health.lua");
  }

  /** The health Argo CD would show for this resource (any fabric8 object, or its JSON as a map). */
  public static Health of(Object resource) {
    Map<String, Object> tree = JSON.convertValue(resource, new TypeReference<>() {
    });
    Globals globals = JsePlatform.standardGlobals();
    globals.set("obj", lua(tree));
    String source;
    try {
      source = Files.readString(script());
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    LuaValue result = globals.load(source, "health.lua").call();
    return new Health(result.get("status").optjstring(null), result.get("message").optjstring(null));
  }

  private static LuaValue lua(Object value) {
    if (value == null) {
      return LuaValue.NIL;
    }
    if (value instanceof Map<?, ?> map) {
      LuaTable table = new LuaTable();
      map.forEach((k, v) -> table.set(k.toString(), lua(v)));
      return table;
    }
    if (value instanceof List<?> list) {
      LuaTable table = new LuaTable();
      for (int i = 0; i < list.size(); i++) {
        table.set(i + 1, lua(list.get(i)));
      }
      return table;
    }
    if (value instanceof Boolean b) {
      return LuaValue.valueOf(b);
    }
    if (value instanceof Number n) {
      return LuaValue.valueOf(n.doubleValue());
    }
    return LuaValue.valueOf(value.toString());
  }
}
