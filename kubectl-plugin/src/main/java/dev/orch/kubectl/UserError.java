package dev.orch.kubectl;

/**
 * A failure the user can fix, with the fix in the message: printed as "error: MESSAGE" without a stack trace,
 * exit code 1 (as kubectl does).
 */
public class UserError extends RuntimeException {
  public UserError(String message) {
    super(message);
  }
}
