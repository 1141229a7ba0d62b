package io.regulator.core.internal;

import com.netflix.concurrency.limits.Limit;
import io.regulator.LimitChangeReason;
import java.util.ArrayList;
import java.util.List;

/**
 * A latency-based adaptive limit: one of Netflix concurrency-limits' {@link Limit}s (Vegas,
 * Gradient2, ...) per host, composed with windowed AIMD; the stricter of the two is the host's
 * limit, clamped to its band. The only class that uses concurrency-limits: it loads only for a
 * regulator built with {@code AdaptiveLimit.latency(...)}.
 *
 * <p>Why the composition: Netflix's latency limits read only round-trip times (Gradient2 ignores
 * {@code didDrop} altogether), and a 429 answered in a millisecond reads as a fast, healthy host,
 * so in the simulation a bare Gradient2 rose to its maximum under 97% rejections. So successes feed
 * the Netflix limit with their latency, and drops feed the AIMD part (one cut per window) and the
 * Netflix limit as {@code didDrop} with the latest success's latency, never the rejection's own.
 *
 * <p>Not thread-safe: {@link AdaptiveLimits} calls it under its host's lock.
 */
final class NetflixAlgorithm implements AdaptiveLimits.Algorithm {
  private final Limit limit;
  private final AdaptiveLimits.Aimd aimd;
  private final int min;
  private final int max;
  private final List<AdaptiveLimits.Change> aimdChanges = new ArrayList<>(2);
  private int applied;
  private long lastLatencyNanos;

  NetflixAlgorithm(Object limit, AdaptiveLimits.Aimd aimd, int min, int max) {
    if (!(limit instanceof Limit)) {
      throw new IllegalArgumentException(
          "latency limit factory made no com.netflix.concurrency.limits.Limit: " + limit);
    }
    this.limit = (Limit) limit;
    this.aimd = aimd;
    this.min = min;
    this.max = max;
  }

  @Override
  public void reset(int newLimit) {
    applied = newLimit;
    aimd.reset(newLimit);
  }

  @Override
  public int limit() {
    return applied;
  }

  @Override
  public void sample(long now, long latencyNanos, int inflight, boolean dropped,
      List<AdaptiveLimits.Change> changes) {
    aimdChanges.clear();
    aimd.sample(now, latencyNanos, inflight, dropped, aimdChanges);
    if (!dropped && latencyNanos > 0) {
      lastLatencyNanos = latencyNanos;
      limit.onSample(now - latencyNanos, latencyNanos, inflight, false);
    } else if (dropped && lastLatencyNanos > 0) {
      limit.onSample(now - lastLatencyNanos, lastLatencyNanos, inflight, true);
    }
    int next = Math.max(min, Math.min(max, Math.min(aimd.limit(), limit.getLimit())));
    if (next != applied) {
      LimitChangeReason reason = (dropped && next < applied) ? LimitChangeReason.PUSH_BACK
          : (!aimdChanges.isEmpty() && next > applied) ? LimitChangeReason.PROBE
          : LimitChangeReason.LATENCY;
      changes.add(new AdaptiveLimits.Change(applied, next, reason));
      applied = next;
    }
  }
}
