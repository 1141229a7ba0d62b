package io.regulator.core.internal;

import io.regulator.HostKey;
import io.regulator.LimitChangeReason;
import io.regulator.Slot;

/**
 * What the regulator's machinery tells metrics, listeners and leak detection. One instance per
 * regulator, resolved once when it is built: {@link #NONE} when nothing observes, so that the
 * acquire and release paths of an unobserved regulator make one inlined empty call each and
 * allocate nothing for it; otherwise an {@link ObserverChain}, which never lets an exception out.
 *
 * <p>Every method is called with no lock held: the host's lock is released before anything here
 * runs. Implementations are thread-safe.
 *
 * <p>Each slot handed to a caller passes {@link #acquired} once, on the thread that hands it
 * over, and {@link #released} once, on the thread that gave it back, whichever path that was
 * (the holder, a leak reclaim, or the pool's close, which reports its slots once all are back).
 */
interface SlotObserver {

  /** Observes nothing. */
  SlotObserver NONE = new SlotObserver() {};

  /**
   * A slot is being handed to its caller. Returns what the caller gets: the slot itself, or a
   * handle that tracks its reachability when unreachable slots are reclaimed.
   *
   * @param waitedNanos how long the caller queued, 0 if a slot was free
   * @param site where the acquire was called, captured by {@link #site} when the slot is handed
   *     over on another thread than the caller's; null to capture it here if sites are recorded
   */
  default Slot acquired(LedgerSlot slot, long waitedNanos, Throwable site) {
    return slot;
  }

  /** A slot went back to its host; its {@code acquiredAt} gives the hold time. */
  default void released(LedgerSlot slot) {}

  /** An acquire ended without a slot. */
  default void refused(HostKey key, PoolLedger ledger, Outcome outcome, long waitedNanos) {}

  /**
   * The acquisition site of an acquire whose slot will be handed over on another thread (an
   * {@code acquireAsync} that queues), or null if sites are not recorded.
   */
  default Throwable site(HostKey key, PoolLedger ledger) {
    return null;
  }

  /** A pool opened; its name is registered. */
  default void poolOpened(PoolLedger ledger) {}

  /** A pool is closing, before its name is free for a new pool. */
  default void poolClosing(PoolLedger ledger) {}

  /** A pool closed, its waiters failed and its slots given back. */
  default void poolClosed(PoolLedger ledger, int reclaimedSlots, boolean unreachable) {}

  /** A host's entry left the host table (its semaphore was collected while idle). */
  default void hostRemoved(HostKey key) {}

  /** A host's adaptive limit moved (issue 16). */
  default void limitChanged(HostKey key, int previous, int limit, LimitChangeReason reason) {}

  /** A host went into shared backoff for {@code waitNanos} (issue 16). */
  default void backoffStarted(HostKey key, long waitNanos) {}

  /** The regulator closed. */
  default void regulatorClosed() {}
}
