package dev.orch.kubectl;

import java.io.ByteArrayInputStream;
import java.io.InputStream;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

import picocli.CommandLine;

/** Runs `kubectl orch ...` in the test's JVM against the test cluster, capturing what a user would read. */
final class Cli {
  record Result(int exitCode, String out, String err) {
    @Override
    public String toString() {
      return "exit " + exitCode + "\n--- stdout\n" + out + "--- stderr\n" + err;
    }
  }

  private final Path kubeconfig;
  private final String namespace;

  Cli(Path kubeconfig, String namespace) {
    this.kubeconfig = kubeconfig;
    this.namespace = namespace;
  }

  Result run(String... args) {
    return runWithInput(new ByteArrayInputStream(new byte[0]), args);
  }

  Result runWithInput(String stdin, String... args) {
    return runWithInput(new ByteArrayInputStream(stdin.getBytes(StandardCharsets.UTF_8)), args);
  }

  private Result runWithInput(InputStream stdin, String... args) {
    StringWriter out = new StringWriter();
    StringWriter err = new StringWriter();
    CommandLine commandLine = KubectlOrch.commandLine(new PrintWriter(out), new PrintWriter(err), Terminal.plain(), stdin);
    List<String> all = new ArrayList<>(List.of("--kubeconfig", kubeconfig.toString(), "-n", namespace));
    all.addAll(List.of(args));
    int exit;
    try {
      exit = commandLine.execute(all.toArray(String[]::new));
    } finally {
      ((KubectlOrch) commandLine.getCommand()).cluster.close();
    }
    return new Result(exit, out.toString(), err.toString());
  }
}
