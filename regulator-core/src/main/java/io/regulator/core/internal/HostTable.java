package io.regulator.core.internal;

import io.regulator.HostKey;
import java.lang.ref.ReferenceQueue;
import java.lang.ref.WeakReference;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.function.Consumer;
import java.util.function.LongSupplier;

/**
 * The node's hosts: one {@link FifoHostSemaphore} per {@link HostKey}, each held through a weak
 * reference, and each host's own limit, held strongly.
 *
 * <p>A busy host (a slot out, so possibly waiters too) is <em>pinned</em>: its {@link HostRef}
 * references it strongly ({@link HostRef#retained}). So a busy host can never be dropped, even
 * when its holders leaked their slots, and a pool's close always finds its slots by walking the
 * table. An idle host is kept strongly ({@link HostRef#retained}) until a
 * whole GC cycle passes without a slot taken from it: one {@link GcCanary}, a weak reference to a
 * fresh object, tells the reaper thread that a GC ran, and the reaper then sweeps every table
 * ({@link #sweepIdle}). Without that, every idle host collected at a GC had to be created again
 * at its next acquire, and with 10,000 hosts in use that doubled the cost of an acquire
 * (regulator-bench). After that cycle, an idle host is reachable from nothing but its weak
 * reference and goes with the next GC, however many hosts churn through. A time or size policy
 * would instead have to veto evicting busy entries.
 *
 * <p>A {@code ConcurrentHashMap} of weak references, not a Caffeine cache with weak values: such a
 * cache records every read in its read buffer and runs a maintenance task on its executor every
 * few reads (regulator-bench measured one task per 17 reads, 7 to 20 times the whole cost of an
 * uncontended acquire of a {@code ConcurrentHashMap<String, Semaphore>}). Here a hit is one map
 * lookup and one {@code Reference.get()}: no lock, no allocation, no task. One daemon thread,
 * shared by every table, unmaps collected semaphores as soon as the GC enqueues them, so a churn
 * of hosts leaves nothing behind but the map's table.
 *
 * <p>Thread-safe.
 */
final class HostTable {
  /**
   * Where the GC puts the references of collected semaphores, and the {@link GcCanary} that tells
   * a GC happened; the reaper drains it.
   */
  private static final ReferenceQueue<Object> COLLECTED = new ReferenceQueue<>();

  /** Every table, for the reaper's sweep after each GC; weakly, so a dropped regulator goes. */
  private static final List<WeakReference<HostTable>> TABLES = new CopyOnWriteArrayList<>();

  /** Cleared by every GC; held here so that the reference itself stays reachable. */
  @SuppressWarnings("unused")
  private static GcCanary canary = new GcCanary();

  static {
    Thread reaper = new Thread(HostTable::reap, "regulator-host-reaper");
    reaper.setDaemon(true);
    reaper.start();
  }

  private final ConcurrentMap<HostKey, HostRef> semaphores = new ConcurrentHashMap<>();
  private final ConcurrentMap<HostKey, Integer> ownLimits;
  private final int defaultLimit;
  private final int maxWaiters;
  private final LongSupplier ticker;
  private final boolean stampsSlots;
  private final Consumer<HostKey> onRemoved;

  /**
   * @param onRemoved told the key of every entry that left the table (on the reaper thread,
   *     outside every lock), or null if nobody needs to know
   */
  HostTable(RegulatorSettings settings, Consumer<HostKey> onRemoved) {
    this.ownLimits = new ConcurrentHashMap<>(settings.limits());
    this.defaultLimit = settings.defaultLimit();
    this.maxWaiters = settings.maxWaitersPerHost();
    this.ticker = settings.ticker();
    this.stampsSlots = settings.observesHoldTimes();
    this.onRemoved = onRemoved;
    TABLES.add(new WeakReference<>(this));
  }

  /** The host's live semaphore, created if it has none. */
  FifoHostSemaphore semaphore(HostKey key) {
    HostRef ref = semaphores.get(key);
    FifoHostSemaphore semaphore = (ref == null) ? null : ref.get();
    return (semaphore != null) ? semaphore : createOrFind(key);
  }

  private FifoHostSemaphore createOrFind(HostKey key) {
    FifoHostSemaphore[] result = new FifoHostSemaphore[1];
    semaphores.compute(key, (k, old) -> {
      FifoHostSemaphore live = (old == null) ? null : old.get();
      if (live != null) {
        result[0] = live;
        return old;
      }
      // Any old semaphore was collected, so nothing holds or waits for its slots: a fresh one
      // starts exact. Its own limit lives in ownLimits and carries over.
      FifoHostSemaphore created = new FifoHostSemaphore(
          k, ownLimits.getOrDefault(k, defaultLimit), maxWaiters, ticker, stampsSlots);
      HostRef ref = new HostRef(this, k, created);
      created.entry = ref; // before the map publishes it
      result[0] = created;
      return ref;
    });
    return result[0];
  }

