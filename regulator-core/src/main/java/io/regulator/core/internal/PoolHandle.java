package io.regulator.core.internal;

import io.regulator.HostKey;
import io.regulator.RegulatedPool;
import io.regulator.Slot;
import java.lang.ref.Cleaner;
import java.time.Duration;
import java.util.Objects;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;

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

  private final PoolLedger ledger;
  private final SemaphoreRegistry registry;
  private final Cleaner.Cleanable cleanable;

  PoolHandle(PoolLedger ledger, SemaphoreRegistry registry, Cleaner cleaner) {
    this.ledger = ledger;
    this.registry = registry;
    this.cleanable = cleaner.register(this, new Reclaimer(ledger, registry));
  }

  @Override
  public String name() {
    return ledger.name;
  }

  @Override
  public Slot acquire(HostKey key) throws InterruptedException {
    return acquire(key, registry.settings().acquireTimeout());
  }

  @Override
  public Slot acquire(HostKey key, Duration timeout) throws InterruptedException {
    Objects.requireNonNull(key, "key");
    long timeoutNanos = toNanos(timeout);
    if (Thread.interrupted()) {
      throw new InterruptedException();
    }
    requireOpen();
    FifoHostSemaphore semaphore = registry.table().semaphore(key);
    LedgerSlot slot = semaphore.tryTake(ledger);
    if (slot != null) {
      return slot;
    }
    if (timeoutNanos == 0) {
      throw semaphore.timeoutException(0);
    }
    ParkingWaiter waiter = new ParkingWaiter(semaphore, ledger, registry.settings().ticker());
    slot = semaphore.takeOrEnqueue(waiter);
    return (slot != null) ? slot : waiter.await(timeoutNanos);
  }

  @Override
  public Optional<Slot> tryAcquire(HostKey key) {
    Objects.requireNonNull(key, "key");
    requireOpen();
    return Optional.ofNullable(registry.table().semaphore(key).tryTake(ledger));
  }

  @Override
  public CompletableFuture<Slot> acquireAsync(HostKey key, Duration timeout) {
    Objects.requireNonNull(key, "key");
    long timeoutNanos = toNanos(timeout);
    if (ledger.isClosed()) {
      return CompletableFuture.failedFuture(ledger.closedException());
    }
    FifoHostSemaphore semaphore = registry.table().semaphore(key);
    try {
      LedgerSlot slot = semaphore.tryTake(ledger);
      if (slot != null) {
        return CompletableFuture.completedFuture(slot);
      }
      if (timeoutNanos == 0) {
        return CompletableFuture.failedFuture(semaphore.timeoutException(0));
      }
      RegulatorSettings settings = registry.settings();
      FutureWaiter waiter =
          new FutureWaiter(semaphore, ledger, settings.asyncExecutor(), settings.ticker());
      slot = semaphore.takeOrEnqueue(waiter);
      if (slot != null) {
        return CompletableFuture.completedFuture(slot);
      }
      waiter.start(registry.timer(), timeoutNanos);
      return waiter.future;
    } catch (RuntimeException e) {
      return CompletableFuture.failedFuture(e);
    }
  }

  private static long toNanos(Duration timeout) {
    Objects.requireNonNull(timeout, "timeout");
    if (timeout.isNegative()) {
      throw new IllegalArgumentException("timeout < 0: " + timeout);
    }
    return (timeout.compareTo(Duration.ofNanos(MAX_TIMEOUT_NANOS)) >= 0)
        ? MAX_TIMEOUT_NANOS
        : timeout.toNanos();
  }

  private void requireOpen() {
    if (ledger.isClosed()) {
      throw ledger.closedException();
    }
  }

  @Override
  public int inUse() {
    return ledger.held();
  }

  @Override
  public int inUse(HostKey key) {
    Objects.requireNonNull(key, "key");
    return ledger.held(key);
  }

  @Override
  public boolean isClosed() {
    return ledger.isClosed();
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
