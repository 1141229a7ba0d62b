package io.regulator.core.internal;

import io.regulator.HostBackoffException;
import io.regulator.HostKey;
import io.regulator.RegulatedPool;
import io.regulator.Slot;
import io.regulator.core.SharedBackoff;
import java.lang.ref.Reference;
import java.time.Duration;
import java.util.Objects;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.LockSupport;
import java.util.function.LongSupplier;

/**
 * A pool of a regulator with shared {@code Retry-After} (issue 16): the pool's own handle, with
 * each acquire first waiting out (or failing on) its host's backoff. Regulators without shared
 * backoff hand out the handle itself, so their acquire path has no such step at all; with it, an
 * acquire of a host not in backoff costs one volatile read ({@link HostBackoff#remaining}).
 *
 * <p>It holds the handle strongly, so the handle's cleaner runs once this pool becomes
 * unreachable, as it would for the handle.
 *
 * <p>Thread-safe.
 */
final class BackoffPool implements RegulatedPool {
  private static final long MAX_TIMEOUT_NANOS = Long.MAX_VALUE / 4;

  private final RegulatedPool pool;
  private final HostBackoff backoff;
  private final long defaultTimeoutNanos;
  private final LongSupplier ticker;
  private final SemaphoreRegistry registry;

  BackoffPool(RegulatedPool pool, HostBackoff backoff, SemaphoreRegistry registry) {
    this.pool = pool;
    this.backoff = backoff;
    this.registry = registry;
    this.ticker = registry.settings().ticker();
    this.defaultTimeoutNanos = toNanos(registry.settings().acquireTimeout());
  }

  @Override
  public String name() {
    return pool.name();
  }

  @Override
  public Slot acquire(HostKey key) throws InterruptedException {
    Objects.requireNonNull(key, "key");
    if (backoff.remaining(key) == 0) {
      return pool.acquire(key);
    }
    return pool.acquire(key, Duration.ofNanos(waitOut(key, defaultTimeoutNanos)));
  }

  @Override
  public Slot acquire(HostKey key, Duration timeout) throws InterruptedException {
    Objects.requireNonNull(key, "key");
    long timeoutNanos = toNanos(timeout);
    if (backoff.remaining(key) == 0) {
      return pool.acquire(key, timeout);
    }
    return pool.acquire(key, Duration.ofNanos(waitOut(key, timeoutNanos)));
  }

  /** Waits for the host's backoff to end, or fails; returns the time left of the timeout. */
  private long waitOut(HostKey key, long timeoutNanos) throws InterruptedException {
    long start = ticker.getAsLong();
    Thread self = Thread.currentThread();
    backoff.waiting(self, this);
    try {
      // A closed pool ends the wait at once: the acquire below then throws PoolClosedException.
      for (long left = backoff.remaining(key); left > 0 && !pool.isClosed();
          left = backoff.remaining(key)) {
        long waited = ticker.getAsLong() - start;
        if (backoff.mode(key) == SharedBackoff.FAIL_FAST || left > timeoutNanos - waited) {
          throw new HostBackoffException(key, Duration.ofNanos(left));
        }
        LockSupport.parkNanos(this, left);
        if (Thread.interrupted()) {
          throw new InterruptedException();
        }
      }
      return Math.max(0, timeoutNanos - (ticker.getAsLong() - start));
    } finally {
      backoff.doneWaiting(self);
      Reference.reachabilityFence(this); // see PoolHandle.acquire: the pool is in use while waiting
    }
  }

  @Override
  public Optional<Slot> tryAcquire(HostKey key) {
    Objects.requireNonNull(key, "key");
    return (backoff.remaining(key) == 0) ? pool.tryAcquire(key) : Optional.empty();
  }

  @Override
  public CompletableFuture<Slot> acquireAsync(HostKey key, Duration timeout) {
    Objects.requireNonNull(key, "key");
    long timeoutNanos = toNanos(timeout);
    long left = backoff.remaining(key);
    if (left == 0) {
      return pool.acquireAsync(key, timeout);
    }
    if (backoff.mode(key) == SharedBackoff.FAIL_FAST || left > timeoutNanos) {
      return CompletableFuture.failedFuture(new HostBackoffException(key, Duration.ofNanos(left)));
    }
    // Waits on the regulator's timer, no thread parked; the task holds this pool, which is in use.
    CompletableFuture<Slot> result = new CompletableFuture<>();
    backoff.waiting(result, this);
    result.whenComplete((slot, failure) -> backoff.doneWaiting(result));
    if (pool.isClosed()) {
      backoff.closed(this); // closed meanwhile: its close may have missed this future
    }
    long start = ticker.getAsLong();
    ScheduledExecutorService timer = registry.timer();
    ScheduledFuture<?> wake = timer.schedule(() -> {
      if (result.isDone()) {
        return;
      }
      long rest = Math.max(0, timeoutNanos - (ticker.getAsLong() - start));
      CompletableFuture<Slot> acquiring = acquireAsync(key, Duration.ofNanos(rest));
      result.whenComplete((slot, failure) -> {
        if (result.isCancelled() || failure != null) {
          acquiring.cancel(false);
        }
      });
      acquiring.whenComplete((slot, failure) -> {
        if (failure != null) {
          result.completeExceptionally(failure);
        } else if (!result.complete(slot)) {
          slot.release(); // the caller gave up at the instant of the grant
        }
      });
    }, left, TimeUnit.NANOSECONDS);
    result.whenComplete((slot, failure) -> wake.cancel(false));
    return result;
  }

  @Override
  public int inUse() {
    return pool.inUse();
  }

  @Override
  public int inUse(HostKey key) {
    return pool.inUse(key);
  }

  @Override
  public boolean isClosed() {
    return pool.isClosed();
  }

  @Override
  public void close() {
    pool.close();
    backoff.closed(this); // acquires waiting out a backoff fail now, as queued ones did
  }

  private static long toNanos(Duration timeout) {
    Objects.requireNonNull(timeout, "timeout");
    if (timeout.isNegative()) {
      throw new IllegalArgumentException("timeout < 0: " + timeout);
    }
    return (timeout.compareTo(Duration.ofNanos(MAX_TIMEOUT_NANOS)) >= 0)
        ? MAX_TIMEOUT_NANOS : timeout.toNanos();
  }

  @Override
  public String toString() {
    return pool.toString();
  }
}
