package dev.orch.kubectl;

import java.time.Duration;

import picocli.CommandLine.Option;

/** What deploy does with the objects: apply them (and maybe wait), or print them for GitOps. */
public final class DeployFlags {
  @Option(names = "--dry-run", arity = "0..1", fallbackValue = "client", paramLabel = "client|server|none",
      description = "client: print the objects instead of applying them (with -o yaml, for a GitOps repository);"
          + " server: have the API server validate them without storing them.")
  String dryRun = "none";

  @Option(names = {"-o", "--output"}, paramLabel = "yaml|json",
      description = "Print the objects (applied, or with --dry-run the ones that would be) as yaml or json.")
  String output;

  @Option(names = "--wait", description = "Follow the status until Ready (exit 0) or Stalled (exit 1, with the reason).")
  boolean wait;

  @Option(names = "--timeout", paramLabel = "DURATION", defaultValue = "5m",
      description = "How long --wait waits, e.g. 90s, 5m (default: ${DEFAULT-VALUE}).")
  String timeout;

  boolean clientDryRun() {
    return switch (dryRun) {
      case "client" -> true;
      case "server", "none" -> false;
      default -> throw new UserError("--dry-run must be client, server or none (got " + dryRun + ")");
    };
  }

  boolean serverDryRun() {
    return "server".equals(dryRun);
  }

  Duration timeout() {
    return Durations.parse(timeout, "--timeout");
  }
}
