package io.regulator.bench;

import com.netflix.concurrency.limits.Limiter;
import com.netflix.concurrency.limits.limit.FixedLimit;
import com.netflix.concurrency.limits.limiter.BlockingLimiter;
import com.netflix.concurrency.limits.limiter.SimpleLimiter;
import java.time.Duration;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.Function;

/**
 * Netflix concurrency-limits: one {@link SimpleLimiter} with a {@link FixedLimit} per host in a
 * {@code ConcurrentHashMap}, wrapped in {@link BlockingLimiter} so that a full host waits
 * ({@code Object.wait}/{@code notifyAll}, no queue order) instead of being refused. Never
 * forgets a host. Thread-safe.
 */
final class NetflixLimiterGate implements HostGate {
  private final ConcurrentHashMap<String, Limiter<Void>> limiters = new ConcurrentHashMap<>();
  private final int limit;
  private final Function<String, Limiter<Void>> create = key -> newLimiter();

  NetflixLimiterGate(int limit) {
    this.limit = limit;
  }

  @Override
  public Object acquire(Object key) {
    Limiter<Void> limiter = HostGate.perHost(limiters, key, create);
    Optional<Limiter.Listener> listener = limiter.acquire(null);
    if (listener.isEmpty()) {
      throw new IllegalStateException("BlockingLimiter gave up on " + key);
    }
    return listener.get();
  }

  private Limiter<Void> newLimiter() {
    return BlockingLimiter.wrap(
        SimpleLimiter.newBuilder().limit(FixedLimit.of(limit)).build(),
        Duration.ofSeconds(30));
  }

  @Override
  public void release(Object key, Object permit) {
    ((Limiter.Listener) permit).onSuccess();
  }
}
