package io.regulator.core.internal;

import io.regulator.HostKey;
import io.regulator.HostOverloadedException;
import io.regulator.HostSnapshot;
import io.regulator.SelfDeadlockException;
import io.regulator.SlotTimeoutException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.locks.LockSupport;
import java.util.function.LongSupplier;

/**
 * The slots of one host: a fair counting semaphore shared by every pool of the node, with direct
 * FIFO handoff.
 *
 * <h2>Concurrency</h2>
 *
 * One lock per host (this object: a {@link HostLock}, a non-reentrant {@code
 * AbstractQueuedSynchronizer}) guards the count ({@code inUse}), the limit, the FIFO queue
 * of {@link SlotWaiter}s and the list of held slots. The lock is held only for a few field writes:
 * never while parking, never while calling a listener, completing a future or unparking a thread.
 * Those happen after {@code unlock()}, on the chain of waiters the critical section built
 * ({@code nextToWake}). No monitor (intrinsic) locks: a virtual thread that blocks on this lock
 * unmounts.
 *
 * <p>A release does not increment a free count that anyone may grab; it hands the slot straight
 * to the head waiter ({@link #drain}), so a fresh {@code tryAcquire} can never barge past the
 * queue: a free slot exists only while the queue is empty. Invariant, under the lock: {@code head
 * != null} implies {@code inUse >= limit}.
 *
 * <p>Who gets a slot is settled by one CAS on the waiter's state (see {@link SlotWaiter}): the
 * granting thread's {@code WAITING -> GRANTED} against the waiter's own {@code WAITING ->
 * CANCELLED} on timeout, interrupt or future cancel, and the closing pool's {@code WAITING ->
 * FAILED}. The loser of that CAS does nothing, so a slot is neither lost nor given twice.
 * Releases are idempotent: a slot's {@code released} flag flips once, under this lock, in the
 * same step as the count ({@link LedgerSlot}).
 *
 * <p>Taking a free slot and giving one back touch this lock only: no pool-wide lock, no atomic
 * counter of the pool. A held slot is recorded once, in this host's list, naming its pool's
 * {@link PoolLedger}. A pool's close sets its ledger's {@code closed} flag, then walks every live
 * host and reclaims, under each host's lock, the slots naming its ledger ({@link #reclaimAll});
 * {@link #takeFree} reads that flag under the same lock. So a slot taken concurrently with the
 * close was either refused or linked before the walk reached its host: the walk reads the host
 * after that critical section, and the host is in the table since before it.
 *
 * <h2>Entry lifecycle</h2>
 *
 * The {@link HostTable} holds semaphores through weak references ({@link HostTable.HostRef}).
 * The list of held slots is anchored in that entry, not here: its {@code oldest} field points at
 * the oldest held slot, and every slot references this semaphore. So while any slot is held the
 * entry, strongly reachable from the table, <em>pins</em> the semaphore, even when the holders
 * leaked their slots; waiters queue only while {@code inUse >= limit >= 1}, so a host with waiters
 * is pinned too. An idle host is also kept ({@code entry.retained}) until a whole GC cycle passed
 * without a slot taken ({@link #markUsed}, {@link #ageIdle}), so hosts in steady use are not
 * collected and re-created at every GC; after that, it is reachable from nothing but the weak
 * reference and is collected. Pinning costs no store of its own: linking the first held slot is the
 * pin, and unlinking the last one the unpin. The list is circular through {@code hostPrev}, so
 * a slot taken or given back while others are held writes only into slots, not into the entry
 * (a long-lived object, where G1's write barrier costs a fence per store). There is therefore
 * never a second live semaphore for a host whose first one still counts slots (AsyncHttpClient
 * once pruned busy per-host semaphores and late releases then bypassed the limit). A host's own
 * limit lives in the table, not here, and survives the entry.
 *
 * <h2>Limit changes</h2>
 *
 * {@link #setLimit} writes the limit and drains under the lock: raising it grants to waiters at
 * once; lowering it grants nothing until releases bring {@code inUse} under the new limit, and
 * revokes nothing.
 *
 * <h2>Metrics</h2>
 *
 * The figures ({@link #inUse()}, {@link #waiting()}, {@link #limit()}) are read under the lock, so
 * each is exact at its instant; snapshots read them together. Nothing observes from inside this
 * class: events (meters, listeners, leak tracking, JFR) are raised by the callers of its methods,
 * after every lock is released, through the regulator's {@link SlotObserver}. Micrometer gauges
 * read the figures through the {@link HostTable} by key and never hold a semaphore, so meters
 * cannot keep an idle host in memory. The held-slot list, in acquisition order, is what the leak
 * sweep walks ({@link #collectOverdue}) and what names the oldest holder in a time-out.
 */
