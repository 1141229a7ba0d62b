package io.regulator.tests;

import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.concurrent.atomic.AtomicInteger;

/**
 * Counts the callers holding a slot of one host at once, and the most that ever did. Callers
 * {@link #enter()} right after a grant and {@link #exit()} right before the release, so the count
 * is taken while the slot is held and can only under-count the regulator's own figure: a maximum
 * above the limit is a real breach of the cap.
 *
 * <p>Thread-safe.
 */
final class HolderGauge {
  private final AtomicInteger holders = new AtomicInteger();
  private final AtomicInteger max = new AtomicInteger();
  private final AtomicInteger grants = new AtomicInteger();

  /** Counts a new holder; returns how many hold now. */
  int enter() {
    int now = holders.incrementAndGet();
    max.accumulateAndGet(now, Math::max);
    grants.incrementAndGet();
    return now;
  }

  /** Counts a holder that is about to release. */
  void exit() {
    holders.decrementAndGet();
  }

  int holders() {
    return holders.get();
  }

  int max() {
    return max.get();
  }

  /** How many times a slot was held in all. */
  int grants() {
    return grants.get();
  }

  /**
   * Starts a new phase: the maximum from now on. Only sound when the count can no longer exceed
   * the new phase's bound, e.g. once the regulator's in-use count is under a lowered limit.
   */
  void resetMax() {
    max.set(holders.get());
  }

  void assertNeverAbove(int limit) {
    assertTrue(max.get() <= limit,
        () -> "at most " + limit + " holders at once, but " + max.get() + " held together");
  }
}
