package dev.orch.runner;

/**
 * A failure the user can fix. The message is shown verbatim (log and termination message), so it must
 * say what went wrong and what to change; no stack trace is printed for these.
 */
public class RunnerException extends RuntimeException {
  public RunnerException(String message) {
    super(message);
  }

  public RunnerException(String message, Throwable cause) {
    super(message, cause);
  }
}
