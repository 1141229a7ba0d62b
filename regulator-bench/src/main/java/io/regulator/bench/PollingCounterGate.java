package io.regulator.bench;

import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Function;

/**
 * The Erlang-client style: a {@code ConcurrentHashMap<String, AtomicInteger>} of in-use counts;
 * a caller that finds the host full sleeps 10 ms and tries again. No queue, no fairness, and a
 * handoff costs up to one polling period. Thread-safe.
 */
final class PollingCounterGate implements HostGate {
  static final long POLL_MILLIS = 10;

  private static final Function<String, AtomicInteger> NEW_COUNT = key -> new AtomicInteger();

  private final ConcurrentHashMap<String, AtomicInteger> counts = new ConcurrentHashMap<>();
  private final int limit;

  PollingCounterGate(int limit) {
    this.limit = limit;
  }

  @Override
  public Object acquire(Object key) throws InterruptedException {
    AtomicInteger count = HostGate.perHost(counts, key, NEW_COUNT);
    for (; ; ) {
      int now = count.get();
      if (now < limit) {
        if (count.compareAndSet(now, now + 1)) {
          return count;
        }
      } else {
        Thread.sleep(POLL_MILLIS);
      }
    }
  }

  @Override
  public void release(Object key, Object permit) {
    ((AtomicInteger) permit).decrementAndGet();
  }
}
