package io.regulator.tests;

import static org.awaitility.Awaitility.await;

import java.time.Duration;
import java.util.concurrent.ThreadLocalRandom;
import java.util.function.BooleanSupplier;
import org.awaitility.core.ConditionFactory;

/** Bounded waits for asynchronous outcomes; never a sleep. Stateless and thread-safe. */
final class Waits {
  /** Bound of every wait: far above any honest delay, so hitting it means a stuck caller. */
  static final Duration PATIENCE = Duration.ofSeconds(10);

  private Waits() {}

  /** Awaitility polling every millisecond, for states reached within microseconds. */
  static ConditionFactory soon() {
    return await().atMost(PATIENCE).pollDelay(Duration.ZERO).pollInterval(Duration.ofMillis(1));
  }

  /** Awaitility for outcomes that need a garbage collection; polls slower. */
  static ConditionFactory afterGc() {
    return await().atMost(Duration.ofSeconds(30)).pollDelay(Duration.ZERO)
        .pollInterval(Duration.ofMillis(20));
  }

  /**
   * Spins (yielding) on the calling thread until {@code condition} holds: for the loops that
   * repeat a race thousands of times, where a polling thread per round would dominate.
   */
  static void spinUntil(BooleanSupplier condition, String what) {
    long deadline = System.nanoTime() + PATIENCE.toNanos();
    for (int spins = 1; !condition.getAsBoolean(); spins++) {
      if (spins % 256 != 0) {
        Thread.onSpinWait(); // notice the change within nanoseconds: some windows are that short
        continue;
      }
      if (System.nanoTime() - deadline > 0) {
        throw new AssertionError("not within " + PATIENCE.toSeconds() + " s: " + what);
      }
      Thread.yield();
    }
  }

  /**
   * Busy-waits a random time up to {@code maxMicros}, to shift one side of a race by a random
   * amount; measured on the clock rather than counted in spins, whose cost varies by CPU.
   */
  static void jitter(int maxMicros) {
    delay(ThreadLocalRandom.current().nextLong(maxMicros * 1_000L + 1));
  }

  /** Busy-waits {@code nanos}: shorter and more exact than any park or sleep could. */
  static void delay(long nanos) {
    long start = System.nanoTime();
    while (System.nanoTime() - start < nanos) {
      Thread.onSpinWait();
    }
  }

  /** Whether {@code thread} is parked, as a caller queued in {@code acquire} is. */
  static boolean isParked(Thread thread) {
    Thread.State state = thread.getState();
    return state == Thread.State.WAITING || state == Thread.State.TIMED_WAITING;
  }
}