@SuppressWarnings("serial") // Serializable only through AbstractQueuedSynchronizer; never serialized
final class FifoHostSemaphore extends HostLock {
  private static final long serialVersionUID = 1L;

  final HostKey key;
  private final int maxWaiters;
  private final LongSupplier ticker;

  /**
   * Whether a slot taken without waiting is stamped with the clock, because something reads hold
   * times. A slot handed to a waiter is always stamped: its wait time is measured from it.
   */
  private final boolean stampsSlots;

  /**
   * This semaphore's table entry: it anchors the held slots (and so pins this semaphore while
   * busy), and pools cache it. Set once before the table publishes it, never null after.
   */
  HostTable.HostRef entry;

  @GuardedBy("this")
  private int limit;

  /** Whether a slot was taken since the last sweep after a GC. */
  @GuardedBy("this")
  private boolean used;

  @GuardedBy("this")
  private int inUse;

  @GuardedBy("this")
  private int waiting;

  @GuardedBy("this")
  private SlotWaiter head;

  @GuardedBy("this")
  private SlotWaiter tail;


  FifoHostSemaphore(HostKey key, int limit, int maxWaiters, LongSupplier ticker,
      boolean stampsSlots) {
    this.key = key;
    this.limit = limit;
    this.maxWaiters = maxWaiters;
    this.ticker = ticker;
    this.stampsSlots = stampsSlots;
  }

  /**
   * Takes a free slot for {@code ledger}'s pool, or returns null if none is free or someone is
   * queued ahead.
   *
   * @param holder the thread that will hold it (the caller), or null for an async acquire
   * @throws io.regulator.PoolClosedException if the pool closed
   */
  LedgerSlot tryTake(PoolLedger ledger, Thread holder) {
    lock();
    try {
      return takeFree(ledger, holder);
    } finally {
      unlock();
    }
  }

  /**
   * Takes a free slot, or queues {@code waiter} and returns null; the caller then awaits it.
   *
   * @throws HostOverloadedException if the queue is full
   * @throws SelfDeadlockException if the waiter's thread would wait forever on itself
   * @throws io.regulator.PoolClosedException if the waiter's pool closed
   */
  LedgerSlot takeOrEnqueue(SlotWaiter waiter) {
    lock();
    try {
      Thread thread = waiter.thread();
      LedgerSlot slot = takeFree(waiter.ledger, thread);
      if (slot != null) {
        return slot;
      }
      if (waiting >= maxWaiters) {
        throw new HostOverloadedException(key, waiting);
      }
      if (thread != null) {
        int heldByCaller = deadlockedSlots(thread);
        if (heldByCaller > 0) {
          throw new SelfDeadlockException(key, waiter.ledger.name, limit, heldByCaller,
              heldByPool(), describeHolders());
        }
      }
      if (!waiter.ledger.addWaiter(waiter)) {
        throw waiter.ledger.closedException();
      }
      waiter.prev = tail;
      if (tail == null) {
        head = waiter;
      } else {
        tail.next = waiter;
      }
      tail = waiter;
      waiter.queued = true;
      waiting++;
      return null;
    } finally {
      unlock();
    }
  }

