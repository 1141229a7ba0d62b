package io.regulator.http.internal;

import io.regulator.HostKey;
import io.regulator.Slot;
import io.regulator.SlotLeak;
import java.lang.ref.Cleaner;
import java.time.Duration;
import java.util.Objects;
import java.util.function.Consumer;
import java.util.function.LongSupplier;

/**
 * Reclaims the slots of holders that became unreachable without giving them back, and reports
 * each such leak as a {@link SlotLeak} with {@code reclaimed == true}. Thread-safe: immutable.
 */
public final class LeakWatch {
  private static final System.Logger LOG = System.getLogger("io.regulator.http.leaks");
  /** One daemon thread for the whole module: leaks are rare, and their cleanup is quick. */
  private static final Cleaner CLEANER = Cleaner.create();

  private final boolean recordSites;
  private final Consumer<SlotLeak> listener;
  private final LongSupplier ticker;

  /**
   * Records acquisition sites if {@code recordSites}, reports to {@code listener}, and reads ages
   * off {@code ticker} (nanoseconds).
   */
  public LeakWatch(boolean recordSites, Consumer<SlotLeak> listener, LongSupplier ticker) {
    this.recordSites = recordSites;
    this.listener = Objects.requireNonNull(listener, "listener");
    this.ticker = Objects.requireNonNull(ticker, "ticker");
  }

  /** Logs each leak as a warning, with its acquisition site as the record's throwable. */
  public static Consumer<SlotLeak> logging() {
    return leak -> LOG.log(System.Logger.Level.WARNING, leak.toString(), leak.acquisitionSite());
  }

  /** The time, in this watch's nanoseconds, to pass to {@link #report} as when a slot was taken. */
  public long now() {
    return ticker.getAsLong();
  }

  /**
   * Where a slot of {@code key} is being taken for {@code poolName}, if sites are recorded; else
   * null.
   */
  public Throwable acquisitionSite(HostKey key, String poolName) {
    return recordSites ? new AcquisitionSite(key, poolName) : null;
  }

  /**
   * Runs {@code reclaim} once {@code holder} becomes phantom reachable. {@code reclaim} must not
   * refer to {@code holder}, or it never will.
   */
  public Cleaner.Cleanable watch(Object holder, Runnable reclaim) {
    return CLEANER.register(holder, reclaim);
  }

  /**
   * Reports that {@code slot}, taken at {@link #now()} time {@code acquiredAt} (at {@code site}, or
   * null), leaked and was reclaimed. Whatever the listener throws is logged and goes no further:
   * this runs on the cleaner thread, which would drop it silently.
   */
  public void report(Slot slot, long acquiredAt, Throwable site) {
    Duration age = Duration.ofNanos(Math.max(0, ticker.getAsLong() - acquiredAt));
    SlotLeak leak = new SlotLeak(slot.key(), slot.poolName(), age, true, site);
    try {
      listener.accept(leak);
    } catch (Throwable t) {
      LOG.log(System.Logger.Level.WARNING,
          "leak listener " + listener + " failed on: " + leak + "; ignored", t);
    }
  }
}
