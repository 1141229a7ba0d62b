package io.regulator.core.internal;

import io.regulator.HostKey;
import io.regulator.HostOverloadedException;
import io.regulator.HostSnapshot;
import io.regulator.SelfDeadlockException;
import io.regulator.SlotTimeoutException;
import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
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
 * The host's count, its limit and whether anyone queues live in one {@code long}, {@code state}
 * ({@link #count}, {@link #limit(long)}, {@link #QUEUED}). While nobody queues, taking a free slot
 * is one compare-and-set of that word ({@link #tryTake}) and giving one back another ({@link
 * #giveBack}): no lock. The lock ({@link HostLock}, a non-reentrant {@code
 * AbstractQueuedSynchronizer}) is taken only to queue, to leave the queue, to hand a returned slot
 * to the head waiter, and to set the limit. It is held only for a few field writes: never while
 * parking, calling a listener, completing a future or unparking a thread. Those happen after
 * {@code unlock()}, on the chain of waiters the critical section built ({@code nextToWake}). No
 * monitor (intrinsic) locks: a virtual thread that blocks on the lock unmounts.
 *
 * <p>No barging: a caller that finds the host full sets {@code QUEUED} under the lock, by a CAS
 * that fails if a slot came back meanwhile (then it takes that slot instead). While {@code
 * QUEUED} is set, the fast paths' CAS fails on it, so every take queues behind the waiters and
 * every release goes under the lock and hands its slot straight to the head waiter ({@link
 * #drain}): a free slot exists only while nobody queues. {@code QUEUED} is cleared under the lock
 * when the queue empties. Invariant, under the lock: {@code head != null} if and only if {@code
 * QUEUED}, and then {@code count >= limit}; while {@code QUEUED} only the lock's holder changes
 * {@code state}. The limit lives in the same word, so a take can never read one limit and count
 * against another: setting the limit is a CAS too.
 *
 * <p>Who gets a slot is settled by one CAS on the waiter's state (see {@link SlotWaiter}): the
 * granting thread's {@code WAITING -> GRANTED} against the waiter's own {@code WAITING ->
 * CANCELLED} on timeout, interrupt or future cancel, and the closing pool's {@code WAITING ->
 * FAILED}. The loser of that CAS does nothing, so a slot is neither lost nor given twice.
 * Who gives a slot back is settled by one CAS on the slot ({@link LedgerSlot}): held to
 * {@code RELEASING}, by the holder, any other thread, or the pool's close; the winner returns the
 * count, then marks the slot {@code RELEASED}. Whoever finds a slot {@code RELEASING} waits the
 * few instructions until it is {@code RELEASED}, so once anyone sees it released the host has it
 * back.
 *
 * <h2>Held slots</h2>
 *
 * Every held slot is on this host's list, newest first, pushed by a CAS of {@code top} ({@link
 * #push}); a given-back slot is not unlinked at once. A push skips the given-back slots on top, so
 * one thread's acquire and release never leave anything behind; one given back below a held slot
 * is counted ({@code buried}) and unlinked by the next {@link #prune} once there are more of those
 * than slots held. Only the lock's holder prunes, and it only unlinks slots already {@code
 * RELEASED}, never {@code top}: a walk that began before the prune still reaches every held
 * slot, since unlinked slots keep their links. So walkers (a pool's close, the time-out message,
 * the self-deadlock check, snapshots, the leak sweep) need no lock.
 *
 * <p>Striped once contended: while takes do not collide, a fast take pushes on {@code top}; the
 * first push that loses its CAS there makes the host's {@code stripes} ({@link Stripe}, twice the
 * processors), and from then on each fast take pushes on the stripe its thread's id hashes to,
 * each with its own top and buried count. The host's own list keeps the slots pushed before and
 * the grants to waiters (pushed under the lock). Without stripes, threads sharing a host pushed on
 * one word and counted buried slots in one field, besides the count's two CASes: both cores on one
 * host ran at 0.85x failsafe's throughput; with them, about 1.04x (docs/benchmarks.md). Walkers go
 * down the host's own list, then down each stripe in order ({@link #first}, {@link #after}).
 *
 * <p>A pool's close sets its ledger's {@code closed} flag, then walks every live host and
 * claims the slots naming its ledger ({@link #reclaimAll}). A fast take pushes its slot, then
 * reads that flag: of the push and the flag's write, the later one's thread sees the other, so a
 * slot taken concurrently with the close is found by the walk, or its taker sees the close and
 * gives it back itself; the slot's CAS decides which, if both. The same holds on a stripe: the
 * walk reads the stripes array and each stripe (volatile) after the flag, and a stripe made for a
 * push is published by a CAS before that push. A grant to a waiter ({@link #drain}) does the
 * same under the host's lock: it pushes the slot, then reads the flag. The close also fails the
 * pool's waiters queued on each host ({@link #failAll}), under that host's lock, but only where the
 * host shows {@link #QUEUED}: an acquire reads the flag under the lock after setting {@code
 * QUEUED}, so of the two, again, the later one's thread sees the other.
 *
 * <h2>Entry lifecycle</h2>
 *
 * The {@link HostTable} holds semaphores through weak references ({@link HostTable.HostRef}).
 * While any slot is held, the entry pins the semaphore ({@code entry.retained}), even when the
 * holders leaked their slots, so there is never a second live semaphore for a host whose first one
 * still counts slots (AsyncHttpClient once pruned busy per-host semaphores and late releases then
 * bypassed the limit). The take that makes the count 1 checks the pin after its CAS, and the
 * reaper ({@link #ageIdle}) clears the pin before it reads the count, restoring it if busy: of
 * the two, the later one's thread sees the other, so a busy host is never left unpinned. An idle
 * host is also kept until a whole GC cycle passed without a slot taken ({@code used}), so hosts in
 * steady use are not collected and re-created at every GC; after that it is reachable from nothing
 * but the weak reference and is collected. Waiters reference this semaphore, so a host with
 * waiters stays too. A host's own limit lives in the table, not here, and survives the entry.
 *
 * <h2>Deadline sweeps</h2>
 *
 * A virtual thread queued with a far deadline parks untimed; {@code sweep}, the host's armed
 * {@link DeadlineSweep}, wakes it by its deadline. An enqueue arms an earlier sweep under the lock
 * when the armed one would come too late ({@link #coverBySweep}); a sweep, when it runs, wakes the
 * expired waiters and arms the next for the earliest deadline left ({@link #sweepExpired}). A
 * waiter reads {@code sweep} before each park and parks timed unless it is covered, so a sweep
 * missing or refused never leaves it asleep past its deadline.
 *
 * <h2>Limit changes</h2>
 *
 * {@link #setLimit} writes the limit and drains under the lock: raising it grants to waiters at
 * once; lowering it grants nothing until releases bring the count under the new limit, and
 * revokes nothing.
 *
 * <h2>Metrics</h2>
 *
 * {@link #inUse()} and {@link #limit()} are one read of {@code state}, exact at its instant;
 * {@link #waiting()} is read under the lock. Nothing observes from inside this class: events
 * (meters, listeners, leak tracking, JFR) are raised by the callers of its methods, after every
 * lock is released, through the regulator's {@link SlotObserver}. Micrometer gauges read the
 * figures through the {@link HostTable} by key and never hold a semaphore, so meters cannot keep
 * an idle host in memory. The held-slot list is what the leak sweep walks ({@link
 * #collectOverdue}) and what names the oldest holder in a time-out.
 */
@SuppressWarnings("serial") // Serializable only through AbstractQueuedSynchronizer; never serialized
final class FifoHostSemaphore extends HostLock {
  private static final long serialVersionUID = 1L;

  /** The bits of {@code state} that count the slots out. */
  private static final long COUNT = 0x7FFF_FFFFL;

  /** The bit of {@code state} set while anyone queues. */
  private static final long QUEUED = 1L << 31;

  /** How many given-back slots may lie buried below held ones, beyond the count, before a prune. */
  private static final int BURIED_SLACK = 16;

  /**
   * How many stripes a contended host's held list splits into: twice the processors, rounded up to
   * a power of two, so that each thread's hash finds a stripe of its own more often than not.
   */
  private static final int STRIPES = Math.min(64,
      Integer.highestOneBit(Math.max(2, Runtime.getRuntime().availableProcessors()) * 2 - 1) * 2);

  /** {@code log2(STRIPES)}: how many top bits of a thread's hash pick its stripe. */
  private static final int STRIPE_BITS = Integer.numberOfTrailingZeros(STRIPES);

  private static final VarHandle STATE;
  private static final VarHandle TOP;
  private static final VarHandle STRIPES_OF;
  private static final VarHandle STRIPE_AT = MethodHandles.arrayElementVarHandle(Stripe[].class);

  static {
    try {
      MethodHandles.Lookup lookup = MethodHandles.lookup();
      STATE = lookup.findVarHandle(FifoHostSemaphore.class, "state", long.class);
      TOP = lookup.findVarHandle(FifoHostSemaphore.class, "top", LedgerSlot.class);
      STRIPES_OF = lookup.findVarHandle(FifoHostSemaphore.class, "stripes", Stripe[].class);
    } catch (ReflectiveOperationException e) {
      throw new ExceptionInInitializerError(e);
    }
  }

  /**
   * One stripe of a contended host's held list: a Treiber list of its own, which the threads whose
   * hash picks it push on. Each stripe is allocated by the first thread that needs it, so stripes
   * of different threads come from different allocation buffers and do not share a cache line.
   */
  static final class Stripe {
    private static final VarHandle STRIPE_TOP;

    static {
      try {
        STRIPE_TOP = MethodHandles.lookup().findVarHandle(Stripe.class, "top", LedgerSlot.class);
      } catch (ReflectiveOperationException e) {
        throw new ExceptionInInitializerError(e);
      }
    }

    /** Its place in the host's stripes, so that a walk goes on to the next one. */
    final int index;

    /** The newest slot pushed on this stripe, or null. */
    @SuppressWarnings("unused") // through STRIPE_TOP
    volatile LedgerSlot top;

    /** As the host's own {@code buried}, for this stripe. */
    int buried;

    Stripe(int index) {
      this.index = index;
    }

    void push(LedgerSlot slot) {
      slot.stripe = this;
      LedgerSlot current = top;
      for (; ; ) {
        slot.below = skipSettled(current);
        LedgerSlot witness = (LedgerSlot) STRIPE_TOP.compareAndExchange(this, current, slot);
        if (witness == current) {
          return;
        }
        current = witness;
      }
    }
  }

  final HostKey key;
  private final int maxWaiters;
  private final LongSupplier ticker;

  /**
   * Whether a slot taken without waiting is stamped with the clock, because something reads hold
   * times. A slot handed to a waiter is always stamped: its wait time is measured from it.
   */
  private final boolean stampsSlots;

  /**
   * This semaphore's table entry: it pins this semaphore while busy, and pools cache it. Set once
   * before the table publishes it, never null after.
   */
  HostTable.HostRef entry;

  /** The limit (bits 32 to 62), {@link #QUEUED} (bit 31) and the count (bits 0 to 30). */
  @SuppressWarnings("unused") // through STATE
  private volatile long state;

  /** The newest slot pushed on this host's own held list (see "Held slots"), or null. */
  @SuppressWarnings("unused") // through TOP
  private volatile LedgerSlot top;

  /**
   * The stripes of the held list, null until two takes collided on {@code top}; an element is
   * null until a thread first pushes there. Elements are read and set through {@code STRIPE_AT}.
   */
  @SuppressWarnings("unused") // through STRIPES_OF
  private volatile Stripe[] stripes;

  /**
   * Roughly how many given-back slots lie below held ones: written without synchronization, so
   * concurrent increments may be lost; it only decides when to prune.
   */
  private int buried;

  /** Whether a slot was taken since the last sweep after a GC; a hint, written without a lock. */
  private boolean used;

  /**
   * The armed deadline timer of this host's untimed waiters, or null (see {@link DeadlineSweep}).
   * Written under the lock; read without it by a waiter choosing how to park.
   */
  private volatile DeadlineSweep sweep;

  @GuardedBy("this")
  private int waiting;

  @GuardedBy("this")
  private SlotWaiter head;

  @GuardedBy("this")
  private SlotWaiter tail;

  FifoHostSemaphore(HostKey key, int limit, int maxWaiters, LongSupplier ticker,
      boolean stampsSlots) {
    this.key = key;
    this.maxWaiters = maxWaiters;
    this.ticker = ticker;
    this.stampsSlots = stampsSlots;
    STATE.set(this, (long) limit << 32); // published with this object by the table's map
  }

  private static int count(long state) {
    return (int) (state & COUNT);
  }

  private static int limit(long state) {
    return (int) (state >>> 32);
  }

  private static boolean queued(long state) {
    return (state & QUEUED) != 0;
  }

  private long state() {
    return (long) STATE.getVolatile(this);
  }

  /**
   * Takes a free slot for {@code ledger}'s pool, or returns null if none is free or someone is
   * queued ahead. Lock-free.
   *
   * @param holder the thread that will hold it (the caller), or null for an async acquire
   * @throws io.regulator.PoolClosedException if the pool closed
   */
  LedgerSlot tryTake(PoolLedger ledger, Thread holder) {
    if (ledger.isClosed()) {
      throw ledger.closedException();
    }
    long s = state();
    if (queued(s) || count(s) >= limit(s)) {
      return null;
    }
    LedgerSlot slot = new LedgerSlot(this, ledger, stampsSlots ? ticker.getAsLong() : 0L);
    pushTaken(slot); // pending: a close that walks this host now waits to see how it ends
    if (ledger.isClosed()) { // after the push: see "Held slots"
      slot.settleUnclaimed();
      throw ledger.closedException();
    }
    // Read again: the push gave other threads time to move the count, and a CAS against the
    // state read before it failed, under contention, more often than not (JFR: the retry loop was
    // 38% of the samples of OneHostContendedBenchmark).
    s = state();
    for (; ; ) {
      if (queued(s) || count(s) >= limit(s)) {
        slot.settleUnclaimed(); // taken meanwhile: the next push skips it
        return null;
      }
      long witness = (long) STATE.compareAndExchange(this, s, s + 1);
      if (witness == s) {
        break;
      }
      s = witness;
    }
    slot.hold(holder);
    if (count(s) == 0) {
      pin();
    }
    if (!used) { // a read, not a write, on every take but the first after a sweep
      used = true;
    }
    return slot;
  }

  /** Keeps this semaphore in the table while busy; after a take made the count 1. */
  private void pin() {
    HostTable.HostRef ref = entry;
    if (ref.retained == null) { // after the count's CAS: see "Entry lifecycle"
      ref.retained = this;
    }
  }

  /**
   * Pushes a slot taken without waiting: on this host's own list while takes do not collide; once
   * one push loses its CAS, on the stripe of the taking thread (see "Held slots").
   */
  private void pushTaken(LedgerSlot slot) {
    Stripe[] striped = stripes;
    if (striped == null) {
      LedgerSlot current = top;
      slot.below = skipSettled(current);
      if (TOP.compareAndSet(this, current, slot)) {
        return;
      }
      striped = inflate();
    }
    stripeOf(striped).push(slot);
  }

  /** The stripes, made by the first push that lost its CAS on {@code top} (or by a test). */
  Stripe[] inflate() {
    Stripe[] fresh = new Stripe[STRIPES];
    Stripe[] witness = (Stripe[]) STRIPES_OF.compareAndExchange(this, (Stripe[]) null, fresh);
    return (witness == null) ? fresh : witness;
  }

  /** The calling thread's stripe, made if it is the first there. */
  private static Stripe stripeOf(Stripe[] striped) {
    // Fibonacci hashing of the thread's id (its top bits): threads made one after another, as a
    // pool's are, land on stripes far apart.
    long id = Thread.currentThread().getId();
    int index = (int) ((id * 0x9E3779B97F4A7C15L) >>> (64 - STRIPE_BITS));
    Stripe stripe = (Stripe) STRIPE_AT.getVolatile(striped, index);
    if (stripe == null) {
      Stripe fresh = new Stripe(index);
      Stripe witness = (Stripe) STRIPE_AT.compareAndExchange(striped, index, (Stripe) null, fresh);
      stripe = (witness == null) ? fresh : witness;
    }
    return stripe;
  }

  /** Pushes a slot on this host's own list, skipping the given-back slots on top. */
  private void push(LedgerSlot slot) {
    LedgerSlot current = top;
    for (; ; ) {
      slot.below = skipSettled(current);
      LedgerSlot witness = (LedgerSlot) TOP.compareAndExchange(this, current, slot);
      if (witness == current) {
        return;
      }
      current = witness;
    }
  }

  /** The first slot from {@code slot} down that is not given back yet, or null. */
  private static LedgerSlot skipSettled(LedgerSlot slot) {
    while (slot != null && slot.isSettled()) {
      slot = slot.below;
    }
    return slot;
  }

  /** The newest slot of the whole held list, stripes included, or null: a walk starts here. */
  private LedgerSlot first() {
    LedgerSlot newest = top;
    return (newest != null) ? newest : firstFrom(0);
  }

  /** The slot a walk visits after {@code slot}: the next older one, or the next stripe's newest. */
  private LedgerSlot after(LedgerSlot slot) {
    LedgerSlot below = slot.below;
    if (below != null) {
      return below;
    }
    Stripe stripe = slot.stripe;
    return firstFrom((stripe == null) ? 0 : stripe.index + 1);
  }

  /** The newest slot of the first stripe from {@code index} on that has one, or null. */
  private LedgerSlot firstFrom(int index) {
    Stripe[] striped = stripes;
    if (striped == null) {
      return null;
    }
    for (int i = index; i < striped.length; i++) {
      Stripe stripe = (Stripe) STRIPE_AT.getVolatile(striped, i);
      if (stripe != null) {
        LedgerSlot newest = stripe.top;
        if (newest != null) {
          return newest;
        }
      }
    }
    return null;
  }

  /**
   * Takes a free slot, or queues {@code waiter} and returns null; the caller then awaits it.
   *
   * @throws HostOverloadedException if the queue is full
   * @throws SelfDeadlockException if the waiter's thread would wait forever on itself
   * @throws io.regulator.PoolClosedException if the waiter's pool closed
   */
  LedgerSlot takeOrEnqueue(SlotWaiter waiter) {
    Thread thread = waiter.thread();
    for (; ; ) {
      LedgerSlot slot = tryTake(waiter.ledger, thread);
      if (slot != null) {
        return slot;
      }
      lock();
      try {
        long s = state();
        if (!queued(s)) {
          if (count(s) < limit(s)) {
            continue; // a slot came back meanwhile and nobody queues: take it, after the unlock
          }
          if (!STATE.compareAndSet(this, s, s | QUEUED)) {
            continue; // the count moved; look again
          }
        }
        // QUEUED is set, so the count holds still: only this lock's holder changes it now.
        try {
          if (waiting >= maxWaiters) {
            throw new HostOverloadedException(key, waiting);
          }
          if (thread != null) {
            int heldByCaller = deadlockedSlots(thread);
            if (heldByCaller > 0) {
              throw new SelfDeadlockException(key, waiter.ledger.name, limit(state()),
                  heldByCaller, heldByPool(), describeHolders());
            }
          }
          if (waiter.ledger.isClosed()) { // after QUEUED is set: see failAll
            throw waiter.ledger.closedException();
          }
        } catch (RuntimeException e) {
          if (head == null) {
            clearQueued();
          }
          throw e;
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
        if (waiter instanceof ParkingWaiter) {
          coverBySweep((ParkingWaiter) waiter);
        }
        return null;
      } finally {
        unlock();
      }
    }
  }

  /**
   * Arms an earlier sweep if {@code waiter} has a far deadline that the armed one, if any, would
   * reach too late. The timer is the JDK's {@code ScheduledThreadPoolExecutor}, whose lock never
   * calls out and is held by its thread only to take a task: arming under this lock keeps the
   * invariant of {@link DeadlineSweep} at every unlock. Rare: the first far waiter of a host, then
   * only a waiter whose deadline is earlier than every one queued before it.
   */
  @GuardedBy("this")
  private void coverBySweep(ParkingWaiter waiter) {
    if (waiter.timer == null) {
      return; // a short timeout: it parks timed
    }
    DeadlineSweep armed = sweep;
    if (armed == null || waiter.deadline - armed.deadline < 0) {
      DeadlineSweep earlier = new DeadlineSweep(entry, waiter.deadline, waiter.timer);
      if (earlier.arm(ticker.getAsLong())) {
        sweep = earlier;
        if (armed != null) {
          armed.cancel(); // superseded: off the timer's queue instead of waiting out its deadline
        }
      }
    }
  }

  /** Whether a sweep will wake a queued waiter with this deadline by then: it may park untimed. */
  boolean sweepsBy(long deadline) {
    DeadlineSweep armed = sweep;
    return armed != null && deadline - armed.deadline >= 0;
  }

  /**
   * Run by {@code ran} at its deadline on the timer thread: wakes the queued waiters whose deadline
   * passed (each then times out on its own thread) and arms the next sweep for the earliest
   * deadline left. Holds the lock only to read the queue; wakes after the unlock.
   */
  void sweepExpired(DeadlineSweep ran) {
    List<ParkingWaiter> expired = null;
    lock();
    try {
      if (sweep != ran) {
        return; // superseded by an earlier sweep, armed meanwhile
      }
      long now = ticker.getAsLong();
      ParkingWaiter earliest = null;
      for (SlotWaiter waiter = head; waiter != null; waiter = waiter.next) {
        if (!(waiter instanceof ParkingWaiter) || ((ParkingWaiter) waiter).timer == null) {
          continue;
        }
        ParkingWaiter parked = (ParkingWaiter) waiter;
        if (parked.deadline - now <= 0) {
          if (expired == null) {
            expired = new ArrayList<>();
          }
          expired.add(parked);
        } else if (earliest == null || parked.deadline - earliest.deadline < 0) {
          earliest = parked;
        }
      }
      sweep = null;
      if (earliest != null) {
        DeadlineSweep next = new DeadlineSweep(entry, earliest.deadline, ran.timer);
        if (next.arm(now)) {
          sweep = next;
        } else {
          // The timer shut down: every waiter queued must park timed; wake them all (the expired
          // ones among them) to choose again.
          expired = new ArrayList<>();
          for (SlotWaiter waiter = head; waiter != null; waiter = waiter.next) {
            if (waiter instanceof ParkingWaiter) {
              expired.add((ParkingWaiter) waiter);
            }
          }
        }
      }
    } finally {
      unlock();
    }
    if (expired != null) {
      for (ParkingWaiter waiter : expired) {
        waiter.wake();
      }
    }
  }

  /** Clears {@link #QUEUED} once the queue is empty; under the lock. */
  @GuardedBy("this")
  private void clearQueued() {
    STATE.getAndBitwiseAnd(this, ~QUEUED);
  }

  /** Adds {@code delta} to the count; under the lock, or while nothing else can change it. */
  private void addCount(int delta) {
    STATE.getAndAdd(this, (long) delta);
  }

  /**
   * How many slots of this host {@code caller} holds, if waiting would be a certain deadlock,
   * else 0: {@code caller} holds at least one, and every other slot is held by a thread blocked
   * waiting for this host (parked in {@link ParkingWaiter#await} and still queued here), so no
   * release can come but by a pool's close or a raised limit. Called only when about to queue.
   *
   * <p>One walk, which stops at the first slot held by another thread that is not blocked here,
   * or by no thread (an async acquire, which may be given back from anywhere, or a slot in the
   * middle of a take or a give-back): in the usual queue the newest slot is held by a thread at
   * work, so the check reads one or two slots, not the whole list (it was 9% of the samples of 64
   * virtual threads queueing on one host when it counted the caller's slots first). A queued
   * waiter not yet parked reads as not blocked: the check can miss a deadlock, never invent one.
   */
  @GuardedBy("this")
  private int deadlockedSlots(Thread caller) {
    int mine = 0;
    for (LedgerSlot slot = first(); slot != null; slot = after(slot)) {
      if (slot.isSettled()) {
        continue;
      }
      Thread holder = slot.holdingThread(); // null too while pending or being given back
      if (holder == caller) {
        mine++;
      } else if (holder == null || !blockedHere(holder)) {
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

  /**
   * Called after each GC: forgets the use mark, or lets an unused idle host be collected. Takes no
   * lock: the shared reaper thread must not hang on any one host.
   */
  void ageIdle() {
    if (used) {
      used = false;
      return;
    }
    HostTable.HostRef ref = entry;
    ref.retained = null;
    long s = state(); // after clearing the pin: see "Entry lifecycle"
    if (count(s) > 0 || queued(s)) {
      ref.retained = this;
    }
  }

  /** Takes a waiter that gave up (or whose pool closed) out of the queue, if it is still there. */
  void leave(SlotWaiter waiter) {
    lock();
    try {
      if (waiter.queued) {
        unqueue(waiter);
        if (head == null) {
          clearQueued();
        }
      }
    } finally {
      unlock();
    }
  }

  /**
   * Gives back a slot unless it was given back already; the head waiter, if any, gets it at once.
   *
   * <p>When {@code observe}, the release is observed once the count is back but before the
   * waiters it served are woken, so that events tell a slot's release before its next holder's
   * acquire. A closing pool passes false and reports its slots once they are all back (see {@code
   * SemaphoreRegistry.shutdown}).
   *
   * @return whether this call gave it back
   */
  boolean giveBack(LedgerSlot slot, boolean observe) {
    if (!slot.claim()) {
      slot.awaitSettled(); // whoever claimed it is giving it back: done once it returns
      return false;
    }
    SlotWaiter toWake = returnCount(1);
    slot.settle();
    Stripe stripe = slot.stripe;
    if (slot != ((stripe == null) ? top : stripe.top)) { // below a newer slot: left until a prune
      noteBuried(stripe);
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
   * Uncounts {@code n} claimed slots: one CAS while nobody queues, else under the lock, handing
   * them to the head waiters. Returns the waiters to wake, with no lock held.
   */
  private SlotWaiter returnCount(int n) {
    long s = state();
    while (!queued(s)) {
      long witness = (long) STATE.compareAndExchange(this, s, s - n);
      if (witness == s) {
        return null;
      }
      s = witness;
    }
    lock();
    try {
      addCount(-n); // atomic: QUEUED may have cleared before the lock; fast takes CAS it then
      return drain();
    } finally {
      unlock();
    }
  }

  /**
   * Counts a slot given back below the top of its list ({@code stripe}, or this host's own if
   * null), and prunes once there are too many of those.
   */
  private void noteBuried(Stripe stripe) {
    // Racy: a lost increment only delays a prune. Per stripe, so that threads of a contended host
    // do not all write one field.
    int now = (stripe == null) ? ++buried : ++stripe.buried;
    if (now > BURIED_SLACK + count(state()) && tryLock()) {
      try {
        prune();
      } finally {
        unlock();
      }
    }
  }

  /**
   * Unlinks the given-back slots from this host's own list and from each stripe, but the top of
   * each, which only pushes replace. Under the lock, so one prune at a time; pushes and walks go
   * on meanwhile (see "Held slots").
   */
  @GuardedBy("this")
  private void prune() {
    buried = 0;
    pruneBelow(top);
    Stripe[] striped = stripes;
    if (striped != null) {
      for (int i = 0; i < striped.length; i++) {
        Stripe stripe = (Stripe) STRIPE_AT.getVolatile(striped, i);
        if (stripe != null) {
          stripe.buried = 0;
          pruneBelow(stripe.top);
        }
      }
    }
  }

  /** Unlinks the given-back slots below {@code kept}, the top of one list. */
  @GuardedBy("this")
  private static void pruneBelow(LedgerSlot kept) {
    if (kept == null) {
      return;
    }
    LedgerSlot slot = kept.below;
    while (slot != null) {
      LedgerSlot next = slot.below;
      if (slot.isSettled()) {
        kept.below = next;
      } else {
        kept = slot;
      }
      slot = next;
    }
  }

  /**
   * Gives back, on behalf of a closing pool, every slot of this host that {@code ledger}'s pool
   * still holds, adding them to {@code reclaimed}. The waiters they admit go to {@code wakeLater}
   * instead of being woken: the closer wakes them once its close latch is open, so that a
   * continuation run inline by a woken waiter may close the same pool again without waiting on a
   * latch its own thread has yet to open.
   */
  void reclaimAll(PoolLedger ledger, List<SlotWaiter> wakeLater, List<LedgerSlot> reclaimed) {
    int before = reclaimed.size();
    for (LedgerSlot slot = first(); slot != null; slot = after(slot)) {
      if (slot.ledger == ledger) {
        slot.awaitTaken(); // a take that began before the close: counted, or given up
        if (slot.claim()) {
          reclaimed.add(slot);
        } else {
          slot.awaitSettled(); // its holder is giving it back: the close waits for that
        }
      }
    }
    int claimed = reclaimed.size() - before;
    if (claimed == 0) {
      return;
    }
    SlotWaiter toWake = returnCount(claimed);
    for (int i = before; i < reclaimed.size(); i++) {
      reclaimed.get(i).settle();
    }
    if (toWake != null) {
      wakeLater.add(toWake);
    }
    noteBuried(null);
  }

  /** How many slots the held list links now, given back or not: what a prune bounds. */
  int listedSlots() {
    int listed = 0;
    for (LedgerSlot slot = first(); slot != null; slot = after(slot)) {
      listed++;
    }
    return listed;
  }

  /** How many slots of this host {@code ledger}'s pool holds now. */
  int heldBy(PoolLedger ledger) {
    int held = 0;
    for (LedgerSlot slot = first(); slot != null; slot = after(slot)) {
      if (slot.ledger == ledger && slot.isHeld()) {
        held++;
      }
    }
    return held;
  }

  /** Sets the limit live; {@code whileLocked} records it where it outlives this semaphore. */
  void setLimit(int newLimit, Runnable whileLocked) {
    SlotWaiter toWake;
    lock();
    try {
      long s = state();
      for (; ; ) {
        long next = ((long) newLimit << 32) | (s & (QUEUED | COUNT));
        long witness = (long) STATE.compareAndExchange(this, s, next);
        if (witness == s) {
          break;
        }
        s = witness;
      }
      whileLocked.run();
      toWake = drain();
    } finally {
      unlock();
    }
    wakeAll(toWake);
  }

  /**
   * Hands free slots to waiters in arrival order, skipping any that left meanwhile, clears
   * {@link #QUEUED} if the queue empties, and returns the chain of waiters to wake once the lock
   * is released.
   */
  @GuardedBy("this")
  private SlotWaiter drain() {
    SlotWaiter wakeHead = null;
    SlotWaiter wakeTail = null;
    while (head != null) {
      long s = state();
      if (count(s) >= limit(s)) {
        break;
      }
      SlotWaiter waiter = head;
      unqueue(waiter);
      boolean wake;
      LedgerSlot slot = new LedgerSlot(this, waiter.ledger, ticker.getAsLong()); // pending
      push(slot); // before the waiter can see it; then `closed`, as a fast take does
      if (waiter.ledger.isClosed()) {
        slot.settleUnclaimed();
        wake = waiter.fail();
      } else if (waiter.grant(slot)) {
        addCount(1);
        slot.hold(waiter.thread()); // its waiter may already see the grant: it waits for this
        if (!used) {
          used = true;
        }
        pin();
        wake = true;
      } else {
        slot.settleUnclaimed(); // it timed out or was cancelled; its own thread cleans up
        wake = false;
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
    if (head == null) {
      clearQueued();
    }
    return wakeHead;
  }

  /**
   * Fails, on behalf of a closing pool, every waiter of {@code ledger} queued here, adding them to
   * {@code failed} for the closer to wake. Called after the ledger's {@code closed} flag is set:
   * a host that shows no queue has none of its waiters, since an acquire reads that flag under
   * the lock after setting {@link #QUEUED} and refuses to queue once it is set.
   */
  void failAll(PoolLedger ledger, List<SlotWaiter> failed) {
    if (!queued(state())) {
      return;
    }
    lock();
    try {
      SlotWaiter waiter = head;
      while (waiter != null) {
        SlotWaiter next = waiter.next;
        if (waiter.ledger == ledger && waiter.fail()) {
          unqueue(waiter);
          failed.add(waiter);
        }
        waiter = next;
      }
      if (head == null) {
        clearQueued();
      }
    } finally {
      unlock();
    }
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

  int limit() {
    return limit(state());
  }

  int inUse() {
    return count(state());
  }

  int waiting() {
    lock();
    try {
      return waiting;
    } finally {
      unlock();
    }
  }

  /**
   * This host's figures, or null if it is idle and has no limit of its own to show. Its in-use
   * figure is the sum of its pools' slots, read from the held list, so the two agree; a slot in
   * the middle of a take or a give-back is left out of both.
   */
  HostSnapshot snapshot(boolean ownLimit) {
    int waitingNow;
    lock();
    try {
      waitingNow = waiting;
    } finally {
      unlock();
    }
    Map<String, Integer> byPool = heldByPool();
    int held = 0;
    for (int n : byPool.values()) {
      held += n;
    }
    if (held == 0 && waitingNow == 0 && !ownLimit) {
      return null;
    }
    return new HostSnapshot(key, limit(), held, waitingNow, byPool);
  }

  private Map<String, Integer> heldByPool() {
    Map<String, Integer> byPool = new TreeMap<>();
    for (LedgerSlot slot = first(); slot != null; slot = after(slot)) {
      if (slot.isHeld()) {
        byPool.merge(slot.ledger.name, 1, Integer::sum);
      }
    }
    return byPool;
  }

  /** The exception of an acquire that waited {@code waitedNanos} in vain, naming who holds the host. */
  SlotTimeoutException timeoutException(long waitedNanos) {
    long s;
    int waitingNow;
    String holders;
    lock();
    try {
      s = state();
      waitingNow = waiting;
      holders = describeHolders();
    } finally {
      unlock();
    }
    return new SlotTimeoutException(key, limit(s), count(s), waitingNow,
        Duration.ofNanos(Math.max(0, waitedNanos)), holders);
  }

  /**
   * Who holds this host, for a one-line time-out message: {@code held by {hog=3, other=1},
   * oldest by 'hog' for 5021 ms}, the biggest holder first so that a hogging pool leads.
   */
  private String describeHolders() {
    List<Map.Entry<String, Integer>> byPool = new ArrayList<>(heldByPool().entrySet());
    if (byPool.isEmpty()) {
      return "";
    }
    byPool.sort(Map.Entry.<String, Integer>comparingByValue(Comparator.reverseOrder())
        .thenComparing(Map.Entry.comparingByKey()));
    StringBuilder holders = new StringBuilder("held by {");
    for (int i = 0; i < byPool.size(); i++) {
      holders.append((i == 0) ? "" : ", ")
          .append(byPool.get(i).getKey()).append('=').append(byPool.get(i).getValue());
    }
    holders.append('}');
    LedgerSlot oldest = oldestHeld();
    if (oldest != null) {
      holders.append(", oldest by '").append(oldest.ledger.name).append('\'');
      if (stampsSlots) { // else slots taken without waiting carry no time
        long ageMillis = Duration.ofNanos(ticker.getAsLong() - oldest.acquiredAt).toMillis();
        holders.append(" for ").append(ageMillis).append(" ms");
      }
    }
    return holders.toString();
  }

  /**
   * The held slot taken first, or null if none is held or it cannot be told. Stamped slots are
   * compared by time. Unstamped, a list's order tells their age (newest first), but lists cannot
   * be compared with each other: on a striped host only a slot of the host's own list taken before
   * the stripes existed (unstamped, unlike a grant) is known to be older than every striped one.
   */
  private LedgerSlot oldestHeld() {
    LedgerSlot oldest = null;
    if (stampsSlots) {
      for (LedgerSlot slot = first(); slot != null; slot = after(slot)) {
        if (slot.isHeld() && (oldest == null || slot.acquiredAt - oldest.acquiredAt <= 0)) {
          oldest = slot; // <= : of equal stamps, the later in the walk, older in its list
        }
      }
      return oldest;
    }
    for (LedgerSlot slot = top; slot != null; slot = slot.below) {
      if (slot.isHeld()) {
        oldest = slot; // newest first, so the last one held is the oldest
      }
    }
    if (stripes == null) {
      return oldest;
    }
    return (oldest != null && oldest.acquiredAt == 0) ? oldest : null;
  }

  /**
   * Adds to {@code due}, oldest first, every held slot that is at least {@code thresholdNanos}
   * old at {@code now} but was not yet at {@code previousSweep} (every such slot if {@code
   * first}). Walks every held slot.
   */
  void collectOverdue(long now, long thresholdNanos, boolean first, long previousSweep,
      List<LedgerSlot> due) {
    int from = due.size();
    for (LedgerSlot slot = first(); slot != null; slot = after(slot)) {
      if (!slot.isHeld() || now - slot.acquiredAt < thresholdNanos) {
        continue;
      }
      if (first || previousSweep - slot.acquiredAt < thresholdNanos) {
        due.add(slot);
      }
    }
    // Oldest first: each list is newest first, so reversed, then (stably) by time, since the
    // stripes (see "Held slots") are not in order with each other; sweeps run only where slots
    // are stamped.
    List<LedgerSlot> found = due.subList(from, due.size());
    Collections.reverse(found);
    found.sort(Comparator.comparingLong(slot -> slot.acquiredAt));
  }
}