  /**
   * How many slots of this host {@code caller} holds, if waiting would be a certain deadlock,
   * else 0: {@code caller} holds at least one, and every other slot is held by a thread blocked
   * waiting for this host (parked in {@link ParkingWaiter#await} and still queued here), so no
   * release can come but by a pool's close or a raised limit. Called only when about to queue.
   *
   * <p>A first walk counts the caller's own slots and reads nothing else: a caller that holds
   * none (the usual queue) costs one pass over the held slots, at most the limit. Only a caller
   * that holds some but not all looks at the other holders, and stops at the first held by a
   * thread that is not blocked here, or by no thread (an async acquire, which may be given back
   * from anywhere). A queued waiter not yet parked reads as not blocked: the check can miss a
   * deadlock, never invent one.
   */
  @GuardedBy("this")
  private int deadlockedSlots(Thread caller) {
    int mine = 0;
    for (LedgerSlot slot = entry.oldest; slot != null; slot = slot.hostNext) {
      if (slot.holdingThread() == caller) {
        mine++;
      }
    }
    if (mine == 0 || mine == inUse) {
      return mine;
    }
    for (LedgerSlot slot = entry.oldest; slot != null; slot = slot.hostNext) {
      Thread holder = slot.holdingThread();
      if (holder != caller && (holder == null || !blockedHere(holder))) {
        return 0;
      }
    }
    return mine;
  }

  /** Whether {@code thread} is parked waiting for a slot of this host, still queued. */
  @GuardedBy("this")
  private boolean blockedHere(Thread thread) {
    Object blocker = LockSupport.getBlocker(thread);
    if (!(blocker instanceof ParkingWaiter)) {
      return false;
    }
    ParkingWaiter waiter = (ParkingWaiter) blocker;
    return waiter.semaphore == this && waiter.queued; // queued: under this lock
  }

  @GuardedBy("this")
  private LedgerSlot takeFree(PoolLedger ledger, Thread holder) {
    if (ledger.isClosed()) { // under the lock: see "Concurrency" above
      throw ledger.closedException();
    }
    if (head != null || inUse >= limit) {
      return null;
    }
    LedgerSlot slot =
        new LedgerSlot(this, ledger, stampsSlots ? ticker.getAsLong() : 0L, holder);
    inUse++;
    linkHeld(slot);
    markUsed();
    return slot;
  }

  /** Keeps this host through the next GC even if idle then; see {@code HostTable.sweepIdle}. */
  @GuardedBy("this")
  private void markUsed() {
    if (!used) { // a read, not a write, on every acquire but the first after a sweep
      used = true;
      entry.retained = this;
    }
  }

  /**
   * Called after each GC: forgets the use mark, or lets an unused idle host be collected. Never
   * waits: a host whose lock is taken is in use, and the shared reaper thread must not hang on
   * any one host.
   */
  void ageIdle() {
    if (!tryLock()) {
      return;
    }
    try {
      if (used) {
        used = false;
      } else {
        entry.retained = null;
      }
    } finally {
      unlock();
    }
  }

  /** Takes a waiter that gave up (or whose pool closed) out of the queue, if it is still there. */
  void leave(SlotWaiter waiter) {
    lock();
    try {
      if (waiter.queued) {
        unqueue(waiter);
      }
    } finally {
      unlock();
    }
  }

  /**
   * Gives back a slot unless it was given back already, deciding that under the lock so the
   * decision and the count change are one step; the head waiter gets the slot at once.
   *
   * <p>When {@code observe}, the release is observed after the unlock but before the waiters it
   * served are woken, so that events tell a slot's release before its next holder's acquire. A
   * closing pool passes false and reports its slots once they are all back (see {@code
   * SemaphoreRegistry.shutdown}).
   *
   * @return whether this call gave it back
   */
  boolean giveBack(LedgerSlot slot, boolean observe) {
    SlotWaiter toWake;
    lock();
    try {
      if (slot.released()) {
        return false;
      }
      toWake = returnHeld(slot);
    } finally {
      unlock();
    }
    if (observe) {
      try {
        slot.ledger.observer.released(slot);
      } finally {
        wakeAll(toWake);
      }
    } else {
      wakeAll(toWake);
    }
    return true;
  }

  /**
   * Gives back, on behalf of a closing pool, every slot of this host that {@code ledger}'s pool
   * still holds, adding them to {@code reclaimed}. The waiters they admit go to {@code wakeLater}
   * instead of being woken: the closer wakes them once its close latch is open, so that a
   * continuation run inline by a woken waiter may close the same pool again without waiting on a
   * latch its own thread has yet to open.
   */
  void reclaimAll(PoolLedger ledger, List<SlotWaiter> wakeLater, List<LedgerSlot> reclaimed) {
    lock();
    try {
      int before = reclaimed.size();
      LedgerSlot slot = entry.oldest;
      while (slot != null) {
        LedgerSlot next = slot.hostNext;
        if (slot.ledger == ledger) {
          unhold(slot);
          reclaimed.add(slot);
        }
        slot = next;
      }
      SlotWaiter toWake = (reclaimed.size() > before) ? drain() : null;
      if (toWake != null) {
        wakeLater.add(toWake);
      }
    } finally {
      unlock();
    }
  }

