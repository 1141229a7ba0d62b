package io.regulator.core.internal;

import io.regulator.HostKey;
import io.regulator.core.SharedBackoff;
import io.regulator.PoolClosedException;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentMap;
import java.util.function.LongSupplier;

/**
 * Shared {@code Retry-After} (issue 16): the hosts that asked the node to back off, and until when.
 * A reported drop with a {@code Retry-After} puts an opted-in host in backoff until that instant
 * (the later of two overlapping ones wins); every pool's new acquires of the host then wait for the
 * end or fail fast ({@link BackoffPool}).
 *
 * <h2>Concurrency</h2>
 *
 * The ends live in a {@code ConcurrentHashMap}, updated by {@code merge}. {@link #active} says
 * whether any host may be in backoff, so that an acquire in the usual case reads one volatile
 * field and nothing else. A writer sets it after its entry is in; whoever removes an expired entry
 * clears it and then sets it again if the map is not empty, so a concurrent new entry is never
 * hidden.
 *
 * <h2>Entry lifecycle</h2>
 *
 * An entry is removed by the first lookup that finds it expired: the map holds only hosts in
 * backoff now, or lately. Acquires waiting out a backoff are registered in {@link #waiters} only
 * while they wait (a parked thread, or an async acquire's future), with their pool: closing the
 * pool or the regulator fails them at once, as it fails the pool's queued waiters.
 *
 * <p>Thread-safe.
 */
final class HostBackoff {
  private final SharedBackoff defaultMode;
  private final Map<HostKey, SharedBackoff> perHost;
  private final LongSupplier ticker;
  private final ConcurrentMap<HostKey, Long> until = new ConcurrentHashMap<>();
  private volatile boolean active;

  /** Acquires waiting out a backoff: a parked {@code Thread} or a pending future, by pool. */
  private final ConcurrentMap<Object, BackoffPool> waiters = new ConcurrentHashMap<>();

  /** Set once, right after the observer chain is built. */
  private volatile SlotObserver observer = SlotObserver.NONE;

  HostBackoff(SharedBackoff defaultMode, Map<HostKey, SharedBackoff> perHost, LongSupplier ticker) {
    this.defaultMode = defaultMode;
    this.perHost = Map.copyOf(perHost);
    this.ticker = ticker;
  }

  void observer(SlotObserver observer) {
    this.observer = observer;
  }

  /** What acquires of {@code key} do during a backoff, or null if the host does not share one. */
  SharedBackoff mode(HostKey key) {
    SharedBackoff mode = perHost.get(key);
    return (mode != null) ? mode : defaultMode;
  }

  /** The host asked for {@code waitNanos} of quiet; a no-op unless it shares its backoff. */
  void backOff(HostKey key, long waitNanos) {
    if (waitNanos <= 0 || mode(key) == null) {
      return;
    }
    long end = ticker.getAsLong() + waitNanos;
    until.merge(key, end, (a, b) -> (a - b >= 0) ? a : b);
    active = true;
    observer.backoffStarted(key, waitNanos);
  }

  /** How many nanoseconds of {@code key}'s backoff are left; 0 if none. */
  long remaining(HostKey key) {
    if (!active) {
      return 0; // the usual case: one volatile read
    }
    Long end = until.get(key);
    if (end == null) {
      return 0;
    }
    long left = end - ticker.getAsLong();
    if (left > 0) {
      return left;
    }
    if (until.remove(key, end)) {
      active = false;
      if (!until.isEmpty()) {
        active = true;
      }
    }
    return 0;
  }

  void waiting(Object waiter, BackoffPool pool) {
    waiters.put(waiter, pool);
  }

  void doneWaiting(Object waiter) {
    waiters.remove(waiter);
  }

  /** Wakes (threads) or fails (futures) the waiters of {@code pool}, or of every pool if null. */
  @SuppressWarnings("unchecked")
  void closed(BackoffPool pool) {
    for (Map.Entry<Object, BackoffPool> entry : waiters.entrySet()) {
      if (pool != null && entry.getValue() != pool) {
        continue;
      }
      Object waiter = entry.getKey();
      if (waiter instanceof Thread) {
        java.util.concurrent.locks.LockSupport.unpark((Thread) waiter); // it sees the pool closed
      } else {
        ((CompletableFuture<Object>) waiter)
            .completeExceptionally(new PoolClosedException(entry.getValue().name()));
      }
    }
  }
}
