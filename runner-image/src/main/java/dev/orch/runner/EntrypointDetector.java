package dev.orch.runner;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;

/**
 * Decides what process to start for a bundle, in the order the hosted product documents: the command
 * override, then {@code run_command} or {@code runtime.command} from orchagent.json, then well-known Python
 * files, then well-known Node.js files.
 */
public final class EntrypointDetector {
  static final String MANIFEST = "orchagent.json";
  static final List<String> PYTHON_FILES = List.of("main.py", "app.py", "bot.py", "server.py", "index.py");
  static final List<String> NODE_FILES = List.of("index.js", "main.js", "app.js", "bot.js", "server.js");

  /** The command to run and where it came from (shown in the runner's first log line). */
  public record Entrypoint(List<String> command, String source) {
  }

  private final ObjectMapper json = new ObjectMapper();

  /**
   * @param bundle directory holding the unpacked bundle
   * @param commandOverride the resource's {@code command}; empty when not set
   * @param args the resource's {@code args}, appended to whatever command is chosen
   * @throws NoEntrypointException when nothing matches, with the three ways to fix it
   */
  public Entrypoint detect(Path bundle, List<String> commandOverride, List<String> args) {
    if (!commandOverride.isEmpty()) {
      return new Entrypoint(concat(commandOverride, args), "spec.command");
    }
    Path manifest = bundle.resolve(MANIFEST);
    if (Files.isRegularFile(manifest)) {
      JsonNode root = readManifest(manifest);
      for (String pointer : List.of("/run_command", "/runtime/command")) {
        JsonNode command = root.at(pointer);
        if (command.isTextual() && !command.asText().isBlank()) {
          return new Entrypoint(concat(ShellWords.split(command.asText()), args),
              MANIFEST + " " + pointer.substring(1).replace('/', '.'));
        }
      }
    }
    for (String file : PYTHON_FILES) {
      if (Files.isRegularFile(bundle.resolve(file))) {
        return new Entrypoint(concat(List.of("python", file), args), "found " + file);
      }
    }
    for (String file : NODE_FILES) {
      if (Files.isRegularFile(bundle.resolve(file))) {
        return new Entrypoint(concat(List.of("node", file), args), "found " + file);
      }
    }
    throw new NoEntrypointException(bundle);
  }

  private JsonNode readManifest(Path manifest) {
    try {
      return json.readTree(manifest.toFile());
    } catch (IOException e) {
      throw new UncheckedIOException(MANIFEST + " is not valid JSON (" + e.getMessage()
          + "); fix the file in the bundle", e);
    }
  }

  private static List<String> concat(List<String> command, List<String> args) {
    List<String> all = new ArrayList<>(command);
    all.addAll(args);
    return List.copyOf(all);
  }

  /** The bundle has nothing the runner knows how to start. */
  public static final class NoEntrypointException extends RuntimeException {
    NoEntrypointException(Path bundle) {
      super("no entrypoint found in the bundle at " + bundle + ". Fix it in one of three ways:\n"
          + "  1. set spec.command (and spec.args) on the resource, e.g. command: [python, src/start.py]\n"
          + "  2. add \"run_command\" (or runtime.command) to the bundle's orchagent.json, e.g."
          + " \"run_command\": \"python src/start.py\"\n"
          + "  3. name the entry file one of " + String.join(", ", PYTHON_FILES) + " (Python) or "
          + String.join(", ", NODE_FILES) + " (Node.js)");
    }
  }
}
