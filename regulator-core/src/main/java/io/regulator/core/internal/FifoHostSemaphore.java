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
import java.util.Arrays;
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
 * <h2>Token cells</h2>
 *
 * The host's slots are cells, one per slot in flight, in segments grown as the host's concurrency
 * needs them ({@code first}, then {@code more}; see {@link Segment}). A cell is a {@code long}: how
 * many takes it has had, and a tag, free, pending or held. Taking a free slot is one
 * compare-and-set of a free cell to pending with one more take ({@link #takeFree}): that one
 * instruction counts the slot (a cell is a unit of the limit). Beside the cell the taker records
 * the slot's pool and thread ({@link Segment#meta}, written only when they changed, so one
 * pool's thread reusing its cell writes nothing else) and, where slots are stamped, the slot
 * itself, then marks the cell held with a plain release store: the held value is the slot's
 * {@code token}. That is where a pool's close, the time-out message, snapshots and the leak sweep
 * find it. Giving a slot back is one compare-and-set of its cell from its token to free ({@link
 * #giveBack}), by the holder, any other thread, or the pool's close: whoever wins gives it back,
 * so a release is exactly-once (no later take of the cell has the same token) and its count is
 * back the instant it is seen released. Neither CAS stores a reference, so neither pays G1's
 * post-write barrier, a StoreLoad fence that cells of references cost every take. Before cells, a
 * take and a release did four locked instructions (a push on a list of held slots, the count's
 * CAS, the slot's claim, the count's CAS back); see docs/benchmarks.md.
 *
 * <p>A take starts at a cell picked by its thread's id, so one thread's take and release touch
 * the same cell, and threads sharing a host mostly touch cells of their own: no word is written by
 * every take. The host's count is the number of occupied cells, read by a scan ({@link #inUse}).
 *
 * <h2>The state word and the lock</h2>
 *
 * {@code state} holds the limit, {@link #QUEUED} (someone waits) and {@link #OVER} (a lowered
 * limit left occupied cells at or above it). Only the lock's holder writes it; takes and releases
 * only read it. The lock ({@link HostLock}, a non-reentrant {@code AbstractQueuedSynchronizer}) is
 * taken to queue, to leave the queue, to hand free cells to waiters ({@link #drain}), to grow the
 * cells and to set the limit. It is held only for a few field writes and compare-and-sets: never
 * while parking, calling a listener, completing a future or unparking a thread. Those happen after
 * {@code unlock()}, on the chain of waiters the critical section built ({@code nextToWake}). No
 * monitor (intrinsic) locks: a virtual thread that blocks on the lock unmounts.
 *
 * <p>The cap holds by structure: while {@code OVER} is clear every occupied cell lies below the
 * limit, and a take only takes a cell below the limit, so no more than the limit are ever
 * occupied. While {@code OVER} is set, only the lock's holder takes, after counting every occupied
 * cell ({@link #placeLocked}); the first such count that finds none at or above the limit clears
 * it. Lowering the limit revokes nothing: the cells above it stay held until given back.
 *
 * <p>No barging: a caller that finds every usable cell occupied sets {@code QUEUED} under the
 * lock, then looks at the cells once more and takes one freed meanwhile. A release frees its cell,
 * then reads {@code state}; if {@code QUEUED} is set it drains: under the lock it hands free cells
 * to the head waiters. Of the enqueuer's write of {@code QUEUED} and the release's freeing CAS,
 * the later one's thread sees the other, so a freed cell is never left while someone waits. A
 * take reads {@code state} before and after its CAS: if anything changed (someone queued, or the
 * limit moved), it frees the cell (which drains) and takes under the lock, behind the queue.
 * So while anyone queues, no take keeps a cell that a waiter could have had.
 *
 * <p>Who gets a slot is settled by one CAS on the waiter's state (see {@link SlotWaiter}): the
 * granting thread's {@code WAITING -> GRANTED} against the waiter's own {@code WAITING ->
 * CANCELLED} on timeout, interrupt or future cancel, and the closing pool's {@code WAITING ->
 * FAILED}. The loser of that CAS does nothing, so a slot is neither lost nor given twice.
 *
 * <h2>Pending slots and the pool's close</h2>
 *
 * A cell is pending from the CAS that takes it until its taker has checked that its pool is still
 * open and marked it held ({@link #hold}); walkers count only held cells. A pool's close sets its
 * ledger's {@code closed} flag, then walks every live host's cells and frees the held cells of its
 * pool ({@link #reclaimAll}), first waiting out any cell still pending, with no lock held. A take
 * CASes its cell, then reads the flag: of the two writes, the later one's thread sees the other,
 * so a slot taken concurrently with the close is found by the walk, or its taker sees the close
 * and frees the cell itself, before anyone used it. A grant to a waiter ({@link #drain}) does the
 * same under the host's lock. The close also fails the pool's waiters queued on each host ({@link
 * #failAll}), under that host's lock, but only where the host shows {@link #QUEUED}: an acquire
 * reads the flag under the lock after {@code QUEUED} is set, so of the two, again, the later one's
 * thread sees the other.
 *
 * <h2>Entry lifecycle</h2>
 *
 * The {@link HostTable} holds semaphores through weak references ({@link HostTable.HostRef}).
 * While any slot is held, the entry pins the semaphore ({@code entry.retained}), even when the
 * holders leaked their slots, so there is never a second live semaphore for a host whose first one
 * still counts slots (AsyncHttpClient once pruned busy per-host semaphores and late releases then
 * bypassed the limit). Every take checks the pin after its CAS, and the reaper ({@link #ageIdle})
 * clears the pin before it reads the cells, restoring it if any is occupied: of the two, the later
 * one's thread sees the other, so a busy host is never left unpinned. An idle host is also kept
 * until a whole GC cycle passed without a slot taken ({@code used}), so hosts in steady use are
 * not collected and re-created at every GC; after that it is reachable from nothing but the weak
 * reference and is collected. Waiters reference this semaphore, so a host with waiters stays too.
 * A host's own limit lives in the table, not here, and survives the entry.
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
 * <h2>Metrics</h2>
 *
 * {@link #inUse()} counts the held cells, {@link #limit()} is one read of {@code state}, and
 * {@link #waiting()} is read under the lock. Nothing observes from inside this class: events
 * (meters, listeners, leak tracking, JFR) are raised by the callers of its methods, after every
 * lock is released, through the regulator's {@link SlotObserver}. Micrometer gauges read the
 * figures through the {@link HostTable} by key and never hold a semaphore, so meters cannot keep
 * an idle host in memory.
 */
@SuppressWarnings("serial") // Serializable only through AbstractQueuedSynchronizer; never serialized
final class FifoHostSemaphore extends HostLock {
  private static final long serialVersionUID = 1L;

  /** The bit of {@code state} set while anyone queues. */
  private static final long QUEUED = 1L;

  /** The bit of {@code state} set while occupied cells may lie at or above a lowered limit. */
  private static final long OVER = 2L;

  /** Either flag: a take or release that sees one goes through the lock. */
  private static final long FLAGS = QUEUED | OVER;

  /** The low bits of a cell: free, pending or held. The bits above count the cell's takes. */
  static final long TAG = 3L;

  static final long FREE = 0L;

  static final long PENDING = 1L;

  static final long HELD = 2L;

  /** What a take adds to a cell's value: one more take. */
  private static final long TAKE = 4L;

  /** Cells of the first segment; segment {@code k} has {@code FIRST_CELLS << k}. */
  static final int FIRST_CELLS = 8;

  /**
   * How many {@code long}s apart the first segment's cells lie: one 64-byte line each, so that
   * threads sharing a host of a small limit do not write one line (both cores on a host of limit 8
   * ran at 0.68x the floor with the cells packed in one line; see docs/benchmarks.md). Later
   * segments, which only a host with more than eight slots out at once grows, are packed: their
   * cells are many and spread over many lines anyway.
   */
  private static final int SPREAD = 8;

  /** Element access to cells: a cell's CAS is a take's or a release's one instruction. */
  static final VarHandle CELL = MethodHandles.arrayElementVarHandle(long[].class);

  private static final VarHandle STATE;

  static {
    try {
      STATE = MethodHandles.lookup().findVarHandle(FifoHostSemaphore.class, "state", long.class);
    } catch (ReflectiveOperationException e) {
      throw new ExceptionInInitializerError(e);
    }
  }

  /**
   * One segment of a host's cells. A cell is a {@code long}: its takes so far (bits 2 up) and a
   * tag ({@link #FREE}, {@link #PENDING}, {@link #HELD}), so a take or a release stores no
   * reference and pays no GC write barrier. Beside each cell, in {@code meta}, the pool that holds
   * it and the thread that took it (written by the taker only when they differ from the last
   * ones, before it marks the cell held); in {@code slots}, only where slots are stamped, the
   * slot itself, for the leak sweep and the close's reports.
   */
  static final class Segment {
    final long[] cells;
    final Object[] meta;
    final LedgerSlot[] slots;

    /** The position of its first cell among all of its host's cells. */
    final int base;

    /** How many cells it has. */
    final int size;

    /** How many {@code long}s apart its cells lie. */
    final int step;

    Segment(int k, boolean stamped) {
      size = FIRST_CELLS << k;
      base = size - FIRST_CELLS;
      step = (k == 0) ? SPREAD : 1;
      cells = new long[size * step];
      meta = new Object[2 * size];
      slots = stamped ? new LedgerSlot[size] : null;
    }

    PoolLedger owner(int cell) {
      return (PoolLedger) meta[2 * cell];
    }

    Thread holder(int cell) {
      return (Thread) meta[2 * cell + 1];
    }

    long value(int cell) {
      return (long) CELL.getAcquire(cells, cell * step);
    }

    /** The cell's value once it is not pending; see {@link FifoHostSemaphore#settled}. */
    long settled(int cell) {
      return FifoHostSemaphore.settled(cells, cell * step);
    }
  }

  final HostKey key;
  private final int maxWaiters;
  private final LongSupplier ticker;

  /**
   * Whether a slot taken without waiting is stamped with the clock, because something reads hold
   * times. A slot handed to a waiter is always stamped: its wait time is measured from it. Only
   * then do the cells keep their slots ({@link Segment#slots}).
   */
  private final boolean stampsSlots;

  /**
   * This semaphore's table entry: it pins this semaphore while busy, and pools cache it. Set once
   * before the table publishes it, never null after.
   */
  HostTable.HostRef entry;

  /** The limit (bits 32 to 62), {@link #OVER} and {@link #QUEUED}. Written under the lock only. */
  @SuppressWarnings("unused") // through STATE
  private volatile long state;

  /** Cells 0 to 7. */
  private final Segment first;

  /** {@code first}'s cells and meta, read by every take without going through {@code first}. */
  private final long[] cells0;

  private final Object[] meta0;

  /**
   * The segments after the first, or null: {@code more[k - 1]} is segment {@code k}, of {@code 8
   * << k} cells, covering cells {@code 8 * (2^k - 1)} up to {@code 8 * (2^(k + 1) - 1)}. Replaced
   * under the lock by a copy one segment longer when every cell is occupied and the limit allows
   * more; a segment, once made, is never replaced or dropped, so a slot's cell never moves.
   */
  private volatile Segment[] more;

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
    this.first = new Segment(0, stampsSlots);
    this.cells0 = first.cells;
    this.meta0 = first.meta;
    STATE.set(this, (long) limit << 32); // published with this object by the table's map
  }

  private static int limit(long state) {
    return (int) (state >>> 32);
  }

  private static boolean queued(long state) {
    return (state & QUEUED) != 0;
  }

  private static boolean over(long state) {
    return (state & OVER) != 0;
  }

  private long state() {
    return (long) STATE.getVolatile(this);
  }

  @GuardedBy("this")
  private void setState(long next) {
    STATE.setVolatile(this, next);
  }

  /** The segment that cell {@code cell} lies in. */
  private static int segmentOf(int cell) {
    return 31 - Integer.numberOfLeadingZeros((cell >>> 3) + 1);
  }

  /** How many cells there are, given {@code more} as read. */
  private static int capacity(Segment[] more) {
    return (more == null) ? FIRST_CELLS : (FIRST_CELLS << (more.length + 1)) - FIRST_CELLS;
  }

  /** Segment {@code k}, given {@code more} as read. */
  private Segment segment(int k, Segment[] more) {
    return (k == 0) ? first : more[k - 1];
  }

  /** How many segments there are, given {@code more} as read. */
  private static int segments(Segment[] more) {
    return (more == null) ? 1 : more.length + 1;
  }

  /** The segment that holds {@code slot}'s cell. */
  private Segment segmentOf(LedgerSlot slot) {
    if (slot.cells == cells0) {
      return first;
    }
    return more[segmentOf(slot.cells.length - FIRST_CELLS + slot.index) - 1];
  }

  /** Where {@code slot}'s cell lies among all of this host's cells. */
  int positionOf(LedgerSlot slot) {
    long[] cells = slot.cells;
    return (cells == cells0) ? slot.index / SPREAD : cells.length - FIRST_CELLS + slot.index;
  }

  /**
   * Takes a free slot for {@code ledger}'s pool, or returns null if none is free or someone is
   * queued ahead. Lock-free while nobody queues and the limit holds still: one CAS of a cell.
   *
   * @param holder the thread that will hold it (the caller), or null for an async acquire
   * @throws io.regulator.PoolClosedException if the pool closed
   */
  LedgerSlot tryTake(PoolLedger ledger, Thread holder) {
    if (ledger.isClosed()) {
      throw ledger.closedException();
    }
    long s = state();
    if (queued(s)) {
      return null; // behind the waiters
    }
    if (!over(s)) {
      Segment[] segments = more;
      int capacity = capacity(segments);
      int limit = limit(s);
      int cell = takeFree(Math.min(limit, capacity), segments);
      if (cell >= 0) {
        // The slot is made only now, with every field final: no wasted allocation on a full
        // host, and no GC barrier on its stores (it is new).
        LedgerSlot slot = slotAt(cell, ledger, stampsSlots ? ticker.getAsLong() : 0L);
        if (ledger.isClosed()) { // after the CAS: see "Pending slots"
          free(slot);
          throw ledger.closedException();
        }
        if (state() == s) {
          hold(slot, holder);
          pin();
          return slot;
        }
        free(slot); // someone queued or the limit moved since: look again under the lock
      } else if (capacity >= limit) {
        return null; // every cell below the limit occupied
      }
    }
    // OVER, or the cells must grow, or the state moved during the take.
    lock();
    try {
      return queued(state()) ? null : claimLocked(ledger, holder);
    } finally {
      unlock();
    }
  }

  /**
   * Marks a free cell among the first {@code usable} pending, starting at the calling thread's
   * own; returns its position, or -1 if all of them are occupied.
   */
  private int takeFree(int usable, Segment[] segments) {
    // Fibonacci hashing of the thread's id, scaled to the usable cells: threads made one after
    // another, as a pool's are, start far apart, and one thread starts at the same cell each time.
    long id = Thread.currentThread().getId();
    long hash = ((id * 0x9E3779B97F4A7C15L) >>> 32);
    int cell = (int) ((hash * usable) >>> 32);
    if (usable <= FIRST_CELLS) { // the usual host: the first segment only, read through cells0
      long[] cells = cells0;
      for (int tried = 0; tried < usable; tried++) {
        if (takeCell(cells, cell * SPREAD)) {
          return cell;
        }
        if (++cell == usable) {
          cell = 0;
        }
      }
      return -1;
    }
    for (int tried = 0; tried < usable; ) {
      Segment seg = (cell < FIRST_CELLS) ? first : segments[segmentOf(cell) - 1];
      long[] cells = seg.cells;
      int step = seg.step;
      int end = Math.min(seg.base + seg.size, usable);
      for (int i = (cell - seg.base) * step; cell < end && tried < usable;
          i += step, cell++, tried++) {
        if (takeCell(cells, i)) {
          return cell;
        }
      }
      if (cell >= usable) {
        cell = 0;
      }
    }
    return -1;
  }

  /**
   * Marks the cell at {@code i} pending if it is free; false if it is held. A pending cell (another
   * take between its CAS and its check) is waited out first, a few instructions: it may yet be
   * freed, and a take that called it occupied could answer "full" while a slot was about to be
   * free, and a count that left it out could then read below a limit just found full (Lincheck's
   * stress test found both). So a take sees a cell free or held, never in between.
   */
  private static boolean takeCell(long[] cells, int i) {
    for (; ; ) {
      long v = settled(cells, i);
      if ((v & TAG) == HELD) {
        return false;
      }
      if (CELL.compareAndSet(cells, i, v, v + TAKE + PENDING)) {
        return true;
      }
      // taken meanwhile: held or pending now; look again
    }
  }

  /**
   * The value of the cell at {@code i} once it is not pending. A pending take may have passed its
   * checks (it is then, in every order of the calls, done) or may yet free the cell, so a take or
   * a count that read it either way could disagree with what the take returns (Lincheck's stress
   * test found both). A pending cell is settled by its taker without any lock, within a few
   * instructions.
   */
  static long settled(long[] cells, int i) {
    for (int spins = 0; ; ) {
      long v = (long) CELL.getAcquire(cells, i);
      if ((v & TAG) != PENDING) {
        return v;
      }
      if (++spins < 64) {
        Thread.onSpinWait();
      } else {
        Thread.yield(); // its taker was descheduled between its CAS and its check
      }
    }
  }

  /** A held (or pending) cell's value once freed: the same count of takes, tagged free. */
  private static long freed(long value) {
    return (value & ~TAG) | FREE;
  }

  /** The slot of the cell at {@code position}, which the caller just marked pending. */
  private LedgerSlot slotAt(int position, PoolLedger ledger, long stamp) {
    if (position < FIRST_CELLS) {
      int index = position * SPREAD;
      long pending = cells0[index]; // our own write: nobody else writes a pending cell
      return new LedgerSlot(this, ledger, stamp, cells0, index, pending - PENDING + HELD);
    }
    Segment seg = (position < FIRST_CELLS) ? first : more[segmentOf(position) - 1];
    int index = (position - seg.base) * seg.step;
    long pending = seg.cells[index]; // our own write: nobody else writes a pending cell
    return new LedgerSlot(this, ledger, stamp, seg.cells, index, pending - PENDING + HELD);
  }

  /**
   * Marks a pending slot held by {@code holder} (null for an async acquire): records its pool and
   * thread beside its cell (only where they changed, so one pool's thread reusing its cell writes
   * nothing but the cell), then publishes the cell as held.
   */
  private void hold(LedgerSlot slot, Thread holder) {
    Segment seg;
    int cell;
    Object[] meta;
    if (slot.cells == cells0) {
      seg = first;
      cell = slot.index / SPREAD;
      meta = meta0;
    } else {
      seg = segmentOf(slot);
      cell = slot.index;
      meta = seg.meta;
    }
    if (meta[2 * cell] != slot.ledger) {
      meta[2 * cell] = slot.ledger;
    }
    if (meta[2 * cell + 1] != holder) {
      meta[2 * cell + 1] = holder;
    }
    if (stampsSlots) {
      seg.slots[cell] = slot;
    }
    CELL.setRelease(slot.cells, slot.index, slot.token); // after the meta: walkers read it first
  }

  /**
   * Takes a free slot under the lock, growing the cells if the limit allows; null if the host is
   * full. Checks, as a fast take does, that the pool is still open after its CAS.
   */
  @GuardedBy("this")
  private LedgerSlot claimLocked(PoolLedger ledger, Thread holder) {
    int cell = placeLocked();
    if (cell < 0) {
      return null;
    }
    LedgerSlot slot = slotAt(cell, ledger, stampsSlots ? ticker.getAsLong() : 0L);
    if (ledger.isClosed()) { // after the CAS: see "Pending slots"
      CELL.setRelease(slot.cells, slot.index, freed(slot.token)); // pending: ours alone
      throw ledger.closedException();
    }
    hold(slot, holder);
    pin();
    return slot;
  }

  /**
   * Marks a free cell below the limit pending, growing the cells if every one is occupied and the
   * limit allows more; returns its position, or -1 if the limit is reached. Under the lock; while
   * {@link #OVER} is set, counts the occupied cells first.
   */
  @GuardedBy("this")
  private int placeLocked() {
    for (; ; ) {
      long s = state();
      int limit = limit(s);
      if (over(s) && !clearOverIfDone(s) && occupiedCells(false) >= limit) {
        return -1;
      }
      Segment[] segments = more;
      int capacity = capacity(segments);
      int cell = takeFree(Math.min(limit, capacity), segments);
      if (cell >= 0) {
        return cell;
      }
      if (capacity < limit) {
        grow(segments);
      } else if (!over(state())) {
        return -1; // every cell below the limit occupied
      }
      // else: a fast take that read the state before OVER was set holds a cell for an instant;
      // it frees it on its own, without this lock, so count again.
      Thread.onSpinWait();
    }
  }

  /** Adds a segment of cells, twice the last one's; under the lock. */
  @GuardedBy("this")
  private void grow(Segment[] segments) {
    int n = (segments == null) ? 0 : segments.length;
    Segment[] longer = (segments == null) ? new Segment[1] : Arrays.copyOf(segments, n + 1);
    longer[n] = new Segment(n + 1, stampsSlots);
    more = longer; // a segment is complete before any thread can reach it
  }

  /** Clears {@link #OVER} if no occupied cell lies at or above the limit; under the lock. */
  @GuardedBy("this")
  private boolean clearOverIfDone(long s) {
    int limit = limit(s);
    Segment[] segments = more;
    for (int k = segmentOf(limit), n = segments(segments); k < n; k++) {
      Segment seg = segment(k, segments);
      for (int cell = Math.max(0, limit - seg.base); cell < seg.size; cell++) {
        if ((seg.value(cell) & TAG) != FREE) {
          return false;
        }
      }
    }
    setState(s & ~OVER);
    return true;
  }

  /**
   * How many cells are occupied, at one pass: with {@code settle}, each pending cell waited out
   * first, so that it counts as held or not at all ({@link #settled}); without, counted as it is
   * (a bound for the cap under the lock, and the reaper's busy check).
   */
  private int occupiedCells(boolean settle) {
    int occupied = 0;
    Segment[] segments = more;
    for (int k = 0, n = segments(segments); k < n; k++) {
      Segment seg = segment(k, segments);
      for (int cell = 0; cell < seg.size; cell++) {
        long v = settle ? seg.settled(cell) : seg.value(cell);
        if ((v & TAG) != FREE) {
          occupied++;
        }
      }
    }
    return occupied;
  }

  /** Keeps this semaphore in the table while busy; after every take's CAS. */
  private void pin() {
    HostTable.HostRef ref = entry;
    if (ref.retained == null) { // after the cell's CAS: see "Entry lifecycle"
      ref.retained = this;
    }
    if (!used) { // a read, not a write, on every take but the first after a sweep
      used = true;
    }
  }

  /** Frees the cell of a pending slot (ours alone), handing it on if anyone queued meanwhile. */
  private void free(LedgerSlot slot) {
    CELL.setRelease(slot.cells, slot.index, freed(slot.token));
    if ((state() & FLAGS) != 0) {
      wakeAll(drainLocked(slot));
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
    Thread thread = waiter.thread();
    LedgerSlot slot = tryTake(waiter.ledger, thread);
    if (slot != null) {
      return slot;
    }
    lock();
    try {
      if (!queued(state())) {
        slot = claimLocked(waiter.ledger, thread); // a slot came back meanwhile
        if (slot != null) {
          return slot;
        }
        setState(state() | QUEUED);
      }
      try {
        if (head == null) {
          // This caller set QUEUED. Look once more: a release that freed a cell before then may
          // not have seen it.
          slot = claimLocked(waiter.ledger, thread);
          if (slot != null) {
            clearQueued();
            return slot;
          }
        }
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
    setState(state() & ~QUEUED);
  }


  /**
   * How many slots of this host {@code caller} holds, if waiting would be a certain deadlock,
   * else 0: {@code caller} holds at least one, and every other slot is held by a thread blocked
   * waiting for this host (parked in {@link ParkingWaiter#await} and still queued here), so no
   * release can come but by a pool's close or a raised limit. Called only when about to queue.
   *
   * <p>One walk of the cells, which stops at the first slot held by another thread that is not
   * blocked here, or by no thread (an async acquire, which may be given back from anywhere, or a
   * pending slot): in the usual queue that comes within a few cells. A queued waiter not yet parked
   * reads as not blocked: the check can miss a deadlock, never invent one.
   */
  @GuardedBy("this")
  private int deadlockedSlots(Thread caller) {
    int mine = 0;
    Segment[] segments = more;
    for (int k = 0, n = segments(segments); k < n; k++) {
      Segment seg = segment(k, segments);
      for (int cell = 0; cell < seg.size; cell++) {
        long v = seg.value(cell);
        if ((v & TAG) == FREE) {
          continue;
        }
        Thread holder = seg.holder(cell);
        VarHandle.loadLoadFence();
        if ((v & TAG) == PENDING || seg.value(cell) != v) {
          return 0; // in the middle of a take or a release: not blocked
        }
        if (holder == caller) {
          mine++;
        } else if (holder == null || !blockedHere(holder)) {
          return 0;
        }
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
    // After clearing the pin: see "Entry lifecycle".
    if (queued(state()) || occupiedCells(false) > 0) {
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
   * Gives back a slot unless it was given back already: one CAS of its cell from the slot's
   * token to free. If anyone queues, the head waiter gets the cell at once.
   *
   * <p>When {@code observe}, the release is observed once the cell is free but before the waiters
   * it served are woken, so that events tell a slot's release before its next holder's acquire.
   *
   * @return whether this call gave it back
   */
  boolean giveBack(LedgerSlot slot, boolean observe) {
    long token = slot.token;
    if (!CELL.compareAndSet(slot.cells, slot.index, token, freed(token))) {
      return false; // given back already, by this or another thread or the pool's close
    }
    // After the CAS: see "The state word and the lock".
    SlotWaiter toWake = ((state() & FLAGS) == 0) ? null : drainLocked(slot);
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
   * Drains under the lock (see {@link #drain}); returns the waiters to wake, with no lock held.
   * Package-private for {@code LoweredLimitDrainTest}, which runs a release's drain late.
   */
  SlotWaiter drainLocked(LedgerSlot freed) {
    lock();
    try {
      return drain(freed);
    } finally {
      unlock();
    }
  }

  /**
   * Gives back, on behalf of a closing pool, every slot of this host that {@code ledger}'s pool
   * still holds, and returns how many. Where cells keep their slots (stamped), adds those to
   * {@code reclaimed} for the closer to report. The waiters they admit go to {@code wakeLater}
   * instead of being woken: the closer wakes them once its close latch is open, so that a
   * continuation run inline by a woken waiter may close the same pool again without waiting on a
   * latch its own thread has yet to open. Holds no lock while it waits out a pending take.
   */
  int reclaimAll(PoolLedger ledger, List<SlotWaiter> wakeLater, List<LedgerSlot> reclaimed) {
    int count = 0;
    Segment[] segments = more; // after `closed` was set: see "Pending slots"
    for (int k = 0, n = segments(segments); k < n; k++) {
      Segment seg = segment(k, segments);
      for (int cell = 0; cell < seg.size; ) {
        long v = seg.settled(cell); // a take that began before the close: held, or freed
        if ((v & TAG) == HELD) {
          PoolLedger owner = seg.owner(cell);
          LedgerSlot slot = (seg.slots == null) ? null : seg.slots[cell];
          VarHandle.loadLoadFence();
          if (seg.value(cell) != v) {
            continue; // given back or taken again meanwhile: look again
          }
          if (owner == ledger) {
            if (!CELL.compareAndSet(seg.cells, cell * seg.step, v, freed(v))) {
              continue;
            }
            count++;
            if (slot != null) {
              reclaimed.add(slot);
            }
          }
        }
        cell++;
      }
    }
    if (count > 0 && (state() & FLAGS) != 0) {
      SlotWaiter toWake = drainLocked(null);
      if (toWake != null) {
        wakeLater.add(toWake);
      }
    }
    return count;
  }

  /** How many cells this host has, occupied or not: what its peak concurrency grew it to. */
  int cellCount() {
    return capacity(more);
  }

  /** How many slots of this host {@code ledger}'s pool holds now. */
  int heldBy(PoolLedger ledger) {
    int held = 0;
    for (Held cell : heldCells()) {
      if (cell.owner == ledger) {
        held++;
      }
    }
    return held;
  }

  /** A held cell as a walk saw it: its pool, and its slot where the cells keep slots. */
  private static final class Held {
    final PoolLedger owner;
    final LedgerSlot slot;

    Held(PoolLedger owner, LedgerSlot slot) {
      this.owner = owner;
      this.slot = slot;
    }
  }

  /** The cells held now, in cell order; for walkers that are not on a hot path. */
  private List<Held> heldCells() {
    List<Held> held = new ArrayList<>();
    Segment[] segments = more;
    for (int k = 0, n = segments(segments); k < n; k++) {
      Segment seg = segment(k, segments);
      for (int cell = 0; cell < seg.size; cell++) {
        for (; ; ) {
          long v = seg.settled(cell);
          if ((v & TAG) != HELD) {
            break;
          }
          PoolLedger owner = seg.owner(cell);
          LedgerSlot slot = (seg.slots == null) ? null : seg.slots[cell];
          VarHandle.loadLoadFence();
          if (seg.value(cell) == v) { // else taken again meanwhile: its meta may be the new one's
            held.add(new Held(owner, slot));
            break;
          }
        }
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
      long next = ((long) newLimit << 32) | (s & QUEUED);
      if (newLimit < limit(s) || over(s)) {
        // Set before looking at the cells, so a fast take that read the old limit backs off (it
        // compares the state after its CAS), then cleared if nothing lies at or above the limit.
        setState(next | OVER);
        clearOverIfDone(next | OVER);
      } else {
        setState(next);
      }
      whileLocked.run();
      toWake = drain(null);
    } finally {
      unlock();
    }
    wakeAll(toWake);
  }

  /**
   * Hands free cells to waiters in arrival order, skipping any that left meanwhile, clears
   * {@link #QUEUED} if the queue empties, and returns the chain of waiters to wake once the lock
   * is released.
   *
   * <p>{@code freed}, if not null, is the slot whose cell the caller just freed: that cell goes to
   * the head waiter, and no other cell is looked at. Every cell freed while anyone queues is
   * drained by its freer, so a release owes the queue its own cell only, which is also the one line
   * already in its cache (scanning every cell of a full host under the lock cost 13% of the
   * throughput of 64 virtual threads on a host of limit 8). With null (a pool's close freeing
   * several, a limit raised, {@link #OVER}), every cell is looked at.
   */
  @GuardedBy("this")
  private SlotWaiter drain(LedgerSlot freed) {
    SlotWaiter wakeHead = null;
    SlotWaiter wakeTail = null;
    boolean hint = freed != null;
    while (head != null) {
      SlotWaiter waiter = head;
      long s = state();
      // Below the limit: a limit lowered meanwhile may have found this cell already free and
      // cleared OVER, and the cap holds only if no cell at or above the limit is taken.
      boolean hinted = hint && !over(s) && positionOf(freed) < limit(s);
      LedgerSlot slot;
      if (hinted) {
        long v = (long) CELL.getVolatile(freed.cells, freed.index);
        if ((v & TAG) != FREE
            || !CELL.compareAndSet(freed.cells, freed.index, v, v + TAKE + PENDING)) {
          hint = false; // taken meanwhile: look at every cell
          continue;
        }
        slot = new LedgerSlot(this, waiter.ledger, ticker.getAsLong(), freed.cells, freed.index,
            v + TAKE + HELD);
      } else {
        int cell = placeLocked(); // pending
        if (cell < 0) {
          break;
        }
        slot = slotAt(cell, waiter.ledger, ticker.getAsLong());
      }
      unqueue(waiter);
      boolean wake;
      boolean granted = false;
      if (waiter.ledger.isClosed()) { // after the CAS, as a fast take does
        CELL.setRelease(slot.cells, slot.index, freed(slot.token));
        wake = waiter.fail();
      } else if (waiter.grant(slot)) {
        hold(slot, waiter.thread()); // its waiter may already see the grant: it waits
        pin();
        wake = true;
        granted = true;
      } else {
        // It timed out or was cancelled; its own thread cleans up. The cell goes to the next.
        CELL.setRelease(slot.cells, slot.index, freed(slot.token));
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
      if (hinted && granted) {
        break; // the freed cell is handed on; the next waiter's is owed by the next release
      }
    }
    if (head == null) {
      clearQueued();
    }
    long s = state();
    if (over(s)) {
      clearOverIfDone(s);
    }
    return wakeHead;
  }

  /**
   * Fails, on behalf of a closing pool, every waiter of {@code ledger} queued here, adding them to
   * {@code failed} for the closer to wake. Called after the ledger's {@code closed} flag is set:
   * a host that shows no queue has none of its waiters, since an acquire reads that flag under
   * the lock after {@link #QUEUED} is set and refuses to queue once it is set.
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

  /**
   * How many slots are in use now: the held cells, counted at one pass, each pending one waited
   * out ({@link Segment#settled}), as takes wait them out ({@link #takeCell}).
   */
  int inUse() {
    return occupiedCells(true);
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
   * figure is the sum of its pools' slots, read from the cells, so the two agree; a pending slot
   * is left out of both.
   */
  HostSnapshot snapshot(boolean ownLimit) {
    int waitingNow;
    lock();
    try {
      waitingNow = waiting;
    } finally {
      unlock();
    }
    Map<String, Integer> byPool = heldByPool(heldCells());
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
    return heldByPool(heldCells());
  }

  private static Map<String, Integer> heldByPool(List<Held> held) {
    Map<String, Integer> byPool = new TreeMap<>();
    for (Held cell : held) {
      byPool.merge(cell.owner.name, 1, Integer::sum);
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
    return new SlotTimeoutException(key, limit(s), inUse(), waitingNow,
        Duration.ofNanos(Math.max(0, waitedNanos)), holders);
  }

  /**
   * Who holds this host, for a one-line time-out message: {@code held by {hog=3, other=1},
   * oldest by 'hog' for 5021 ms}, the biggest holder first so that a hogging pool leads.
   */
  private String describeHolders() {
    List<Held> held = heldCells();
    List<Map.Entry<String, Integer>> byPool = new ArrayList<>(heldByPool(held).entrySet());
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
    if (stampsSlots) {
      LedgerSlot oldest = null;
      for (Held cell : held) {
        if (cell.slot != null && (oldest == null || cell.slot.acquiredAt - oldest.acquiredAt < 0)) {
          oldest = cell.slot;
        }
      }
      if (oldest != null) {
        long ageMillis = Duration.ofNanos(ticker.getAsLong() - oldest.acquiredAt).toMillis();
        holders.append(", oldest by '").append(oldest.ledger.name).append("' for ")
            .append(ageMillis).append(" ms");
      }
    } else if (byPool.size() == 1) {
      // Unstamped slots carry no order (cells are reused in no order): only a host held by one
      // pool tells whose the oldest is.
      holders.append(", oldest by '").append(byPool.get(0).getKey()).append('\'');
    }
    return holders.toString();
  }

  /**
   * Adds to {@code due}, oldest first, every held slot that is at least {@code thresholdNanos}
   * old at {@code now} but was not yet at {@code previousSweep} (every such slot if {@code
   * first}). Walks every cell; sweeps run only where slots are stamped, so the cells keep them.
   */
  void collectOverdue(long now, long thresholdNanos, boolean first, long previousSweep,
      List<LedgerSlot> due) {
    int from = due.size();
    for (Held cell : heldCells()) {
      LedgerSlot slot = cell.slot;
      if (slot == null || now - slot.acquiredAt < thresholdNanos) {
        continue;
      }
      if (first || previousSweep - slot.acquiredAt < thresholdNanos) {
        due.add(slot);
      }
    }
    due.subList(from, due.size()).sort(Comparator.comparingLong(slot -> slot.acquiredAt));
  }
}
