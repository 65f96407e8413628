package dev.orch.runner;

import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.io.PrintStream;
import java.io.Reader;
import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.ArrayDeque;
import java.util.Deque;
import java.util.List;

/**
 * Prepare's output: every line, the runner's own and that of the tools it runs (git, pip, npm), is masked
 * and prefixed with a UTC timestamp and its origin, e.g. {@code 2025-05-20T10:00:00.123Z [stderr] ERROR: ...}.
 * A tool's stdout goes to the runner's stdout and its stderr to the runner's stderr. The last
 * {@value #TAIL_LINES} stderr lines are kept for the termination message. (The agent's own output passes
 * through {@code orch-pod supervise} unprefixed.)
 */
final class AgentLog {
  static final int TAIL_LINES = 20;
  private final PrintStream out;
  private final PrintStream err;
  private final SecretMasker masker;
  private final Clock clock;
  private final Deque<String> stderrTail = new ArrayDeque<>();

  AgentLog(PrintStream out, PrintStream err, SecretMasker masker, Clock clock) {
    this.out = out;
    this.err = err;
    this.masker = masker;
    this.clock = clock;
  }

  /** A runner message (stderr, tag {@code runner}); multi-line messages become several lines. */
  void runner(String message) {
    for (String line : masker.mask(message).split("\n", -1)) {
      print(err, "runner", line);
    }
  }

  /** Copies one of the child's streams until it ends; runs on its own thread. */
  Thread pump(InputStream stream, boolean isStderr, String name) {
    PrintStream target = isStderr ? err : out;
    String tag = isStderr ? "stderr" : "stdout";
    MaskingLineSplitter splitter = new MaskingLineSplitter(masker, line -> {
      print(target, tag, line);
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

  private void print(PrintStream target, String tag, String line) {
    String stamp = Instant.now(clock).truncatedTo(ChronoUnit.MILLIS).toString();
    synchronized (target) {
      target.print(stamp + " [" + tag + "] " + line + "\n");
      target.flush();
    }
  }
}