  /** The host's live semaphore, or null if it is idle and was dropped (or never used). */
  FifoHostSemaphore find(HostKey key) {
    HostRef ref = semaphores.get(key);
    return (ref == null) ? null : ref.get();
  }

  int limit(HostKey key) {
    FifoHostSemaphore semaphore = find(key);
    return (semaphore != null) ? semaphore.limit() : ownLimits.getOrDefault(key, defaultLimit);
  }

  void setLimit(HostKey key, int limit) {
    // Recorded under the semaphore's lock, so concurrent setLimit calls leave the table and the
    // live semaphore agreeing, and a semaphore created later starts from the newest limit.
    semaphore(key).setLimit(limit, () -> ownLimits.put(key, limit));
  }

  boolean hasOwnLimit(HostKey key) {
    return ownLimits.containsKey(key);
  }

  Set<HostKey> ownLimitKeys() {
    return ownLimits.keySet();
  }

  /** The live semaphores, copied: the caller holds them strongly while it walks them. */
  Collection<FifoHostSemaphore> semaphores() {
    List<FifoHostSemaphore> live = new ArrayList<>(semaphores.size());
    for (HostRef ref : semaphores.values()) {
      FifoHostSemaphore semaphore = ref.get();
      if (semaphore != null) {
        live.add(semaphore);
      }
    }
    return live;
  }

  /** How many slots {@code ledger}'s pool holds, across hosts: a walk of the live ones. */
  int heldBy(PoolLedger ledger) {
    int held = 0;
    for (FifoHostSemaphore semaphore : semaphores()) {
      held += semaphore.heldBy(ledger);
    }
    return held;
  }

  /** How many slots of one host {@code ledger}'s pool holds. */
  int heldBy(PoolLedger ledger, HostKey key) {
    FifoHostSemaphore semaphore = find(key);
    return (semaphore == null) ? 0 : semaphore.heldBy(ledger);
  }

  /**
   * How many entries the map holds, a collected host's included until the reaper unmapped it:
   * what {@code trackedHosts()} promises is memory, and such an entry still holds its key.
   */
  int size() {
    return semaphores.size();
  }

  private static void reap() {
    for (; ; ) {
      try {
        Object collected = COLLECTED.remove();
        if (collected instanceof GcCanary) {
          canary = new GcCanary(); // first, so that the next GC is heard too
          sweepIdle();
          continue;
        }
        HostRef ref = (HostRef) collected;
        // Unless a fresh semaphore already replaced the collected one under the same key.
        if (ref.table.semaphores.remove(ref.key, ref) && ref.table.onRemoved != null) {
          ref.table.onRemoved.accept(ref.key);
        }
      } catch (InterruptedException e) {
        // Nobody interrupts this daemon on purpose; stopping would let dead entries pile up.
      } catch (RuntimeException e) {
        // A failing onRemoved must not stop the unmapping of every later host.
        System.getLogger(HostTable.class.getName())
            .log(System.Logger.Level.WARNING, "host removal callback failed", e);
      }
    }
  }

  /**
   * After each GC: every host not used since the previous sweep loses its {@code retained} link,
   * so the next GC collects it if it is still idle; every host used since is marked unused again.
   * A host thus outlives its last use by one to two GC cycles.
   */
  private static void sweepIdle() {
    for (WeakReference<HostTable> tableRef : TABLES) {
      HostTable table = tableRef.get();
      if (table == null) {
        TABLES.remove(tableRef);
        continue;
      }
      for (FifoHostSemaphore semaphore : table.semaphores()) {
        semaphore.ageIdle();
      }
    }
  }

  /** A weak reference to a fresh object, so the GC clears and enqueues it at its first cycle. */
  private static final class GcCanary extends WeakReference<Object> {
    GcCanary() {
      super(new Object(), COLLECTED);
    }
  }

  /**
   * The table's weak link to one host's semaphore, with what the reaper needs to unmap it, and
   * the strong link that pins the semaphore while it is busy.
   */
  static final class HostRef extends WeakReference<FifoHostSemaphore> {
    final HostTable table;
    final HostKey key;

    /**
     * The semaphore itself while it is busy, or was used since the last GC but one, else null:
     * a busy host is never collected (see {@link FifoHostSemaphore}, "Entry lifecycle"), and
     * idle hosts in steady use are not collected and re-created at every GC (see {@link
     * #sweepIdle}). Volatile: the take that makes a host busy and the reaper order themselves
     * through it and the host's count.
     */
    volatile FifoHostSemaphore retained;

    HostRef(HostTable table, HostKey key, FifoHostSemaphore semaphore) {
      super(semaphore, COLLECTED);
      this.table = table;
      this.key = key;
    }
  }
}
