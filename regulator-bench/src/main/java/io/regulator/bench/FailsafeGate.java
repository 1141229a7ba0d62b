package io.regulator.bench;

import dev.failsafe.Bulkhead;
import java.util.concurrent.ConcurrentHashMap;

/**
 * Failsafe: one {@link Bulkhead} per host in a {@code ConcurrentHashMap}, since Failsafe has no
 * registry; {@code acquirePermit()} waits in its FIFO queue of futures. Never forgets a host.
 * Thread-safe.
 */
final class FailsafeGate implements HostGate {
  private final ConcurrentHashMap<String, Bulkhead<Object>> bulkheads = new ConcurrentHashMap<>();
  private final int limit;

  FailsafeGate(int limit) {
    this.limit = limit;
  }

  @Override
  public Object key(String host) {
    return host + ":443";
  }

  @Override
  public Object acquire(Object key) throws InterruptedException {
    Bulkhead<Object> bulkhead = bulkheads.get(key);
    if (bulkhead == null) {
      bulkhead = bulkheads.computeIfAbsent((String) key, k -> Bulkhead.of(limit));
    }
    bulkhead.acquirePermit();
    return bulkhead;
  }

  @Override
  public void release(Object key, Object permit) {
    ((Bulkhead<?>) permit).releasePermit();
  }
}