  /** How many slots of this host {@code ledger}'s pool holds now. */
  int heldBy(PoolLedger ledger) {
    lock();
    try {
      int held = 0;
      for (LedgerSlot slot = entry.oldest; slot != null; slot = slot.hostNext) {
        if (slot.ledger == ledger) {
          held++;
        }
      }
      return held;
    } finally {
      unlock();
    }
  }

  @GuardedBy("this")
  private SlotWaiter returnHeld(LedgerSlot slot) {
    unhold(slot);
    return drain();
  }

  /** Marks a slot given back and uncounts it, in one step under the lock; no waiter is served. */
  @GuardedBy("this")
  private void unhold(LedgerSlot slot) {
    slot.markReleased();
    unlinkHeld(slot);
    inUse--;
  }

  /** Sets the limit live; {@code whileLocked} records it where it outlives this semaphore. */
  void setLimit(int newLimit, Runnable whileLocked) {
    SlotWaiter toWake;
    lock();
    try {
      limit = newLimit;
      whileLocked.run();
      toWake = drain();
    } finally {
      unlock();
    }
    wakeAll(toWake);
  }

  /**
   * Hands free slots to waiters in arrival order, skipping any that left meanwhile, and returns
   * the chain of waiters to wake once the lock is released.
   */
  @GuardedBy("this")
  private SlotWaiter drain() {
    SlotWaiter wakeHead = null;
    SlotWaiter wakeTail = null;
    while (inUse < limit && head != null) {
      SlotWaiter waiter = head;
      unqueue(waiter);
      LedgerSlot slot = new LedgerSlot(this, waiter.ledger, ticker.getAsLong(), waiter.thread());
      PoolLedger.Grant grant = waiter.ledger.grant(waiter, slot);
      boolean wake;
      if (grant == PoolLedger.Grant.GRANTED) {
        inUse++;
        linkHeld(slot);
        markUsed();
        wake = true;
      } else if (grant == PoolLedger.Grant.POOL_CLOSED) {
        wake = waiter.fail();
      } else {
        wake = false; // it timed out or was cancelled; its own thread cleans up
      }
      if (wake) {
        if (wakeTail == null) {
          wakeHead = waiter;
        } else {
          wakeTail.nextToWake = waiter;
        }
        wakeTail = waiter;
      }
    }
    return wakeHead;
  }

  /** Wakes a chain of waiters that a drain granted or failed; call with no lock held. */
  static void wakeAll(SlotWaiter waiter) {
    while (waiter != null) {
      SlotWaiter next = waiter.nextToWake;
      waiter.nextToWake = null;
      waiter.wake();
      waiter = next;
    }
  }

  @GuardedBy("this")
  private void unqueue(SlotWaiter waiter) {
    if (waiter.prev == null) {
      head = waiter.next;
    } else {
      waiter.prev.next = waiter.next;
    }
    if (waiter.next == null) {
      tail = waiter.prev;
    } else {
      waiter.next.prev = waiter.prev;
    }
    waiter.prev = null;
    waiter.next = null;
    waiter.queued = false;
    waiting--;
  }

  /**
   * Appends a slot to the held list, oldest first. The list is circular through {@code hostPrev}
   * (the oldest slot's {@code hostPrev} is the newest), so only the first slot of an idle host is
   * written into the entry.
   */
  @GuardedBy("this")
  private void linkHeld(LedgerSlot slot) {
    LedgerSlot first = entry.oldest;
    if (first == null) {
      slot.hostPrev = slot;
      entry.oldest = slot; // pins this semaphore: see "Entry lifecycle"
    } else {
      LedgerSlot last = first.hostPrev;
      last.hostNext = slot;
      slot.hostPrev = last;
      first.hostPrev = slot;
    }
  }

