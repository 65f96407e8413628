package dev.orch.runner;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.time.Clock;
import java.time.Instant;
import java.util.LinkedHashMap;
import java.util.Map;

import com.fasterxml.jackson.databind.ObjectMapper;

/**
 * Prepare's part of {@code $ORCH_STATUS_DIR/agent.json}, the status the gateway reads for /health: the
 * "preparing" and "failed" phases, {@code {"phase", "message", "updatedAt"}}. The agent container's
 * supervisor ({@code orch-pod supervise}, gateway-sidecar/src/status.rs, which documents the whole format)
 * writes "running" with a heartbeat and "exited". The file is replaced atomically (write to a temporary
 * file, then rename), so a reader never sees half of it.
 */
final class StatusFile {
  static final String NAME = "agent.json";
  private final Path file;
  private final Clock clock;
  private final ObjectMapper json = new ObjectMapper();

  StatusFile(Path directory, Clock clock) {
    this.file = directory == null ? null : directory.resolve(NAME);
    this.clock = clock;
  }

  void preparing(String message) {
    write(fields("preparing", message));
  }

  void failed(String message) {
    write(fields("failed", message));
  }

  private Map<String, Object> fields(String phase, String message) {
    Map<String, Object> fields = new LinkedHashMap<>();
    fields.put("phase", phase);
    fields.put("message", message);
    fields.put("updatedAt", Instant.now(clock).toString());
    return fields;
  }

  private synchronized void write(Map<String, Object> fields) {
    if (file == null) {
      return;
    }
    try {
      Files.createDirectories(file.getParent());
      Path tmp = file.resolveSibling(NAME + ".tmp");
      json.writeValue(tmp.toFile(), fields);
      Files.move(tmp, file, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
    } catch (IOException e) {
      throw new RunnerException("cannot write the status file " + file + " (" + e.getMessage() + "); the "
          + "status volume (ORCH_STATUS_DIR) must be a writable directory", e);
    }
  }
}
