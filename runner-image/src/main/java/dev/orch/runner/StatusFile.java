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
 * The runner's half of the contract with the gateway: {@code $ORCH_STATUS_DIR/agent.json}, a small JSON
 * object in the {@code status} emptyDir both containers mount.
 *
 * <pre>
 * {"phase": "preparing" | "running" | "exited" | "failed",
 *  "message": "human-readable detail",          // e.g. "installing dependencies (npm ci)"
 *  "runId": "2025-05-20T10:00:00.123Z/42",        // changes with every agent process
 *  "pid": 42, "httpPort": 3000,                   // while running
 *  "exitCode": 1,                                 // once exited
 *  "updatedAt": "2025-05-20T10:00:04.123Z"}       // rewritten every HEARTBEAT while running
 * </pre>
 *
 * The file is replaced atomically (write to a temporary file, then rename), so a reader never sees half
 * of it. Because the containers do not share a process namespace, the gateway cannot check the pid;
 * instead the runner rewrites the file every {@link #HEARTBEAT} while the agent process is alive, and the
 * gateway treats a "running" file whose {@code updatedAt} is older than a few heartbeats as stale (the
 * runner was killed without a chance to write "exited").
 */
final class StatusFile {
  static final String NAME = "agent.json";
  static final java.time.Duration HEARTBEAT = java.time.Duration.ofSeconds(2);
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

  void running(String runId, long pid, int httpPort, String message) {
    Map<String, Object> fields = fields("running", message);
    fields.put("runId", runId);
    fields.put("pid", pid);
    fields.put("httpPort", httpPort);
    write(fields);
  }

  void exited(String runId, int exitCode, String message) {
    Map<String, Object> fields = fields("exited", message);
    fields.put("runId", runId);
    fields.put("exitCode", exitCode);
    write(fields);
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
