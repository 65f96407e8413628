package dev.orch.localcluster;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/** Runs one of the checkout's hack/ scripts, its messages going to this process's stderr. */
public final class RepositoryScript {
  private RepositoryScript() {
  }

  /** Returns the script's stdout; fails, pointing at its messages, when it exits non-zero. */
  public static String run(String relativeScript, Map<String, String> environment, List<String> args) {
    List<String> command = new ArrayList<>();
    command.add(KubeBinaries.repositoryRoot().resolve(relativeScript).toString());
    command.addAll(args);
    try {
      ProcessBuilder builder = new ProcessBuilder(command).directory(KubeBinaries.repositoryRoot().toFile())
          .redirectError(ProcessBuilder.Redirect.INHERIT);
      builder.environment().putAll(environment);
      Process process = builder.start();
      String output = new String(process.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
      if (process.waitFor() != 0) {
        throw new IllegalStateException(String.join(" ", command) + " failed (exit " + process.exitValue()
            + "); its messages are above");
      }
      return output;
    } catch (IOException e) {
      throw new UncheckedIOException("cannot run " + command.get(0), e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException("interrupted while running " + command, e);
    }
  }
}
