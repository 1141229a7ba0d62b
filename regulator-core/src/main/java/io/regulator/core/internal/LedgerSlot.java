package io.regulator.core.internal;

import io.regulator.DropReason;
import io.regulator.HostKey;
import io.regulator.Slot;
import java.time.Duration;
import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;

/**
 * A slot as its host semaphore records it: in one of the host's cells, naming its pool's ledger,
 * so taking and giving one back allocates nothing but this object and takes no lock. A pool's
 * close finds its slots there.
 *
 * <p>Thread-safe: who gives it back is settled by one CAS of its cell from this slot to null
 * ({@code FifoHostSemaphore.giveBack}), by the holder, any other thread, or the pool's close; the
 * winner's CAS is also what returns the slot to its host. So a slot is released exactly when its
 * cell no longer holds it ({@link #isReleased}), and once anyone sees it released, the host has it
 * back.
 *
 * <p>{@code holder} is {@code PENDING} from the CAS that puts the slot in its cell until its taker
 * checked that the pool is still open ({@link #hold}); then the thread that took it with a
 * blocking acquire or {@code tryAcquire}, or null for an async acquire (whose slot is commonly
 * released on another thread). The holding thread is read only to tell a certain self-deadlock
 * ({@code FifoHostSemaphore}). Five references' worth of fields: 40 bytes with compressed oops.
 */
final class LedgerSlot implements Slot {
  /** The {@code holder} of a slot in its cell whose take has not checked its pool yet. */
  private static final Object PENDING = new Object();

  /** How many times {@link #awaitTaken} spins before it yields. */
  private static final int SPINS = 64;

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
   * {@code PENDING}, then the holding thread or null. Set plainly at construction (the CAS that
   * puts the slot in its cell publishes it); volatile so that the change is seen.
   */
  @SuppressWarnings("unused") // through HOLDER
  private volatile Object holder;

  /**
   * The segment of its host's cells that holds it, and its index there. Written by the taker
   * before each CAS that tries a cell, never after the one that succeeds.
   */
  LedgerSlot[] cells;

  int index;

  LedgerSlot(FifoHostSemaphore semaphore, PoolLedger ledger, long acquiredAt) {
    this.semaphore = semaphore;
    this.ledger = ledger;
    this.acquiredAt = acquiredAt;
    HOLDER.set(this, PENDING); // plain: the cell's CAS that publishes it orders it
  }

  /** Marks a pending slot held by {@code thread} (null for an async acquire). */
  void hold(Thread thread) {
    HOLDER.setRelease(this, thread);
  }

  /** Waits, if this slot's take has not checked its pool yet, until it has held or freed it. */
  void awaitTaken() {
    int spins = 0;
    while (HOLDER.getAcquire(this) == PENDING
        && FifoHostSemaphore.CELL.getVolatile(cells, index) == this) {
      if (++spins < SPINS) {
        Thread.onSpinWait();
      } else {
        Thread.yield(); // the taker was descheduled between its CAS and its check
      }
    }
  }

  /** Whether it is held: in its cell, and not pending. */
  boolean isHeld() {
    return HOLDER.getAcquire(this) != PENDING
        && FifoHostSemaphore.CELL.getVolatile(cells, index) == this;
  }

  /** The thread that holds it, or null if it was taken asynchronously or is pending. */
  Thread holdingThread() {
    Object current = HOLDER.getAcquire(this);
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
    // A pool closing meanwhile frees the cell first (giveBack then returns false) or finds it
    // freed: one CAS decides, and either way the slot is back once it reads as released.
    return semaphore.giveBack(this, true);
  }

  @Override
  public boolean isReleased() {
    return FifoHostSemaphore.CELL.getVolatile(cells, index) != this;
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
