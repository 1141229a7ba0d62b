package io.regulator.zookeeper;

import java.util.concurrent.atomic.AtomicInteger;

/**
 * Counts holders of a host across every simulated node at once, and the most there ever were:
 * the fleet-wide "never more than the limit" check. A holder enters after its acquire returned and
 * exits before it releases, so the gauge never counts a slot the regulator has not granted.
 */
final class ConcurrencyGauge {
  private final AtomicInteger now = new AtomicInteger();
  private final AtomicInteger max = new AtomicInteger();

  void enter() {
    int current = now.incrementAndGet();
    max.accumulateAndGet(current, Math::max);
  }

  void exit() {
    now.decrementAndGet();
  }

  int now() {
    return now.get();
  }

  int max() {
    return max.get();
  }

  /** Starts a new phase: the maximum from here on, starting at the holders now. */
  void resetMax() {
    max.set(now.get());
  }
}
