package io.regulator.bench;

import io.github.resilience4j.bulkhead.Bulkhead;
import io.github.resilience4j.bulkhead.BulkheadConfig;
import io.github.resilience4j.bulkhead.BulkheadRegistry;
import java.time.Duration;

/**
 * Resilience4j: one semaphore {@link Bulkhead} per host, looked up by name in a {@link
 * BulkheadRegistry} on every call as its documentation shows; fair call handling (its default),
 * {@code onComplete()} to release. Never forgets a host. Thread-safe.
 */
final class Resilience4jGate implements HostGate {
  private final BulkheadRegistry registry;

  Resilience4jGate(int limit) {
    registry =
        BulkheadRegistry.of(
            BulkheadConfig.custom()
                .maxConcurrentCalls(limit)
                .maxWaitDuration(Duration.ofSeconds(30))
                .build());
  }

  @Override
  public Object acquire(Object key) {
    Bulkhead bulkhead = registry.bulkhead((String) key);
    bulkhead.acquirePermission();
    return bulkhead;
  }

  @Override
  public void release(Object key, Object permit) {
    ((Bulkhead) permit).onComplete();
  }
}
