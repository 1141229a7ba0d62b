package io.regulator.core.internal;

import io.regulator.HostKey;
import io.regulator.HostOverloadedException;
import io.regulator.PoolClosedException;
import io.regulator.RegulatedPool;
import io.regulator.SelfDeadlockException;
import io.regulator.Slot;
import io.regulator.SlotTimeoutException;
import java.lang.ref.Cleaner;
import java.lang.ref.Reference;
import java.time.Duration;
import java.util.Objects;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ScheduledExecutorService;
import java.util.function.Supplier;

/**
 * The object a pool holds: the {@link RegulatedPool} API over a {@link PoolLedger}.
 *
 * <p>Nothing inside the regulator references this handle (slots and waiters reference the
 * ledger), so a pool dropped without {@code close()} becomes unreachable even while it holds
 * slots; its {@link Cleaner} then closes the ledger, gives those slots back and reports it.
 *
 * <p>Thread-safe.
 */
final class PoolHandle implements RegulatedPool {
  /** Longest wait taken literally, so that deadline arithmetic cannot overflow (~73 years). */
  private static final long MAX_TIMEOUT_NANOS = Long.MAX_VALUE / 4;

  /** A constant, so that checking a timeout allocates nothing even where escape analysis fails. */
  private static final Duration MAX_TIMEOUT = Duration.ofNanos(MAX_TIMEOUT_NANOS);

  private final PoolLedger ledger;
  private final SlotObserver observer;
  private final SemaphoreRegistry registry;
  private final Cleaner.Cleanable cleanable;

  /** The host this pool used last; see {@link #semaphore(HostKey)}. */
  private HostTable.HostRef lastHost;

  /** The regulator's timer, for the deadline sweeps of waiters (see {@link DeadlineSweep}). */
  private final Supplier<ScheduledExecutorService> timer;

  /** The regulator's default acquire timeout, converted once: {@code acquire(key)} is hot. */
  private final long defaultTimeoutNanos;

  PoolHandle(PoolLedger ledger, SemaphoreRegistry registry, Cleaner cleaner) {
    this.ledger = ledger;
    this.observer = ledger.observer;
    this.registry = registry;
    this.timer = registry::timer;
    this.cleanable = cleaner.register(this, new Reclaimer(ledger, registry));
    this.defaultTimeoutNanos = toNanos(registry.settings().acquireTimeout());
  }

  @Override
  public String name() {
    return ledger.name;
  }

  @Override
  public Slot acquire(HostKey key) throws InterruptedException {
    Objects.requireNonNull(key, "key");
    return acquire(key, defaultTimeoutNanos);
  }

  @Override
  public Slot acquire(HostKey key, Duration timeout) throws InterruptedException {
    Objects.requireNonNull(key, "key");
    return acquire(key, toNanos(timeout));
  }

  private Slot acquire(HostKey key, long timeoutNanos) throws InterruptedException {
    if (Thread.interrupted()) {
      observer.refused(key, ledger, Outcome.INTERRUPTED, 0);
      throw new InterruptedException();
    }
    requireOpen(key);
    FifoHostSemaphore semaphore = semaphore(key);
    LedgerSlot slot = tryTake(semaphore);
    if (slot != null) {
      return observer.acquired(slot, 0, null);
    }
    if (timeoutNanos == 0) {
      SlotTimeoutException timedOut = semaphore.timeoutException(0);
      observer.refused(key, ledger, Outcome.TIMEOUT, 0);
      throw timedOut;
    }
    ParkingWaiter waiter = new ParkingWaiter(
        semaphore, ledger, registry.settings().ticker(), timeoutNanos, timer);
    try {
      try {
        slot = semaphore.takeOrEnqueue(waiter);
      } catch (RuntimeException e) {
        refused(key, e);
        throw e;
      }
      return (slot != null) ? observer.acquired(slot, 0, null) : waiter.await();
    } finally {
      // Nothing in the regulator references this handle, so that its Cleaner can run; without
      // the fence, `this` is dead during the wait and the GC could close the pool under its own
      // waiting caller (`newPool("x").acquire(key)`).
      Reference.reachabilityFence(this);
    }
  }

  @Override
  public Optional<Slot> tryAcquire(HostKey key) {
    Objects.requireNonNull(key, "key");
    requireOpen(key);
    try {
      LedgerSlot slot = tryTake(semaphore(key));
      if (slot == null) {
        observer.refused(key, ledger, Outcome.TIMEOUT, 0); // a zero-timeout acquire that got none
        return Optional.empty();
      }
      return Optional.of(observer.acquired(slot, 0, null));
    } finally {
      Reference.reachabilityFence(this);
    }
  }

