package dev.orch.runner;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

/**
 * Writes the container's termination message, which Kubernetes shows as the container's last state
 * (and the operator reports as the agent's last error). Kubernetes keeps at most 4096 bytes, so the
 * headline is kept and the oldest stderr lines are dropped first.
 */
final class TerminationMessage {
  static final int MAX_BYTES = 4096;
  private final Path file;

  TerminationMessage(Path file) {
    this.file = file;
  }

  void write(String headline, List<String> stderrTail) {
    String text = compose(headline, stderrTail);
    try {
      Files.writeString(file, text, StandardCharsets.UTF_8);
    } catch (IOException | SecurityException e) {
      // Outside Kubernetes the file may not exist or be writable; the same text is in the log.
    }
  }

  static String compose(String headline, List<String> stderrTail) {
    String head = truncate(headline, MAX_BYTES);
    if (stderrTail.isEmpty()) {
      return head;
    }
    String label = "\nlast stderr lines:\n";
    int budget = MAX_BYTES - bytes(head) - bytes(label);
    StringBuilder tail = new StringBuilder();
    for (int i = stderrTail.size() - 1; i >= 0; i--) {
      String line = stderrTail.get(i) + (tail.length() == 0 ? "" : "\n");
      if (bytes(line) + bytes(tail.toString()) > budget) {
        break;
      }
      tail.insert(0, line);
    }
    return tail.length() == 0 ? head : head + label + tail;
  }

  private static String truncate(String text, int maxBytes) {
    String result = text;
    while (bytes(result) > maxBytes) {
      result = result.substring(0, result.length() - Math.max(1, (bytes(result) - maxBytes) / 4));
    }
    return result;
  }

  private static int bytes(String text) {
    return text.getBytes(StandardCharsets.UTF_8).length;
  }
}
