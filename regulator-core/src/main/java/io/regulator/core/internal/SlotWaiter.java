package io.regulator.core.internal;

import io.regulator.Slot;
import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;

/**
 * A caller queued for a slot of one host. Its state leaves {@code WAITING} exactly once, by a
 * compare-and-set, to one of: granted (a releasing thread handed it a slot), cancelled (it timed
 * out, was interrupted, or its future was cancelled), or failed (its pool closed). Whoever wins
 * that CAS decides the outcome; every other party sees the CAS fail and leaves the waiter alone.
 * That single CAS is why a slot granted at the instant of a timeout or cancel is never lost.
 *
 * <p>Thread-safe: the state is CAS-only; the queue links belong to the host semaphore's lock.
 */
abstract class SlotWaiter {
  static final int WAITING = 0;
  static final int GRANTED = 1;
  static final int CANCELLED = 2;
  static final int FAILED = 3;

  private static final VarHandle STATE;

  static {
    try {
      STATE = MethodHandles.lookup().findVarHandle(SlotWaiter.class, "state", int.class);
    } catch (ReflectiveOperationException e) {
      throw new ExceptionInInitializerError(e);
    }
  }

  final FifoHostSemaphore semaphore;
  final PoolLedger ledger;
  final long enqueuedAt;

  /** The JFR event of this wait, begun now, or null when JFR does not record it. */
  private final Object waitEvent;

  @SuppressWarnings("unused") // through STATE
  private volatile int state;

  /** Written before the CAS to {@code GRANTED}, read only after seeing that state. */
  LedgerSlot slot;

  @GuardedBy("semaphore.lock")
  SlotWaiter prev;

  @GuardedBy("semaphore.lock")
  SlotWaiter next;

  @GuardedBy("semaphore.lock")
  boolean queued;

  /** Chains the waiters one drain granted or failed, so that they are woken after the unlock. */
  @GuardedBy("semaphore.lock")
  SlotWaiter nextToWake;

  SlotWaiter(FifoHostSemaphore semaphore, PoolLedger ledger, long enqueuedAt) {
    this.semaphore = semaphore;
    this.ledger = ledger;
    this.enqueuedAt = enqueuedAt;
    this.waitEvent = SlotWaitRecorder.begin();
  }

  /**
   * Ends a wait that won its slot: records it and returns what the caller gets. Called once, with
   * no lock held, after seeing {@code GRANTED}.
   *
   * @param site the acquisition site captured on the caller's thread, or null to capture it here
   */
  final Slot handOut(Throwable site) {
    slot.awaitTaken(); // the granting thread marks it held just after the grant's CAS
    SlotWaitRecorder.end(waitEvent, semaphore.key, ledger.name, Outcome.GRANTED);
    return ledger.observer.acquired(slot, slot.acquiredAt - enqueuedAt, site);
  }

  /** Ends a wait that got no slot: records how. Called once, with no lock held. */
  final void finish(Outcome outcome, long waitedNanos) {
    SlotWaitRecorder.end(waitEvent, semaphore.key, ledger.name, outcome);
    ledger.observer.refused(semaphore.key, ledger, outcome, waitedNanos);
  }

  final int state() {
    return (int) STATE.getVolatile(this);
  }

  /** Hands the waiter its slot; false if it already left. */
  final boolean grant(LedgerSlot granted) {
    slot = granted;
    return STATE.compareAndSet(this, WAITING, GRANTED);
  }

  /** Takes the waiter out of the race for a slot; false if it was granted or failed first. */
  final boolean cancel() {
    return STATE.compareAndSet(this, WAITING, CANCELLED);
  }

  /** Fails the waiter because its pool closed; false if it was granted or cancelled first. */
  final boolean fail() {
    return STATE.compareAndSet(this, WAITING, FAILED);
  }

  /** The thread blocked in this wait, which will hold the slot; null for an async wait. */
  abstract Thread thread();

  /** Tells the waiting party its outcome. Called with no lock held. */
  abstract void wake();
}
