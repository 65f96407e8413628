package dev.orch.runner;

import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.io.PrintStream;
import java.io.Reader;
import java.nio.charset.StandardCharsets;
import java.util.ArrayDeque;
import java.util.Deque;
import java.util.List;

/**
 * Prepare's output, masked line by line and otherwise as the agent's passes through {@code orch-pod
 * supervise}: the lines of the tools it runs (git, pip, npm) unchanged, a tool's stdout to the runner's
 * stdout and its stderr to the runner's stderr; the runner's own messages on stderr, starting with
 * {@code [runner]} like the supervisor's. No timestamp or stream tag is added: the kubelet timestamps every
 * line, and a tool's JSON output stays parseable. The last {@value #TAIL_LINES} stderr lines are kept for the
 * termination message.
 */
final class AgentLog {
  static final int TAIL_LINES = 20;
  private final PrintStream out;
  private final PrintStream err;
  private final SecretMasker masker;
  private final Deque<String> stderrTail = new ArrayDeque<>();

  AgentLog(PrintStream out, PrintStream err, SecretMasker masker) {
    this.out = out;
    this.err = err;
    this.masker = masker;
  }

  /** A runner message, on stderr; each line of a multi-line message starts with {@code [runner]}. */
  void runner(String message) {
    for (String line : masker.mask(message).split("\n", -1)) {
      print(err, "[runner] " + line);
    }
  }

  /** Copies one of the child's streams until it ends; runs on its own thread. */
  Thread pump(InputStream stream, boolean isStderr, String name) {
    PrintStream target = isStderr ? err : out;
    MaskingLineSplitter splitter = new MaskingLineSplitter(masker, line -> {
      print(target, line);
      if (isStderr) {
        remember(line);
      }
    });
    Thread thread = new Thread(() -> copy(stream, splitter), name);
    thread.setDaemon(true);
    thread.start();
    return thread;
  }

  static void copy(InputStream stream, MaskingLineSplitter splitter) {
    char[] buffer = new char[8192];
    try (Reader reader = new InputStreamReader(stream, StandardCharsets.UTF_8)) {
      int n;
      while ((n = reader.read(buffer)) >= 0) {
        splitter.write(buffer, 0, n);
      }
    } catch (IOException e) {
      // The pipe breaks only when the child is gone; whatever was read is flushed below.
    } finally {
      splitter.finish();
    }
  }

  /** The last stderr lines, oldest first, already masked. */
  synchronized List<String> stderrTail() {
    return List.copyOf(stderrTail);
  }

  private synchronized void remember(String line) {
    if (stderrTail.size() == TAIL_LINES) {
      stderrTail.removeFirst();
    }
    stderrTail.addLast(line);
  }

  private static void print(PrintStream target, String line) {
    synchronized (target) {
      target.print(line + "\n");
      target.flush();
    }
  }
}
