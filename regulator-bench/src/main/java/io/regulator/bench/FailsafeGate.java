package io.regulator.bench;

import dev.failsafe.Bulkhead;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.Function;

/**
 * Failsafe: one {@link Bulkhead} per host in a {@code ConcurrentHashMap}, since Failsafe has no
 * registry; {@code acquirePermit()} waits in its FIFO queue of futures. Never forgets a host.
 * Thread-safe.
 */
final class FailsafeGate implements HostGate {
  private final ConcurrentHashMap<String, Bulkhead<Object>> bulkheads = new ConcurrentHashMap<>();
  private final Function<String, Bulkhead<Object>> create;

  FailsafeGate(int limit) {
    this.create = key -> Bulkhead.of(limit);
  }

  @Override
  public Object acquire(Object key) throws InterruptedException {
    Bulkhead<Object> bulkhead = HostGate.perHost(bulkheads, key, create);
    bulkhead.acquirePermit();
    return bulkhead;
  }

  @Override
  public void release(Object key, Object permit) {
    ((Bulkhead<?>) permit).releasePermit();
  }
}
