package dev.orch.kubectl;

import java.time.Duration;
import java.time.Instant;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/**
 * sleep and wake: each sets its annotation to now, which the operator acts on once. Annotations rather than a spec
 * field (as pause is), so that a GitOps source owning the spec does not undo them.
 */
public abstract class SleepWakeVerb extends Verb {
  @Parameters(index = "0", paramLabel = "NAME|swarm/NAME", description = "The AgentService, or swarm/NAME.")
  String reference;

  abstract String annotation();

  /** Sets the request's annotation and returns its name. */
  String request(Kind kind, String name) {
    requestNow(kind, name, annotation());
    return annotation();
  }

  /** What the resource is doing now, after "agentservice/NAME ". */
  abstract String doing();

  /** What the operator does next. */
  abstract String next();

  @Override
  public Integer call() {
    Kind kind = PauseCommand.pausable(reference);
    String name = Kind.nameOf(reference);
    require(kind, name);
    String annotation = request(kind, name);
    out().println(kind.lowerCase() + "/" + name + " " + doing() + " (" + annotation + " set): " + next()
        + "; follow it with kubectl orch info " + reference);
    out().flush();
    return 0;
  }

  @Command(name = "sleep", mixinStandardHelpOptions = true,
      description = {"Put an AgentService (or swarm/NAME) to sleep: sets the annotation orch.dev/sleep to now; the"
          + " operator stops its pods, keeps its configuration and shows state sleeping until kubectl orch wake.",
          "Unlike pause it leaves the spec alone, so a GitOps source that owns the spec does not undo it."},
      footerHeading = "%nExamples:%n",
      footer = {"  kubectl orch sleep discord-bot", "  kubectl orch sleep swarm/issue-shards"})
  public static final class Sleep extends SleepWakeVerb {
    @Override
    String annotation() {
      return "orch.dev/sleep";
    }

    @Override
    String doing() {
      return "going to sleep";
    }

    @Override
    String next() {
      return "its pods stop and it shows SLEEPING until kubectl orch wake " + reference;
    }
  }

  @Command(name = "wake", mixinStandardHelpOptions = true,
      description = "Wake a sleeping AgentService (or swarm/NAME): sets the annotation orch.dev/wake to now; the"
          + " operator starts its pods again. With --for it sets orch.dev/keep-awake to the time the period ends"
          + " instead, and idleness does not put it to sleep before then.",
      footerHeading = "%nExamples:%n",
      footer = {"  kubectl orch wake discord-bot", "  kubectl orch wake swarm/issue-shards",
          "  kubectl orch wake discord-bot --for 2h"})
  public static final class Wake extends SleepWakeVerb {
    private static final Pattern DURATION = Pattern.compile("(?:(\\d+)h)?(?:(\\d+)m)?(?:(\\d+)s)?");

    @Option(names = "--for", paramLabel = "DURATION",
        description = "Keep it awake this long (e.g. 2h, 90m, 1h30m); kubectl orch sleep ends it sooner. A swarm,"
            + " or a service without afterIdle, goes back to sleep when it ends.")
    String keepAwakeFor;

    private Instant keptAwakeUntil;

    @Override
    String annotation() {
      return "orch.dev/wake";
    }

    @Override
    String request(Kind kind, String name) {
      if (keepAwakeFor == null) {
        return super.request(kind, name);
      }
      keptAwakeUntil = Instant.now().plus(duration(keepAwakeFor));
      // A time, not the duration: each request differs from the last, so the operator acts on it.
      Patches.mergeMetadataAnnotation(client(), kind, namespace(), name, "orch.dev/keep-awake", keptAwakeUntil.toString());
      return "orch.dev/keep-awake";
    }

    static Duration duration(String text) {
      Matcher m = DURATION.matcher(text);
      Duration duration = m.matches() ? Duration.ofHours(number(m.group(1))).plusMinutes(number(m.group(2)))
          .plusSeconds(number(m.group(3))) : Duration.ZERO;
      if (duration.isZero()) {
        throw new UserError("--for " + text + " is not a duration; write hours, minutes and seconds such as 2h, 90m or"
            + " 1h30m");
      }
      return duration;
    }

    private static long number(String digits) {
      return digits == null ? 0 : Long.parseLong(digits);
    }

    @Override
    String doing() {
      return "waking up";
    }

    @Override
    String next() {
      return keptAwakeUntil == null ? "its pods start again"
          : "its pods start again and it stays awake until " + keptAwakeUntil + " (kubectl orch sleep " + reference
              + " ends it sooner)";
    }
  }
}
