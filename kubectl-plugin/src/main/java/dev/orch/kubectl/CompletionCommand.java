package dev.orch.kubectl;

import java.util.ArrayList;
import java.util.List;

import picocli.AutoComplete;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Parameters;

@Command(name = "completion", mixinStandardHelpOptions = true,
    description = {"Shell completion.",
        "bash: a script completing kubectl-orch (source it, or put it in /etc/bash_completion.d/).",
        "kubectl (1.26 and later) completes `kubectl orch ...` itself by running kubectl_complete-orch from PATH, which"
            + " `make plugin` places next to kubectl-orch; it calls `kubectl-orch completion __complete WORDS...`."},
    footerHeading = "%nExamples:%n",
    footer = {"  source <(kubectl orch completion bash)", "  kubectl orch completion bash > /etc/bash_completion.d/kubectl-orch"})
public final class CompletionCommand extends Verb {
  /** cobra's ShellCompDirectiveNoFileComp: kubectl then offers no file names. */
  private static final int NO_FILE_COMPLETION = 4;

  /** `completion __complete WORDS...`, handled before parsing: the words are options of other verbs. */
  static final String KUBECTL_PROTOCOL = "__complete";

  @Parameters(index = "0", paramLabel = "bash", description = "The shell.")
  String shell;

  @Override
  public Integer call() {
    if (!shell.equals("bash")) {
      throw new UserError("no completion for " + shell + "; use bash (kubectl completes zsh and fish for plugins"
          + " through kubectl_complete-orch)");
    }
    out().print(AutoComplete.bash("kubectl-orch", spec.root().commandLine()));
    out().flush();
    return 0;
  }

  /**
   * kubectl's plugin completion protocol (cobra's): the words typed so far, the last being the one completed; print
   * one candidate per line, then ":DIRECTIVE".
   */
  static int complete(CommandLine commandLine, List<String> words) {
    String[] args = words.isEmpty() ? new String[] {""} : words.toArray(String[]::new);
    String current = args[args.length - 1];
    List<CharSequence> candidates = new ArrayList<>();
    AutoComplete.complete(commandLine.getCommandSpec(), args, args.length - 1, current.length(),
        String.join(" ", args).length(), candidates);
    candidates.forEach(suffix -> commandLine.getOut().println(current + suffix));
    commandLine.getOut().println(":" + NO_FILE_COMPLETION);
    commandLine.getOut().flush();
    return 0;
  }
}
