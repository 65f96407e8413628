package dev.orch.kubectl;

import java.time.Duration;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/** Durations as kubectl writes them: 30s, 5m, 2h, 1h30m. */
final class Durations {
  private static final Pattern PART = Pattern.compile("(\\d+)(h|m|s)");

  private Durations() {
  }

  static Duration parse(String text, String flag) {
    Matcher part = PART.matcher(text);
    Duration total = Duration.ZERO;
    int end = 0;
    while (part.find() && part.start() == end) {
      long amount = Long.parseLong(part.group(1));
      total = total.plus(switch (part.group(2)) {
        case "h" -> Duration.ofHours(amount);
        case "m" -> Duration.ofMinutes(amount);
        default -> Duration.ofSeconds(amount);
      });
      end = part.end();
    }
    if (end == 0 || end != text.length()) {
      throw new UserError(flag + " " + text + " is not a duration; write it like 30s, 5m or 1h30m");
    }
    return total;
  }

  /** Age as kubectl get prints it: 45s, 12m, 3h, 5d. */
  static String age(Duration age) {
    long seconds = Math.max(0, age.getSeconds());
    if (seconds < 120) {
      return seconds + "s";
    }
    if (seconds < 2 * 3600) {
      return seconds / 60 + "m";
    }
    if (seconds < 2 * 86400) {
      return seconds / 3600 + "h";
    }
    return seconds / 86400 + "d";
  }
}
