package io.regulator.core.internal;

import io.regulator.DropReason;
import java.time.Duration;
import java.util.Objects;

/**
 * Where a regulator's slots send the outcomes their pools report (issue 16): its adaptive limits
 * and its shared backoff, either of which may be absent. A regulator with neither has no sink,
 * and its slots' reports stop at a null check.
 *
 * <p>Thread-safe: immutable, and both parts are.
 */
final class OutcomeSink {
  private final AdaptiveLimits limits;
  private final HostBackoff backoff;

  /** Null unless at least one part is configured. */
  static OutcomeSink of(AdaptiveLimits limits, HostBackoff backoff) {
    return (limits == null && backoff == null) ? null : new OutcomeSink(limits, backoff);
  }

  private OutcomeSink(AdaptiveLimits limits, HostBackoff backoff) {
    this.limits = limits;
    this.backoff = backoff;
  }

  /** Checks a reported latency; reports are validated whether or not anything listens. */
  static long latencyNanos(Duration latency) {
    Objects.requireNonNull(latency, "latency");
    if (latency.isNegative()) {
      throw new IllegalArgumentException("latency < 0: " + latency);
    }
    return (latency.getSeconds() >= Long.MAX_VALUE / 1_000_000_000L / 4)
        ? Long.MAX_VALUE / 4 : latency.toNanos();
  }

  /** Checks a reported drop; returns the Retry-After in nanoseconds, 0 if none. */
  static long retryAfterNanos(DropReason reason, Duration retryAfter) {
    Objects.requireNonNull(reason, "reason");
    if (retryAfter == null) {
      return 0;
    }
    if (retryAfter.isNegative()) {
      throw new IllegalArgumentException("retryAfter < 0: " + retryAfter);
    }
    return (retryAfter.getSeconds() >= Long.MAX_VALUE / 1_000_000_000L / 4)
        ? Long.MAX_VALUE / 4 : retryAfter.toNanos();
  }

  void success(LedgerSlot slot, long latencyNanos) {
    if (limits != null) {
      limits.sample(slot.semaphore, latencyNanos, false);
    }
  }

  void dropped(LedgerSlot slot, long retryAfterNanos) {
    if (backoff != null && retryAfterNanos > 0) {
      backoff.backOff(slot.semaphore.key, retryAfterNanos);
    }
    if (limits != null) {
      limits.sample(slot.semaphore, 0, true);
    }
  }
}
