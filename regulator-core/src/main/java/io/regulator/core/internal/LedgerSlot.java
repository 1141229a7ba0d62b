package io.regulator.core.internal;

import io.regulator.DropReason;
import io.regulator.HostKey;
import io.regulator.Slot;
import java.time.Duration;
import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;

/**
 * A slot as its host semaphore records it: on the host's lock-free list of held slots, naming its
 * pool's ledger, so taking and giving one back allocates nothing but this object and takes no lock.
 * A pool's close finds its slots there.
 *
 * <p>Thread-safe: who gives it back is settled by one CAS of {@code holder} to {@link #RELEASING}
 * ({@link #claim}), by the holder, any other thread, or the pool's close; the winner uncounts it
 * with its host, then sets {@link #RELEASED} ({@link #settle}). Anyone else who finds it {@code
 * RELEASING} waits for {@code RELEASED} ({@link #awaitSettled}): a few instructions, or one lock
 * hand-off if the host has waiters. So once anyone sees it released, the host has it back, and
 * no pool's close returns while one of its slots is still counted.
 *
 * <p>The release state and the holding thread share one field ({@code holder}), so the slot stays
 * 40 bytes: {@code PENDING} while a take that pushed it has not counted it yet, then the thread
 * that took it with a blocking acquire or {@code tryAcquire} (null for an async acquire, whose slot
 * is commonly released on another thread), then {@code RELEASING}, then {@code RELEASED}. The holding thread is read only to tell a certain self-deadlock ({@code
 * FifoHostSemaphore}).
 */
final class LedgerSlot implements Slot {
  /** The {@code holder} of a slot pushed by a take that has not counted it yet. */
  private static final Object PENDING = new Object();

  /** The {@code holder} of a slot being given back: its count is not back yet. */
  private static final Object RELEASING = new Object();

  /** The {@code holder} of a slot given back. */
  private static final Object RELEASED = new Object();

  /** How many times {@link #awaitSettled} spins before it yields. */
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
   * The holding thread, or null, until claimed; then {@code RELEASING}, then {@code RELEASED}. Set
   * plainly at construction (the slot is published by the CAS that pushes it on its host's list,
   * or to its own thread); volatile so that every later change is seen.
   */
  @SuppressWarnings("unused") // through HOLDER
  private volatile Object holder;

  /**
   * The next older slot on the host's held list. Written before the push that publishes this slot,
   * later only by a prune under the host's lock (which only skips slots already given back), so a
   * stale read still leads to every older held slot.
   */
  LedgerSlot below;

  /**
   * The stripe of its host's held list it was pushed on, or null for the host's own list. Written
   * before the push that publishes this slot, never after.
   */
  FifoHostSemaphore.Stripe stripe;

  LedgerSlot(FifoHostSemaphore semaphore, PoolLedger ledger, long acquiredAt) {
    this.semaphore = semaphore;
    this.ledger = ledger;
    this.acquiredAt = acquiredAt;
    HOLDER.set(this, PENDING); // plain: the push that publishes it orders it
  }

  /** Marks a pending slot held by {@code thread} (null for an async acquire), once counted. */
  void hold(Thread thread) {
    HOLDER.setRelease(this, thread);
  }

  /** Waits, if this slot's take has not counted or given it up yet, until it has. */
  void awaitTaken() {
    int spins = 0;
    while (HOLDER.getAcquire(this) == PENDING) {
      if (++spins < SPINS) {
        Thread.onSpinWait();
      } else {
        Thread.yield(); // the taker was descheduled between its push and its count
      }
    }
  }

  /** Claims the giving back of this slot; false if someone claimed it already (or it is pending). */
  boolean claim() {
    Object current = HOLDER.get(this); // plain: the CAS checks it
    for (; ; ) {
      if (current == RELEASING || current == RELEASED || current == PENDING) {
        return false;
      }
      Object witness = HOLDER.compareAndExchange(this, current, RELEASING);
      if (witness == current) {
        return true;
      }
      current = witness;
    }
  }

  /** Marks a claimed slot given back, once its host counts it no more. */
  void settle() {
    HOLDER.setRelease(this, RELEASED);
  }

  /** Marks a slot nobody else can have seen given back (a grant its waiter left). */
  void settleUnclaimed() {
    HOLDER.setRelease(this, RELEASED);
  }

  /** Whether it is held: counted by its host, and not being given back. */
  boolean isHeld() {
    Object current = HOLDER.getAcquire(this);
    return current != PENDING && current != RELEASING && current != RELEASED;
  }

  /** Whether it was given back and its host has it back; the held list skips such slots. */
  boolean isSettled() {
    return HOLDER.getAcquire(this) == RELEASED;
  }

  /** Waits, if another thread claimed this slot, until that thread has given it back. */
  void awaitSettled() {
    int spins = 0;
    while (HOLDER.getAcquire(this) == RELEASING) {
      if (++spins < SPINS) {
        Thread.onSpinWait();
      } else {
        Thread.yield(); // the claimer was descheduled between its two steps
      }
    }
  }

  /** The thread that holds it, or null if it was taken asynchronously or is being given back. */
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
    // A pool closing meanwhile either claimed it first (giveBack then waits until it is back and
    // returns false) or finds it claimed and waits; either way no close returns while it counts.
    return semaphore.giveBack(this, true);
  }

  @Override
  public boolean isReleased() {
    Object current = HOLDER.getVolatile(this);
    if (current == RELEASING) {
      awaitSettled();
      return true;
    }
    return current == RELEASED;
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
