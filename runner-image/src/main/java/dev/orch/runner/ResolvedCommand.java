package dev.orch.runner;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import com.fasterxml.jackson.databind.ObjectMapper;

/**
 * What {@code prepare} hands to the agent container's supervisor ({@code orch-pod supervise}, in
 * gateway-sidecar/src/supervise.rs): the result of entrypoint detection, as
 * {@code $ORCH_WORKSPACE/.orch/command.json}.
 *
 * <pre>
 * {"argv": ["python", "main.py"], "source": "found main.py", "workingDir": "/orch/workspace/bundle",
 *  "env": {"PATH": "/orch/workspace/venv/bin:...", "VIRTUAL_ENV": "...", "PORT": "3000", ...}}
 * </pre>
 *
 * or, when there is nothing to start, {@code {"error": "no entrypoint found ... three ways: ..."}}, which the
 * supervisor reports as the agent container's failure (exit 2), as the runner always has. {@code env} holds
 * what the agent gets on top of the container's environment; {@code argv[0]} is looked up on that PATH.
 * The file is replaced atomically, and deleted when {@code prepare} starts, so a failed prepare never leaves
 * an older bundle's command behind.
 */
final class ResolvedCommand {
  private static final ObjectMapper JSON = new ObjectMapper();

  private ResolvedCommand() {
  }

  static Path file(Workspace workspace) {
    return workspace.state().resolve("command.json");
  }

  static void write(Workspace workspace, EntrypointDetector.Entrypoint entrypoint, Map<String, String> env)
      throws IOException {
    Map<String, Object> fields = new LinkedHashMap<>();
    fields.put("argv", entrypoint.command());
    fields.put("source", entrypoint.source());
    fields.put("workingDir", workspace.bundle().toString());
    fields.put("env", env);
    replace(workspace, fields);
  }

  static void writeError(Workspace workspace, String message) throws IOException {
    replace(workspace, Map.of("error", message));
  }

  static void delete(Workspace workspace) throws IOException {
    Files.deleteIfExists(file(workspace));
  }

  private static void replace(Workspace workspace, Map<String, ?> fields) throws IOException {
    Path file = file(workspace);
    Files.createDirectories(file.getParent());
    Path tmp = file.resolveSibling(file.getFileName() + ".tmp");
    JSON.writeValue(tmp.toFile(), fields);
    Files.move(tmp, file, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
  }

  /** The argv as one line, for log messages. */
  static String commandLine(List<String> argv) {
    return String.join(" ", argv);
  }
}
