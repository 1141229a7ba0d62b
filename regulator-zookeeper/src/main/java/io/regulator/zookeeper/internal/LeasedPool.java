package io.regulator.zookeeper.internal;

import io.regulator.HostKey;
import io.regulator.RegulatedPool;
import io.regulator.Slot;
import java.lang.ref.Cleaner;
import java.lang.ref.Reference;
import java.time.Duration;
import java.util.Objects;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;

/**
 * The object a pool holds: the {@link RegulatedPool} API over a {@link LeaseLedger}.
 *
 * <p>Nothing inside the regulator references this handle (slots and requests reference the
 * ledger), so a pool dropped without {@code close()} becomes unreachable even while it holds
 * slots; its {@link Cleaner} then closes the ledger, which gives back both halves of its slots.
 *
 * <p>Thread-safe.
 */
final class LeasedPool implements RegulatedPool {
  /** Longest wait taken literally, so that deadline arithmetic cannot overflow (~73 years). */
  private static final long MAX_TIMEOUT_NANOS = Long.MAX_VALUE / 4;

  private final LeaseLedger ledger;
  private final LeasedHostRegulator regulator;
  private final Cleaner.Cleanable cleanable;

  /** The regulator's default acquire timeout, converted once: {@code acquire(key)} is hot. */
  private final long defaultTimeoutNanos;

  LeasedPool(LeaseLedger ledger, LeasedHostRegulator regulator, Cleaner cleaner) {
    this.ledger = ledger;
    this.regulator = regulator;
    this.cleanable = cleaner.register(this, new Reclaimer(ledger, regulator));
    this.defaultTimeoutNanos = toNanos(ledger.runtime.settings.acquireTimeout());
  }

  @Override
  public String name() {
    return ledger.name;
  }

  @Override
  public Slot acquire(HostKey key) throws InterruptedException {
    Objects.requireNonNull(key, "key");
    try {
      return ledger.acquire(key, defaultTimeoutNanos);
    } finally {
      Reference.reachabilityFence(this); // see acquire(key, timeout)
    }
  }

  @Override
  public Slot acquire(HostKey key, Duration timeout) throws InterruptedException {
    Objects.requireNonNull(key, "key");
    try {
      return ledger.acquire(key, toNanos(timeout));
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
    return ledger.tryAcquire(key);
  }

  @Override
  public CompletableFuture<Slot> acquireAsync(HostKey key, Duration timeout) {
    Objects.requireNonNull(key, "key");
    return ledger.acquireAsync(key, toNanos(timeout), this);
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

  @Override
  public int inUse() {
    return ledger.inUse();
  }

  @Override
  public int inUse(HostKey key) {
    return ledger.inUse(Objects.requireNonNull(key, "key"));
  }

  @Override
  public boolean isClosed() {
    return ledger.isClosed();
  }

  @Override
  public void close() {
    regulator.shutdown(ledger, false);
    cleanable.clean(); // the ledger is closed, so the reclaimer finds nothing to do
  }

  @Override
  public String toString() {
    return "RegulatedPool[" + ledger.name + ", fleet" + (isClosed() ? ", closed]" : "]");
  }

  /** Closes a ledger whose handle became unreachable; must not reference the handle. */
  private static final class Reclaimer implements Runnable {
    private final LeaseLedger ledger;
    private final LeasedHostRegulator regulator;

    Reclaimer(LeaseLedger ledger, LeasedHostRegulator regulator) {
      this.ledger = ledger;
      this.regulator = regulator;
    }

    @Override
    public void run() {
      regulator.shutdown(ledger, true);
    }
  }
}
