package dev.orch.kubectl;

import java.util.Map;

/**
 * Whether to colour output: only when stdout is a terminal, TERM is not dumb and NO_COLOR is unset
 * (https://no-color.org). A pipe or a file never gets escape codes.
 */
public record Terminal(boolean colour) {
  private static final String RESET = "\u001b[0m";

  public static Terminal detect(Map<String, String> environment) {
    String noColor = environment.get("NO_COLOR");
    boolean colour = System.console() != null && (noColor == null || noColor.isEmpty())
        && !"dumb".equals(environment.get("TERM"));
    return new Terminal(colour);
  }

  public static Terminal plain() {
    return new Terminal(false);
  }

  /** A state, health or run status in its colour: green when well, yellow while changing, red when failed. */
  public String state(String value) {
    if (!colour || value == null) {
      return value;
    }
    String code = switch (value) {
      case "running", "healthy", "success", "Ready", "True" -> "\u001b[32m";
      case "provisioning", "paused", "unknown", "skipped", "Reconciling" -> "\u001b[33m";
      case "CRASH-LOOP", "crash-loop", "failed", "unhealthy", "failure", "timeout", "error", "Stalled", "Warning" -> "\u001b[31m";
      default -> null;
    };
    return code == null ? value : code + value + RESET;
  }

  /** Something missing or wrong, in red. */
  public String alarm(String value) {
    return colour ? "\u001b[31m" + value + RESET : value;
  }

  /** The printed width of a cell: what remains once escape codes are left out. */
  static int width(String cell) {
    return cell.replaceAll("\u001b\\[[0-9;]*m", "").length();
  }
}
