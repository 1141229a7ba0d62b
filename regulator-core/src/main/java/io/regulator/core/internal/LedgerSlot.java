package io.regulator.core.internal;

import io.regulator.DropReason;
import io.regulator.HostKey;
import io.regulator.Slot;
import java.time.Duration;
import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;

/**
 * A slot as its host semaphore records it: in the host's intrusive list of held slots (in
 * acquisition order), naming its pool's ledger, so taking and giving one back allocates nothing
 * but this object and takes no lock but the host's. A pool's close finds its slots there.
 *
 * <p>Thread-safe: {@code released} flips once, under the host's lock and atomically with the
 * host's count, so whoever flips it (the holder, another thread, or the pool's close) is the one
 * that gives the slot back, and once anyone sees it released the host already has it back. A CAS
 * outside the lock would leave a window where the slot is marked released but still counted, and a
 * pool's close could return inside it.
 *
 * <p>The released flag and the holding thread share one field ({@code holder}), so the slot stays
 * 40 bytes: the thread that took it with a blocking acquire or {@code tryAcquire} (null for an
 * async acquire, whose slot is commonly released on another thread), then {@link #RELEASED}. The
 * holding thread is read only to tell a certain self-deadlock ({@code FifoHostSemaphore}).
 */
final class LedgerSlot implements Slot {
  /** The {@code holder} of a slot given back. */
  private static final Object RELEASED = new Object();

  private static final VarHandle HOLDER;

  static {
    try {
      HOLDER = MethodHandles.lookup().findVarHandle(LedgerSlot.class, "holder", Object.class);
    } catch (ReflectiveOperationException e) {
      throw new ExceptionInInitializerError(e);
    }
  }

  final FifoHostSemaphore semaphore;
  final PoolLedger ledger;
  final long acquiredAt;

  /**
   * The holding thread, or null, until given back; then {@link #RELEASED}. Set plainly at
   * construction (the slot is published by the host's lock or to its own thread), set to {@code
   * RELEASED} under {@code semaphore.lock}; volatile so that a repeated release needs no lock.
   */
  @SuppressWarnings("unused") // through HOLDER
  private volatile Object holder;

  @GuardedBy("semaphore.lock")
  LedgerSlot hostPrev;

  @GuardedBy("semaphore.lock")
  LedgerSlot hostNext;

  LedgerSlot(FifoHostSemaphore semaphore, PoolLedger ledger, long acquiredAt, Thread holder) {
    this.semaphore = semaphore;
    this.ledger = ledger;
    this.acquiredAt = acquiredAt;
    HOLDER.set(this, holder); // plain: a volatile store here would cost a fence per acquire
  }

  /** Whether it was given back; once true, the host has it back. */
  boolean released() {
    return HOLDER.getVolatile(this) == RELEASED;
  }

  /** Marks it given back; under {@code semaphore.lock}, in the step that uncounts it. */
  @GuardedBy("semaphore.lock")
  void markReleased() {
    HOLDER.setVolatile(this, RELEASED);
  }

  /** The thread that holds it, or null if it was taken asynchronously or was given back. */
  @GuardedBy("semaphore.lock")
  Thread holdingThread() {
    Object current = HOLDER.get(this); // under the lock, which orders every write to it
    return (current instanceof Thread) ? (Thread) current : null;
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
    // A pool closing meanwhile either reclaimed it first (giveBack then returns false) or finds
    // it gone from the host's list; either way no close returns while it is counted.
    return !released() && semaphore.giveBack(this, true);
  }

  @Override
  public boolean isReleased() {
    return released();
  }

  @Override
  public void close() {
    release();
  }

  // Issue 16: outcome reports go to the regulator's adaptive limits and shared backoff, if any.

  @Override
  public void reportSuccess(Duration latency) {
    long nanos = OutcomeSink.latencyNanos(latency);
    OutcomeSink outcomes = ledger.outcomes;
    if (outcomes != null) {
      outcomes.success(this, nanos);
    }
  }

  @Override
  public void reportDropped(DropReason reason, Duration retryAfter) {
    long retryAfterNanos = OutcomeSink.retryAfterNanos(reason, retryAfter);
    OutcomeSink outcomes = ledger.outcomes;
    if (outcomes != null) {
      outcomes.dropped(this, retryAfterNanos);
    }
  }

  @Override
  public String toString() {
    return "Slot[" + semaphore.key + " held by '" + ledger.name + "'"
        + (isReleased() ? ", released]" : "]");
  }
}
