package io.regulator.core.internal;

import com.netflix.concurrency.limits.Limit;
import io.regulator.LimitChangeReason;
import java.util.List;

/**
 * A latency-based adaptive limit: one of Netflix concurrency-limits' {@link Limit}s (Vegas,
 * Gradient2, ...) per host, fed every reported success and drop as a sample, its limit applied
 * clamped to the host's band. The only class that uses concurrency-limits: it loads only for a
 * regulator built with {@code AdaptiveLimit.latency(...)}.
 *
 * <p>Not thread-safe: {@link AdaptiveLimits} calls it under its host's lock.
 */
final class NetflixAlgorithm implements AdaptiveLimits.Algorithm {
  private final Limit limit;
  private final int min;
  private final int max;
  private int applied;

  NetflixAlgorithm(Object limit, int min, int max) {
    if (!(limit instanceof Limit)) {
      throw new IllegalArgumentException(
          "latency limit factory made no com.netflix.concurrency.limits.Limit: " + limit);
    }
    this.limit = (Limit) limit;
    this.min = min;
    this.max = max;
  }

  @Override
  public void reset(int newLimit) {
    applied = newLimit;
  }

  @Override
  public void sample(long now, long latencyNanos, int inflight, boolean dropped,
      List<AdaptiveLimits.Change> changes) {
    limit.onSample(now - latencyNanos, latencyNanos, inflight, dropped);
    int next = Math.max(min, Math.min(max, limit.getLimit()));
    if (next != applied) {
      changes.add(new AdaptiveLimits.Change(applied, next,
          (dropped && next < applied) ? LimitChangeReason.PUSH_BACK : LimitChangeReason.LATENCY));
      applied = next;
    }
  }
}
