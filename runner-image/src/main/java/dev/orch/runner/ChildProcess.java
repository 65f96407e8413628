package dev.orch.runner;

import java.io.File;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;

/** A tool prepare runs (git, pip, npm), its stdout and stderr pumped through the runner's masked log. */
final class ChildProcess {
  private final Process process;
  private final List<Thread> pumps;

  private ChildProcess(Process process, List<Thread> pumps) {
    this.process = process;
    this.pumps = pumps;
  }

  /**
   * Starts argv in dir with exactly env. The executable is looked up on env's PATH: the JDK would search
   * the runner's own PATH, which lacks the agent's venv and node_modules/.bin.
   */
  static ChildProcess start(List<String> argv, Path dir, Map<String, String> env, AgentLog log) {
    ProcessBuilder builder = new ProcessBuilder(resolve(argv, env.getOrDefault("PATH", ""), dir)).directory(dir.toFile());
    builder.environment().clear();
    builder.environment().putAll(env);
    builder.redirectInput(ProcessBuilder.Redirect.from(new File("/dev/null")));
    try {
      Process process = builder.start();
      String name = argv.get(0);
      return new ChildProcess(process, List.of(
          log.pump(process.getInputStream(), false, name + "-stdout"),
          log.pump(process.getErrorStream(), true, name + "-stderr")));
    } catch (IOException e) {
      throw new RunnerException("cannot start " + argv.get(0) + " (" + e.getMessage() + ")", e);
    }
  }

  /** Runs argv to completion and returns its exit code. */
  static int run(List<String> argv, Path dir, Map<String, String> env, AgentLog log) {
    return start(argv, dir, env, log).waitFor();
  }

  /**
   * Waits for the child, then briefly for its output: a grandchild that inherited the pipes could keep
   * them open forever, so the pumps get a bounded grace period.
   */
  int waitFor() {
    try {
      int code = process.waitFor();
      for (Thread pump : pumps) {
        pump.join(2000);
      }
      return code;
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      process.destroy();
      throw new RunnerException("interrupted while waiting for " + process.info().command().orElse("the child"));
    }
  }

  private static List<String> resolve(List<String> argv, String path, Path dir) {
    String command = argv.get(0);
    if (command.contains("/")) {
      return argv;
    }
    for (String entry : path.split(":")) {
      if (entry.isEmpty()) {
        continue;
      }
      Path candidate = dir.resolve(entry).resolve(command);
      if (Files.isRegularFile(candidate) && Files.isExecutable(candidate)) {
        List<String> resolved = new java.util.ArrayList<>(argv);
        resolved.set(0, candidate.toString());
        return resolved;
      }
    }
    throw new RunnerException("the command " + command + " was not found on PATH (" + path + "). Use an interpreter"
        + " the runner image has (python, node), a file in the bundle (./start.sh), or a prebuilt image"
        + " (spec.bundle.image) that contains " + command);
  }
}
