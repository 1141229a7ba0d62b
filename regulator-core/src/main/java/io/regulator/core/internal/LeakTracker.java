package io.regulator.core.internal;

import io.regulator.HostKey;
import io.regulator.Slot;
import io.regulator.SlotLeak;
import java.lang.ref.Cleaner;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentMap;
import java.util.function.LongSupplier;

/**
 * Leak detection, when the builder turned it on: acquisition sites, slots held past the threshold,
 * and slots that became unreachable unreleased.
 *
 * <p>Held past the threshold: {@link #sweep} runs on the regulator's timer thread and walks each
 * host's held slots and takes those older than the threshold, oldest first. A slot is
 * reported by the first sweep that finds it overdue: the sweeps remember when the previous one
 * ran, and a slot overdue then was reported then. So no per-slot flag is needed, and a slot is
 * reported once however long it stays held.
 *
 * <p>Unreachable: callers get a {@link TrackedSlot} whose cleaner action gives the slot back.
 *
 * <p>Thread-safe; {@link #sweep} is confined to the timer thread.
 */
final class LeakTracker implements SlotObserver {
  private static final System.Logger LOG = System.getLogger(LeakTracker.class.getName());

  private final long thresholdNanos;
  private final boolean reclaimUnreachable;
  private final Cleaner cleaner;
  private final LongSupplier ticker;
  private final ListenerNotifier listeners;

  /** Acquisition sites of held slots, or null when sites are not recorded. */
  private final ConcurrentMap<LedgerSlot, Throwable> sites;

  /** Confined to the sweeping thread. */
  private boolean swept;

  /** Confined to the sweeping thread: the ticker when the previous sweep started. */
  private long lastSweep;

  /**
   * @param threshold report slots held longer, or null to not
   * @param listeners the listeners to tell, or null if there are none
   */
  LeakTracker(Duration threshold, boolean reclaimUnreachable, boolean recordSites,
      Cleaner cleaner, LongSupplier ticker, ListenerNotifier listeners) {
    this.thresholdNanos = (threshold == null) ? -1 : saturatedNanos(threshold);
    this.reclaimUnreachable = reclaimUnreachable;
    this.cleaner = cleaner;
    this.ticker = ticker;
    this.listeners = listeners;
    this.sites = recordSites ? new ConcurrentHashMap<>() : null;
  }

  private static long saturatedNanos(Duration duration) {
    return (duration.compareTo(Duration.ofNanos(Long.MAX_VALUE / 4)) >= 0)
        ? Long.MAX_VALUE / 4
        : duration.toNanos();
  }

  @Override
  public Slot acquired(LedgerSlot slot, long waitedNanos, Throwable site) {
    if (sites != null) {
      sites.put(slot, (site != null) ? site : new AcquisitionSite(slot.key(), slot.ledger.name));
      if (slot.isReleased()) {
        sites.remove(slot); // its pool closed before we got here; released() may have run already
      }
    }
    return reclaimUnreachable ? new TrackedSlot(slot, cleaner, new Reclaimer(slot, this)) : slot;
  }

  @Override
  public void released(LedgerSlot slot) {
    if (sites != null) {
      sites.remove(slot);
    }
  }

  @Override
  public Throwable site(HostKey key, PoolLedger ledger) {
    return (sites != null) ? new AcquisitionSite(key, ledger.name) : null;
  }

  /** How often {@link #sweep} runs: every quarter threshold, at least once a second. */
  Duration sweepPeriod() {
    long nanos = Math.min(thresholdNanos / 4, Duration.ofSeconds(1).toNanos());
    return Duration.ofNanos(Math.max(nanos, Duration.ofMillis(1).toNanos()));
  }

  boolean reportsOverdue() {
    return thresholdNanos >= 0;
  }

  /** Reports every held slot that became overdue since the previous sweep. Outside every lock. */
  void sweep(Iterable<FifoHostSemaphore> hosts) {
    long now = ticker.getAsLong();
    List<LedgerSlot> due = new ArrayList<>();
    for (FifoHostSemaphore host : hosts) {
      host.collectOverdue(now, thresholdNanos, !swept, lastSweep, due);
    }
    swept = true;
    lastSweep = now;
    for (LedgerSlot slot : due) {
      if (!slot.isReleased()) {
        report(slot, now - slot.acquiredAt, false, siteOf(slot));
      }
    }
  }

  private Throwable siteOf(LedgerSlot slot) {
    return (sites != null) ? sites.get(slot) : null;
  }

  private void report(LedgerSlot slot, long ageNanos, boolean reclaimed, Throwable site) {
    SlotLeak leak = new SlotLeak(
        slot.key(), slot.ledger.name, Duration.ofNanos(Math.max(0, ageNanos)), reclaimed, site);
    LOG.log(System.Logger.Level.WARNING, leak.toString(), site);
    if (listeners != null) {
      listeners.leakSuspected(leak);
    }
  }

  /** The cleaner action of a {@link TrackedSlot}; must not reference the handle. */
  private static final class Reclaimer implements Runnable {
    private final LedgerSlot slot;
    private final LeakTracker tracker;

    Reclaimer(LedgerSlot slot, LeakTracker tracker) {
      this.slot = slot;
      this.tracker = tracker;
    }

    @Override
    public void run() {
      if (slot.isReleased()) {
        return; // released properly (this runs from TrackedSlot.release), or its pool closed
      }
      Throwable site = tracker.siteOf(slot); // before release() forgets it
      long age = tracker.ticker.getAsLong() - slot.acquiredAt;
      if (slot.release()) {
        tracker.report(slot, age, true, site);
      }
    }
  }
}
