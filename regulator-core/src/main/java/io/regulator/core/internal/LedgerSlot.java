package io.regulator.core.internal;

import io.regulator.HostKey;
import io.regulator.Slot;
import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;

/**
 * A slot as its host semaphore and its pool's ledger both record it. It sits in two intrusive
 * lists, so taking and giving one back allocates nothing but this object: the host's list (in
 * acquisition order, for "who holds this host" diagnostics) and the pool's list (for close).
 *
 * <p>Thread-safe: {@code released} flips once by CAS, and only the thread that flipped it gives
 * the slot back to its host. That is what makes release idempotent whoever calls it, the holder,
 * another thread, or the pool's close.
 */
final class LedgerSlot implements Slot {
  private static final VarHandle RELEASED;

  static {
    try {
      RELEASED = MethodHandles.lookup().findVarHandle(LedgerSlot.class, "released", boolean.class);
    } catch (ReflectiveOperationException e) {
      throw new ExceptionInInitializerError(e);
    }
  }

  final FifoHostSemaphore semaphore;
  final PoolLedger ledger;
  final long acquiredAt;

  @SuppressWarnings("unused") // through RELEASED
  private volatile boolean released;

  @GuardedBy("semaphore.lock")
  LedgerSlot hostPrev;

  @GuardedBy("semaphore.lock")
  LedgerSlot hostNext;

  @GuardedBy("ledger.lock")
  LedgerSlot poolPrev;

  @GuardedBy("ledger.lock")
  LedgerSlot poolNext;

  LedgerSlot(FifoHostSemaphore semaphore, PoolLedger ledger, long acquiredAt) {
    this.semaphore = semaphore;
    this.ledger = ledger;
    this.acquiredAt = acquiredAt;
  }

  @Override
  public HostKey key() {
    return semaphore.key;
  }

  @Override
  public String poolName() {
    return ledger.name;
  }

  @Override
  public boolean release() {
    if (!RELEASED.compareAndSet(this, false, true)) {
      return false;
    }
    ledger.unlink(this);
    semaphore.giveBack(this);
    return true;
  }

  /** Gives the slot back on behalf of its closing pool, unless its holder already did. */
  boolean reclaim() {
    if (!RELEASED.compareAndSet(this, false, true)) {
      return false;
    }
    semaphore.giveBack(this);
    return true;
  }

  @Override
  public boolean isReleased() {
    return (boolean) RELEASED.getVolatile(this);
  }

  @Override
  public void close() {
    release();
  }

  @Override
  public String toString() {
    return "Slot[" + semaphore.key + " held by '" + ledger.name + "'"
        + (isReleased() ? ", released]" : "]");
  }
}
