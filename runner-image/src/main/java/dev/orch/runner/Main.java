package dev.orch.runner;

import java.io.IOException;
import java.io.PrintStream;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;

import sun.misc.Signal;

/**
 * The runner's two commands, one per container of the agent pod:
 * <ul>
 * <li>{@code prepare} (init container): fetch the bundle into the workspace, install its dependencies,
 * exit 0; on failure exit {@value #RUNNER_FAILURE} with what to fix.</li>
 * <li>{@code run} (agent container): detect the entrypoint, start it with PORT/ORCHAGENT_HTTP_PORT set,
 * forward SIGTERM/SIGINT, mask secrets in its output, keep the status file (see {@link StatusFile})
 * current, and exit with the agent's exit code. If the agent cannot be started at all (no entrypoint,
 * unknown command) the runner exits {@value #RUNNER_FAILURE}.</li>
 * </ul>
 * In both cases the termination-message file receives the outcome and the last stderr lines.
 */
public final class Main {
  static final int RUNNER_FAILURE = 2;
  static final int USAGE = 64;
  private final Map<String, String> env;
  private final PrintStream out;
  private final PrintStream err;
  private final Clock clock;
  private final boolean allowPlainHttp;

  Main(Map<String, String> env, PrintStream out, PrintStream err, Clock clock, boolean allowPlainHttp) {
    this.env = env;
    this.out = out;
    this.err = err;
    this.clock = clock;
    this.allowPlainHttp = allowPlainHttp;
  }

  public static void main(String[] args) {
    System.exit(new Main(System.getenv(), System.out, System.err, Clock.systemUTC(), false).execute(args));
  }

  int execute(String[] args) {
    String command = args.length == 0 ? "run" : args[0];
    if (!command.equals("prepare") && !command.equals("run")) {
      err.println("usage: orch-runner prepare|run (the operator's pod runs `prepare` as the init container and"
          + " `run` as the agent container)");
      return USAGE;
    }
    RunnerSettings settings;
    SecretMasker masker;
    try {
      settings = RunnerSettings.fromEnvironment(env);
      if (allowPlainHttp) {
        settings = settings.withAllowPlainHttp();
      }
      List<String> secrets = SecretMasker.valuesOf(env);
      secrets.addAll(BundleFetcher.credentialValues(settings.gitCredentials()));
      masker = new SecretMasker(secrets);
    } catch (RunnerException | IOException e) {
      err.println("orch-runner: " + e.getMessage());
      return RUNNER_FAILURE;
    }
    AgentLog log = new AgentLog(out, err, masker, clock);
    StatusFile status = new StatusFile(settings.statusDir(), clock);
    TerminationMessage termination = new TerminationMessage(settings.terminationLog());
    try {
      return command.equals("prepare") ? prepare(settings, log, status) : run(settings, log, status, termination);
    } catch (RunnerException | EntrypointDetector.NoEntrypointException | UncheckedIOException | IOException e) {
      String message = masker.mask(e.getMessage());
      log.runner("error: " + message);
      try {
        status.failed(message);
      } catch (RunnerException statusFailure) {
        log.runner(statusFailure.getMessage());
      }
      termination.write(message, log.stderrTail());
      return RUNNER_FAILURE;
    }
  }

  private int prepare(RunnerSettings settings, AgentLog log, StatusFile status) throws IOException {
    long started = System.nanoTime();
    Workspace workspace = new Workspace(settings.workspace());
    status.preparing("fetching the bundle (" + settings.bundleKind() + ")");
    Files.createDirectories(workspace.state());
    Path scratch = workspace.state().resolve("download");
    BundleFetcher.deleteRecursively(workspace.staging());
    BundleFetcher.deleteRecursively(scratch);
    BundleFetcher fetcher = new BundleFetcher(settings, new SafeUnpacker(SafeUnpacker.Limits.DEFAULT), log, env);
    Path root = fetcher.fetch(workspace.staging(), scratch);
    replaceBundle(root, workspace);
    BundleFetcher.deleteRecursively(scratch);
    new DependencyInstaller(workspace, log, status).install(childEnvironment(settings, workspace));
    log.runner("bundle ready in " + workspace.bundle() + " (" + (System.nanoTime() - started) / 1_000_000 + " ms)");
    status.preparing("bundle ready; waiting for the agent container");
    return 0;
  }

