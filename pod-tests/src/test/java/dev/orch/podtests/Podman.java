package dev.orch.podtests;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * Runs podman with the containers.conf that hack/images.sh writes: this kind of machine needs runc and
 * lowered ulimits for any container to start (see the build-machine notes), and the script is the one
 * place that knows them.
 */
final class Podman {
  record Result(List<String> command, int exitCode, String stdout, String stderr) {
    Result orThrow() {
      if (exitCode != 0) {
        throw new IllegalStateException(String.join(" ", command) + " exited with " + exitCode + ":\n" + stderr
            + stdout);
      }
      return this;
    }
  }

  private final Path containersConf;

  private Podman(Path containersConf) {
    this.containersConf = containersConf;
  }

  /**
   * Builds the images from the jars Maven just packaged (a no-op when their inputs are unchanged) and
   * returns a Podman using the script's containers.conf, which the script prints as its last line.
   */
  static Podman withImagesBuilt(Path repo) {
    List<String> command = List.of(repo.resolve("hack/images.sh").toString(), "--skip-package", "runner", "gateway");
    Result result = exec(command, repo, null, Duration.ofMinutes(30), true);
    if (result.exitCode() != 0) {
      throw new IllegalStateException("hack/images.sh failed (exit " + result.exitCode() + "); its log is above."
          + " On a fresh machine run hack/install-prerequisites.sh first (podman, runc, debootstrap).");
    }
    String[] lines = result.stdout().strip().split("\n");
    Path conf = Path.of(lines[lines.length - 1].strip());
    if (!Files.isRegularFile(conf)) {
      throw new IllegalStateException("hack/images.sh did not end with the containers.conf path: " + result.stdout());
    }
    return new Podman(conf);
  }

  Result run(String... args) {
    return run(Duration.ofMinutes(2), args);
  }

  Result run(Duration timeout, String... args) {
    List<String> command = new ArrayList<>(List.of("podman"));
    command.addAll(List.of(args));
    return exec(command, null, containersConf, timeout, false);
  }

  /** Runs podman and fails unless it exits 0; returns its trimmed stdout. */
  String ok(String... args) {
    return run(args).orThrow().stdout().strip();
  }

  private static Result exec(List<String> command, Path dir, Path conf, Duration timeout, boolean showStderr) {
    Path out = null;
    Path err = null;
    try {
      out = Files.createTempFile("podman", ".out");
      err = Files.createTempFile("podman", ".err");
      ProcessBuilder builder = new ProcessBuilder(command).redirectOutput(out.toFile())
          .redirectError(showStderr ? ProcessBuilder.Redirect.INHERIT : ProcessBuilder.Redirect.to(err.toFile()));
      if (dir != null) {
        builder.directory(dir.toFile());
      }
      if (conf != null) {
        builder.environment().put("CONTAINERS_CONF", conf.toString());
      }
      Process process = builder.start();
      if (!process.waitFor(timeout.toMillis(), TimeUnit.MILLISECONDS)) {
        process.destroyForcibly().waitFor();
        throw new IllegalStateException(String.join(" ", command) + " did not finish within " + timeout);
      }
      return new Result(command, process.exitValue(), Files.readString(out, StandardCharsets.UTF_8),
          Files.readString(err, StandardCharsets.UTF_8));
    } catch (IOException e) {
      throw new UncheckedIOException("cannot run " + command.get(0) + "; is it installed?"
          + " (hack/install-prerequisites.sh)", e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException("interrupted while running " + command, e);
    } finally {
      deleteQuietly(out);
      deleteQuietly(err);
    }
  }

  private static void deleteQuietly(Path file) {
    if (file != null) {
      try {
        Files.deleteIfExists(file);
      } catch (IOException e) {
        // A leftover temp file is harmless.
      }
    }
  }
}
