package dev.orch.operator.testing;

import java.util.Collection;
import java.util.function.Supplier;

import org.junit.jupiter.api.extension.ExtensionContext;
import org.junit.jupiter.api.extension.TestWatcher;

/** Prints the end of each packaged operator's log when a test fails: most failures are explained there. */
public final class OperatorLogOnFailure implements TestWatcher {
  private final Supplier<Collection<PackagedOperator>> operators;

  /** {@code operators} is asked at failure time, so it sees the processes the test started (or restarted). */
  public OperatorLogOnFailure(Supplier<Collection<PackagedOperator>> operators) {
    this.operators = operators;
  }

  @Override
  public void testFailed(ExtensionContext context, Throwable cause) {
    Collection<PackagedOperator> started = operators.get();
    if (started.isEmpty()) {
      System.err.println("(no packaged operator was running)");
    }
    started.forEach(operator -> System.err.println(operator.logTail(80)));
  }
}
