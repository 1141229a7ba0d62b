package io.regulator.tests.lincheck;

import kotlin.jvm.functions.Function1;
import org.jetbrains.lincheck.datastructures.ManagedStrategyGuaranteeKt;
import org.jetbrains.lincheck.datastructures.ModelCheckingOptions;
import org.jetbrains.lincheck.datastructures.StressOptions;

/**
 * The budgets of the Lincheck runs: small enough for {@code ./mvnw verify} on two cores, larger on
 * demand with {@code -Dlincheck.scale=N} (N times the iterations).
 */
final class LincheckRuns {
  private static final int SCALE = Integer.getInteger("lincheck.scale", 1);

  private LincheckRuns() {}

  /**
   * Systematic interleavings through the instrumented bytecode. Caffeine (the host table) is run
   * uninstrumented: its internals are not under test, and its maintenance tasks would otherwise be
   * explored switch by switch.
   */
  static ModelCheckingOptions modelChecking(Class<?> specification, int iterations) {
    Function1<String, Boolean> caffeine = name -> name.startsWith("com.github.benmanes.caffeine");
    return new ModelCheckingOptions()
        .iterations(Integer.getInteger("lincheck.mc.iterations", iterations) * SCALE)
        .invocationsPerIteration(Integer.getInteger("lincheck.mc.invocations", 80))
        .threads(3)
        .actorsPerThread(2)
        .actorsBefore(2)
        .actorsAfter(1)
        .sequentialSpecification(specification)
        .addGuarantee(ManagedStrategyGuaranteeKt.forClasses(caffeine).allMethods().ignore());
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