  /**
   * Swaps the new bundle in. node_modules lives inside the bundle (Node resolves modules from the script's
   * directory), so it is carried over; the dependency marker then decides whether it is still valid.
   */
  private static void replaceBundle(Path root, Workspace workspace) throws IOException {
    Path bundle = workspace.bundle();
    Path modules = bundle.resolve("node_modules");
    if (Files.isDirectory(modules) && !Files.exists(root.resolve("node_modules"))) {
      Files.move(modules, root.resolve("node_modules"));
    }
    BundleFetcher.deleteRecursively(bundle);
    Files.move(root, bundle);
    BundleFetcher.deleteRecursively(workspace.staging());
  }

  private int run(RunnerSettings settings, AgentLog log, StatusFile status, TerminationMessage termination) {
    Workspace workspace = new Workspace(settings.workspace());
    if (!Files.isDirectory(workspace.bundle())) {
      throw new RunnerException("there is no bundle in " + workspace.bundle() + ": the prepare step has not run or"
          + " failed; check its log (kubectl logs POD -c prepare)");
    }
    EntrypointDetector.Entrypoint entrypoint =
        new EntrypointDetector().detect(workspace.bundle(), settings.command(), settings.args());
    Map<String, String> childEnv = childEnvironment(settings, workspace);
    String commandLine = String.join(" ", entrypoint.command());
    log.runner("starting `" + commandLine + "` (" + entrypoint.source() + ") in " + workspace.bundle()
        + ", PORT=" + settings.httpPort());
    ChildProcess child = ChildProcess.start(entrypoint.command(), workspace.bundle(), childEnv, log);
    String runId = Instant.now(clock) + "/" + child.pid();
    String running = "running `" + commandLine + "`";
    status.running(runId, child.pid(), settings.httpPort(), running);

    AtomicReference<String> forwarded = new AtomicReference<>();
    for (String name : List.of("TERM", "INT")) {
      Signal.handle(new Signal(name), signal -> {
        forwarded.set("SIG" + name);
        log.runner("received SIG" + name + ", forwarding it to the agent");
        child.signal(name);
      });
    }
    ScheduledExecutorService heartbeat = Executors.newSingleThreadScheduledExecutor(r -> {
      Thread thread = new Thread(r, "status-heartbeat");
      thread.setDaemon(true);
      return thread;
    });
    long period = StatusFile.HEARTBEAT.toMillis();
    heartbeat.scheduleAtFixedRate(() -> {
      try {
        if (child.isAlive()) {
          status.running(runId, child.pid(), settings.httpPort(), running);
        }
      } catch (RunnerException e) {
        log.runner(e.getMessage());
      }
    }, period, period, TimeUnit.MILLISECONDS);

    int code = child.waitFor();
    heartbeat.shutdownNow();
    try {
      heartbeat.awaitTermination(2, TimeUnit.SECONDS);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
    String headline = "agent `" + commandLine + "` exited with code " + code + explain(code)
        + (forwarded.get() == null ? "" : " after the runner forwarded " + forwarded.get());
    log.runner(headline);
    status.exited(runId, code, headline);
    termination.write(headline, log.stderrTail());
    return code;
  }

  private static String explain(int code) {
    if (code == 137) {
      return " (killed by SIGKILL; if the pod was not being stopped this is usually the memory limit:"
          + " raise spec.resources.limits.memory)";
    }
    return code > 128 && code < 160 ? " (killed by signal " + (code - 128) + ")" : "";
  }

  /** The agent's environment: the pod's, plus the venv and node_modules/.bin on PATH and the app port. */
  private Map<String, String> childEnvironment(RunnerSettings settings, Workspace workspace) {
    Map<String, String> child = new HashMap<>(env);
    List<String> path = new ArrayList<>(DependencyInstaller.pathEntries(workspace));
    path.add(env.getOrDefault("PATH", "/usr/local/bin:/usr/bin:/bin"));
    child.put("PATH", String.join(":", path));
    if (Files.isDirectory(workspace.venv())) {
      child.put("VIRTUAL_ENV", workspace.venv().toString());
    }
    child.put("PORT", Integer.toString(settings.httpPort()));
    child.put("ORCHAGENT_HTTP_PORT", Integer.toString(settings.httpPort()));
    child.putIfAbsent("PYTHONUNBUFFERED", "1");
    child.putIfAbsent("HOME", "/tmp");
    return child;
  }
}
