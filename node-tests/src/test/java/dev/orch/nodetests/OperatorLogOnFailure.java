package dev.orch.nodetests;

import org.junit.jupiter.api.extension.ExtensionContext;
import org.junit.jupiter.api.extension.TestWatcher;

/** Prints the end of the packaged operator's log when a node test fails: most failures are explained there. */
final class OperatorLogOnFailure implements TestWatcher {
  @Override
  public void testFailed(ExtensionContext context, Throwable cause) {
    System.err.println(NodeTier.get().operatorLogTail(60));
  }
}
