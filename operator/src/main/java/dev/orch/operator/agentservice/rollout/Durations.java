package dev.orch.operator.agentservice.rollout;

import java.time.Duration;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/** Durations as the CRD accepts them (AgentServiceSpec.DURATION): 90s, 10m, 1h30m. */
public final class Durations {
  private static final Pattern PARTS = Pattern.compile("^(?:([0-9]+)h)?(?:([0-9]+)m)?(?:([0-9]+)s)?$");

  private Durations() {
  }

  public static Duration parse(String text) {
    Matcher m = PARTS.matcher(text);
    if (text.isEmpty() || !m.matches()) {
      throw new IllegalArgumentException("not a duration such as 90s, 10m or 1h30m: " + text);
    }
    return Duration.ofHours(part(m, 1)).plusMinutes(part(m, 2)).plusSeconds(part(m, 3));
  }

  private static long part(Matcher m, int group) {
    return m.group(group) == null ? 0 : Long.parseLong(m.group(group));
  }
}