  @GuardedBy("this")
  private void unlinkHeld(LedgerSlot slot) {
    LedgerSlot first = entry.oldest;
    LedgerSlot next = slot.hostNext;
    if (slot == first) {
      entry.oldest = next; // null unpins this semaphore
      if (next != null) {
        next.hostPrev = slot.hostPrev;
      }
    } else {
      LedgerSlot prev = slot.hostPrev;
      prev.hostNext = next;
      if (next == null) {
        first.hostPrev = prev;
      } else {
        next.hostPrev = prev;
      }
    }
    slot.hostPrev = null;
    slot.hostNext = null;
  }

  int limit() {
    lock();
    try {
      return limit;
    } finally {
      unlock();
    }
  }

  int inUse() {
    lock();
    try {
      return inUse;
    } finally {
      unlock();
    }
  }

  int waiting() {
    lock();
    try {
      return waiting;
    } finally {
      unlock();
    }
  }

  /** This host's figures, or null if it is idle and has no limit of its own to show. */
  HostSnapshot snapshot(boolean ownLimit) {
    lock();
    try {
      if (inUse == 0 && waiting == 0 && !ownLimit) {
        return null;
      }
      return new HostSnapshot(key, limit, inUse, waiting, heldByPool());
    } finally {
      unlock();
    }
  }

  @GuardedBy("this")
  private Map<String, Integer> heldByPool() {
    Map<String, Integer> byPool = new TreeMap<>();
    for (LedgerSlot slot = entry.oldest; slot != null; slot = slot.hostNext) {
      byPool.merge(slot.ledger.name, 1, Integer::sum);
    }
    return byPool;
  }

  /** The exception of an acquire that waited {@code waitedNanos} in vain, naming who holds the host. */
  SlotTimeoutException timeoutException(long waitedNanos) {
    int limitNow;
    int inUseNow;
    int waitingNow;
    String holders;
    lock();
    try {
      limitNow = limit;
      inUseNow = inUse;
      waitingNow = waiting;
      holders = describeHolders();
    } finally {
      unlock();
    }
    return new SlotTimeoutException(
        key, limitNow, inUseNow, waitingNow, Duration.ofNanos(Math.max(0, waitedNanos)), holders);
  }

  /**
   * Who holds this host, for a one-line time-out message: {@code held by {hog=3, other=1},
   * oldest by 'hog' for 5021 ms}, the biggest holder first so that a hogging pool leads.
   */
  @GuardedBy("this")
  private String describeHolders() {
    LedgerSlot oldest = entry.oldest;
    if (oldest == null) {
      return "";
    }
    List<Map.Entry<String, Integer>> byPool = new ArrayList<>(heldByPool().entrySet());
    byPool.sort(Map.Entry.<String, Integer>comparingByValue(Comparator.reverseOrder())
        .thenComparing(Map.Entry.comparingByKey()));
    StringBuilder holders = new StringBuilder("held by {");
    for (int i = 0; i < byPool.size(); i++) {
      holders.append((i == 0) ? "" : ", ")
          .append(byPool.get(i).getKey()).append('=').append(byPool.get(i).getValue());
    }
    holders.append("}, oldest by '").append(oldest.ledger.name).append('\'');
    if (stampsSlots) { // else slots taken without waiting carry no time
      long ageMillis = Duration.ofNanos(ticker.getAsLong() - oldest.acquiredAt).toMillis();
      holders.append(" for ").append(ageMillis).append(" ms");
    }
    return holders.toString();
  }

  /**
   * Adds to {@code due} every held slot that is at least {@code thresholdNanos} old at {@code
   * now} but was not yet at {@code previousSweep} (every such slot if {@code first}). Walks the
   * held slots oldest first and stops at the first young one, so it costs the overdue slots, not
   * all of them.
   */
  void collectOverdue(long now, long thresholdNanos, boolean first, long previousSweep,
      List<LedgerSlot> due) {
    lock();
    try {
      for (LedgerSlot slot = entry.oldest; slot != null; slot = slot.hostNext) {
        if (now - slot.acquiredAt < thresholdNanos) {
          break;
        }
        if (first || previousSweep - slot.acquiredAt < thresholdNanos) {
          due.add(slot);
        }
      }
    } finally {
      unlock();
    }
  }
}
