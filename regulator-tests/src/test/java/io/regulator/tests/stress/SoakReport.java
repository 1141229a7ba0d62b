package io.regulator.tests.stress;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.atomic.LongAdder;
import java.util.function.Supplier;

/**
 * Counts of what the soak did and checked, and the violations it found. Thread-safe.
 */
final class SoakReport {
  private static final int MAX_KEPT = 20;

  final LongAdder operations = new LongAdder();
  final LongAdder checks = new LongAdder();
  final LongAdder limitChanges = new LongAdder();
  final LongAdder poolRebuilds = new LongAdder();
  final LongAdder interrupts = new LongAdder();
  private final Map<String, LongAdder> outcomes = new ConcurrentHashMap<>();
  private final ConcurrentLinkedQueue<String> violations = new ConcurrentLinkedQueue<>();
  private volatile boolean failed;

  /** Counts one check; records a violation if it does not hold. */
  void check(boolean holds, Supplier<String> violation) {
    checks.increment();
    if (!holds) {
      fail(violation.get());
    }
  }

  void fail(String violation) {
    failed = true;
    if (violations.size() < MAX_KEPT) {
      violations.add("[" + Thread.currentThread().getName() + "] " + violation);
    }
  }

  boolean failed() {
    return failed;
  }

  List<String> violations() {
    return new ArrayList<>(violations);
  }

  void outcome(String name) {
    outcomes.computeIfAbsent(name, n -> new LongAdder()).increment();
  }

  Map<String, Long> outcomes() {
    Map<String, Long> sorted = new TreeMap<>();
    outcomes.forEach((name, count) -> sorted.put(name, count.sum()));
    return sorted;
  }
}
