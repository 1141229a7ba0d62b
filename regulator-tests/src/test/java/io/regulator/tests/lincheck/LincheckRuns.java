package io.regulator.tests.lincheck;

import org.jetbrains.lincheck.datastructures.ModelCheckingOptions;
import org.jetbrains.lincheck.datastructures.StressOptions;

/**
 * The budgets of the Lincheck runs: small enough for {@code ./mvnw verify} on two cores, larger on
 * demand with {@code -Dlincheck.scale=N} (N times the iterations).
 */
final class LincheckRuns {
  private static final int SCALE = Integer.getInteger("lincheck.scale", 1);

  private LincheckRuns() {}

  /** Systematic interleavings through the instrumented bytecode, host table included. */
  static ModelCheckingOptions modelChecking(Class<?> specification, int iterations) {
    return new ModelCheckingOptions()
        .iterations(Integer.getInteger("lincheck.mc.iterations", iterations) * SCALE)
        .invocationsPerIteration(Integer.getInteger("lincheck.mc.invocations", 80))
        .threads(3)
        .actorsPerThread(2)
        .actorsBefore(2)
        .actorsAfter(1)
        .sequentialSpecification(specification);
  }

  /** Real threads, many short runs: cheap, and catches what the JIT and hardware reorder. */
  static StressOptions stress(Class<?> specification) {
    return new StressOptions()
        .iterations(Integer.getInteger("lincheck.stress.iterations", 8) * SCALE)
        .invocationsPerIteration(Integer.getInteger("lincheck.stress.invocations", 250))
        .threads(3)
        .actorsPerThread(3)
        .actorsBefore(2)
        .actorsAfter(1)
        .sequentialSpecification(specification);
  }
}