  @Override
  public CompletableFuture<Slot> acquireAsync(HostKey key, Duration timeout) {
    Objects.requireNonNull(key, "key");
    long timeoutNanos = toNanos(timeout);
    if (ledger.isClosed()) {
      observer.refused(key, ledger, Outcome.CLOSED, 0);
      ledger.awaitReclaimed();
      return CompletableFuture.failedFuture(ledger.closedException());
    }
    FifoHostSemaphore semaphore = semaphore(key);
    try {
      LedgerSlot slot = semaphore.tryTake(ledger, null);
      if (slot != null) {
        return CompletableFuture.completedFuture(observer.acquired(slot, 0, null));
      }
      if (timeoutNanos == 0) {
        SlotTimeoutException timedOut = semaphore.timeoutException(0);
        observer.refused(key, ledger, Outcome.TIMEOUT, 0);
        return CompletableFuture.failedFuture(timedOut);
      }
      RegulatorSettings settings = registry.settings();
      // The waiter holds this handle: a pool with a queued acquire is in use, not leaked.
      FutureWaiter waiter = new FutureWaiter(
          semaphore, ledger, this, settings.asyncExecutor(), settings.ticker());
      slot = semaphore.takeOrEnqueue(waiter);
      if (slot != null) {
        return CompletableFuture.completedFuture(observer.acquired(slot, 0, null));
      }
      waiter.start(registry.timer(), timeoutNanos);
      return waiter.future;
    } catch (RuntimeException e) {
      refused(key, e);
      return CompletableFuture.failedFuture(e);
    } finally {
      Reference.reachabilityFence(this);
    }
  }

  /**
   * The host's live semaphore, through a one-entry cache of the table entry this pool used last
   * (most pools talk to one host, or to a few in turn), else from the table. The cache holds the
   * entry's weak reference, not the semaphore, so it keeps no idle host alive; a reference that
   * still yields a semaphore yields the table's live one for its key, since a key's semaphore is
   * replaced only once collected. A plain field: a racing reader sees null or a fully built entry
   * (its fields are final, and it was published through the table's map).
   */
  private FifoHostSemaphore semaphore(HostKey key) {
    HostTable.HostRef last = lastHost;
    if (last != null && last.key.equals(key)) {
      FifoHostSemaphore semaphore = last.get();
      if (semaphore != null) {
        return semaphore;
      }
    }
    FifoHostSemaphore semaphore = registry.table().semaphore(key);
    lastHost = semaphore.entry;
    return semaphore;
  }

  /** Takes a free slot, or null; reports a pool closed under us. */
  private LedgerSlot tryTake(FifoHostSemaphore semaphore) {
    try {
      return semaphore.tryTake(ledger, Thread.currentThread());
    } catch (PoolClosedException e) {
      observer.refused(semaphore.key, ledger, Outcome.CLOSED, 0);
      ledger.awaitReclaimed();
      throw e;
    }
  }

  /** Reports an acquire refused before it waited. */
  private void refused(HostKey key, RuntimeException e) {
    if (e instanceof HostOverloadedException) {
      observer.refused(key, ledger, Outcome.OVERLOADED, 0);
    } else if (e instanceof SelfDeadlockException) {
      observer.refused(key, ledger, Outcome.SELF_DEADLOCK, 0);
    } else if (e instanceof PoolClosedException) {
      observer.refused(key, ledger, Outcome.CLOSED, 0);
      ledger.awaitReclaimed();
    }
  }

  private static long toNanos(Duration timeout) {
    Objects.requireNonNull(timeout, "timeout");
    if (timeout.isNegative()) {
      throw new IllegalArgumentException("timeout < 0: " + timeout);
    }
    return (timeout.compareTo(MAX_TIMEOUT) >= 0)
        ? MAX_TIMEOUT_NANOS
        : timeout.toNanos();
  }

  /**
   * Refuses a closed pool. Like every path that tells a caller "closed", it first waits for the
   * closer to give the pool's slots back (a few lock hand-offs; never a listener), so that whoever
   * sees the pool closed also sees its slots back: closing is one step to the outside.
   */
  private void requireOpen(HostKey key) {
    if (ledger.isClosed()) {
      observer.refused(key, ledger, Outcome.CLOSED, 0);
      ledger.awaitReclaimed();
      throw ledger.closedException();
    }
  }

  @Override
  public int inUse() {
    return registry.table().heldBy(ledger); // a walk of the live hosts: no pool-wide counter
  }

  @Override
  public int inUse(HostKey key) {
    Objects.requireNonNull(key, "key");
    return registry.table().heldBy(ledger, key);
  }

  @Override
  public boolean isClosed() {
    if (!ledger.isClosed()) {
      return false;
    }
    ledger.awaitReclaimed(); // see requireOpen
    return true;
  }

  @Override
  public void close() {
    registry.shutdown(ledger, false);
    cleanable.clean(); // the ledger is closed, so the reclaimer finds nothing to do
  }

  @Override
  public String toString() {
    return "RegulatedPool[" + ledger.name + (isClosed() ? ", closed]" : "]");
  }

  /** Closes a ledger whose handle became unreachable; must not reference the handle. */
  private static final class Reclaimer implements Runnable {
    private final PoolLedger ledger;
    private final SemaphoreRegistry registry;

    Reclaimer(PoolLedger ledger, SemaphoreRegistry registry) {
      this.ledger = ledger;
      this.registry = registry;
    }

    @Override
    public void run() {
      if (!ledger.isClosed()) {
        registry.shutdown(ledger, true);
      }
    }
  }
}
