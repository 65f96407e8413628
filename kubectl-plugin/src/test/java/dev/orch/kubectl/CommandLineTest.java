package dev.orch.kubectl;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;

import org.junit.jupiter.api.Test;

import dev.orch.localcluster.KubeBinaries;
import picocli.CommandLine;

/** The command tree without a cluster: help, examples, completion, parsing. */
class CommandLineTest {
  @Test
  void everyVerbHasHelpWithExamplesThatPicocliFormatsCleanly() {
    List<CommandLine> verbs = new ArrayList<>();
    collect(KubectlOrch.commandLine(new PrintWriter(new StringWriter()), new PrintWriter(new StringWriter()),
        Terminal.plain(), new ByteArrayInputStream(new byte[0])), verbs);
    PrintStream stderr = System.err;
    ByteArrayOutputStream warnings = new ByteArrayOutputStream();
    System.setErr(new PrintStream(warnings, true, StandardCharsets.UTF_8));
    try {
      for (CommandLine verb : verbs) {
        String usage = verb.getUsageMessage(CommandLine.Help.Ansi.OFF);
        boolean group = !verb.getSubcommands().isEmpty() && verb.getCommandSpec().userObject() instanceof Runnable;
        if (!group) {
          String name = verb.getCommandSpec().qualifiedName();
          assertThat(usage.substring(usage.indexOf("Examples:"))).as(name).containsPattern("\\n  " + name + "[ \\n]");
        }
        assertThat(usage).contains("--kubeconfig=FILE", "--context=NAME", "-n, --namespace=NAMESPACE");
      }
    } finally {
      System.setErr(stderr);
    }
    assertThat(verbs).hasSizeGreaterThan(20);
    assertThat(warnings.toString(StandardCharsets.UTF_8)).isEmpty();
  }

  @Test
  void kubectlCompletionProtocolCompletesVerbsAndOptions() {
    assertThat(complete("de")).isEqualTo("deploy\ndelete\ndescribe\n:4\n");
    assertThat(complete("deploy", "--no-")).isEqualTo("--no-http\n:4\n");
    assertThat(complete("schedule", "")).contains("trigger\n", "webhook-url\n");
  }

  @Test
  void dryRunTakesOutputAfterItAndArgumentsMayLookLikeOptions() {
    StringWriter out = new StringWriter();
    StringWriter err = new StringWriter();
    int exit = KubectlOrch.commandLine(new PrintWriter(out), new PrintWriter(err), Terminal.plain(),
        new ByteArrayInputStream(new byte[0])).execute("-n", "demo", "deploy",
        KubeBinaries.repositoryRoot().resolve("examples/hello-http").toString(), "--dry-run", "-o", "yaml",
        "--arg", "--verbose", "--arg=--port=3000", "--env", "A=-x");

    assertThat(exit).as(err.toString()).isZero();
    assertThat(out.toString()).contains("""
          args:
          - --verbose
          - --port=3000
          env:
          - name: A
            value: -x
        """, "orch.dev/bundle: \"true\"", "namespace: demo", "agent: demo/hello-http\n");
  }

  @Test
  void colouredCellsKeepTheColumnsAlignedAndPlainOutputHasNoEscapes() {
    Terminal colour = new Terminal(true);
    StringWriter coloured = new StringWriter();
    new Table("NAME", "STATE", "AGE").row("a", colour.state("running"), "1m").row("bbbbbb", colour.state("CRASH-LOOP"), "2m")
        .print(new PrintWriter(coloured));
    StringWriter plain = new StringWriter();
    new Table("NAME", "STATE", "AGE").row("a", Terminal.plain().state("running"), "1m")
        .row("bbbbbb", Terminal.plain().state("CRASH-LOOP"), "2m").print(new PrintWriter(plain));

    assertThat(coloured.toString()).contains("\u001b[32mrunning\u001b[0m      1m", "\u001b[31mCRASH-LOOP\u001b[0m   2m");
    assertThat(coloured.toString().replaceAll("\u001b\\[[0-9;]*m", "")).isEqualTo(plain.toString());
    assertThat(plain.toString()).isEqualTo("""
        NAME     STATE        AGE
        a        running      1m
        bbbbbb   CRASH-LOOP   2m
        """);
  }

  private static String complete(String... words) {
    StringWriter out = new StringWriter();
    CommandLine commandLine = KubectlOrch.commandLine(new PrintWriter(out), new PrintWriter(new StringWriter()),
        Terminal.plain(), new ByteArrayInputStream(new byte[0]));
    CompletionCommand.complete(commandLine, List.of(words));
    return out.toString();
  }

  private static void collect(CommandLine commandLine, List<CommandLine> into) {
    into.add(commandLine);
    commandLine.getSubcommands().values().stream().distinct().forEach(sub -> collect(sub, into));
  }
}
