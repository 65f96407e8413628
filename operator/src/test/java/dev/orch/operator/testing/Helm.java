package dev.orch.operator.testing;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

import dev.orch.localcluster.KubeBinaries;

/**
 * The helm CLI on the project's chart: {@code ORCH_HELM_BIN} when set (the Makefile sets it), otherwise built
 * once by {@code hack/helm-binary.sh}. Helm's own config and cache live in a temporary directory, so tests
 * neither read nor change the user's helm setup.
 */
public final class Helm {
  private final Path binary;
  private final Path home;

  private Helm(Path binary, Path home) {
    this.binary = binary;
    this.home = home;
  }

  public static Helm locate() {
    String fromEnv = System.getenv("ORCH_HELM_BIN");
    Path dir = fromEnv != null && !fromEnv.isBlank() ? Path.of(fromEnv) : KubeBinaries.buildWithScript("hack/helm-binary.sh");
    Path binary = dir.resolve("helm");
    if (!Files.isExecutable(binary)) {
      throw new IllegalStateException(binary + " is missing or not executable; run hack/helm-binary.sh and point"
          + " ORCH_HELM_BIN at the directory it prints");
    }
    try {
      return new Helm(binary, Files.createTempDirectory("orch-helm-home"));
    } catch (IOException e) {
      throw new IllegalStateException(e);
    }
  }

  /** The chart under test: helm/orch-operator in this checkout. */
  public static Path chart() {
    return KubeBinaries.repositoryRoot().resolve("helm/orch-operator");
  }

  public record Result(int exitCode, String output) {
    public String orFail(List<String> command) {
      if (exitCode != 0) {
        throw new AssertionError("helm " + String.join(" ", command) + " exited with " + exitCode + ":\n" + output);
      }
      return output;
    }
  }

  /** Runs helm and returns its exit code and output (stdout, then stderr). */
  public Result run(List<String> args) {
    List<String> command = new ArrayList<>();
    command.add(binary.toString());
    command.addAll(args);
    ProcessBuilder builder = new ProcessBuilder(command);
    builder.environment().put("HELM_CONFIG_HOME", home.resolve("config").toString());
    builder.environment().put("HELM_CACHE_HOME", home.resolve("cache").toString());
    builder.environment().put("HELM_DATA_HOME", home.resolve("data").toString());
    try {
      Path stderr = Files.createTempFile(home, "stderr", ".txt");
      Process process = builder.redirectError(stderr.toFile()).start();
      String out = new String(process.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
      if (!process.waitFor(120, TimeUnit.SECONDS)) {
        process.destroyForcibly();
        throw new AssertionError("helm " + String.join(" ", args) + " did not finish within 120 s");
      }
      return new Result(process.exitValue(), out + Files.readString(stderr));
    } catch (IOException e) {
      throw new IllegalStateException("cannot run " + binary + ": " + e.getMessage(), e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException(e);
    }
  }

  /** Runs helm and returns its output; fails the test with helm's output when it exits non-zero. */
  public String ok(List<String> args) {
    return run(args).orFail(args);
  }
}
