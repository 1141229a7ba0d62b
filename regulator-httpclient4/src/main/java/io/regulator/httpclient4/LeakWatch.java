package io.regulator.httpclient4;

import io.regulator.HostKey;
import io.regulator.Slot;
import io.regulator.SlotLeak;
import java.lang.ref.Cleaner;
import java.time.Duration;
import java.util.Arrays;
import java.util.Objects;
import java.util.function.Consumer;
import java.util.function.LongSupplier;

/**
 * Reclaims the slots of connections that became unreachable without being released, and reports
 * each such leak as a {@link SlotLeak} with {@code reclaimed == true}, as regulator-http's HttpClient 5
 * integration does. Its own copy, because that one is not exported to other modules and cuts only
 * HttpClient 5's frames from the acquisition site.
 *
 * <p>Thread-safe: immutable.
 */
final class LeakWatch {
  private static final System.Logger LOG = System.getLogger("io.regulator.httpclient4.leaks");
  /** One daemon thread for the whole module: leaks are rare, and their cleanup is quick. */
  private static final Cleaner CLEANER = Cleaner.create();
  /** This package: its frames are cut from the top of an acquisition site, but not its subpackages'. */
  private static final String PACKAGE = LeakWatch.class.getPackageName() + ".";
  /** HttpClient's and HttpCore's frames are cut too, so that the first is the application's call. */
  private static final String APACHE = "org.apache.http.";

  private final boolean recordSites;
  private final Consumer<SlotLeak> listener;
  private final LongSupplier ticker;

  LeakWatch(boolean recordSites, Consumer<SlotLeak> listener, LongSupplier ticker) {
    this.recordSites = recordSites;
    this.listener = Objects.requireNonNull(listener, "listener");
    this.ticker = Objects.requireNonNull(ticker, "ticker");
  }

  /** Logs each leak as a warning, with its acquisition site as the record's throwable. */
  static Consumer<SlotLeak> logging() {
    return leak -> LOG.log(System.Logger.Level.WARNING, leak.toString(), leak.acquisitionSite());
  }

  /** The time, in this watch's nanoseconds, to pass to {@link #report} as when a slot was taken. */
  long now() {
    return ticker.getAsLong();
  }

  /** Where a slot of {@code key} is being taken for {@code poolName}, if sites are recorded; else null. */
  Throwable acquisitionSite(HostKey key, String poolName) {
    return recordSites ? new AcquisitionSite(key, poolName) : null;
  }

  /** Runs {@code reclaim} once {@code holder} becomes phantom reachable; {@code reclaim} must not refer to it. */
  Cleaner.Cleanable watch(Object holder, Runnable reclaim) {
    return CLEANER.register(holder, reclaim);
  }

  /**
   * Reports that {@code slot}, taken at {@link #now()} time {@code acquiredAt} (at {@code site}, or
   * null), leaked and was reclaimed. What the listener throws is logged and goes no further: this
   * runs on the cleaner thread, which would drop it silently.
   */
  void report(Slot slot, long acquiredAt, Throwable site) {
    Duration age = Duration.ofNanos(Math.max(0, ticker.getAsLong() - acquiredAt));
    SlotLeak leak = new SlotLeak(slot.key(), slot.poolName(), age, true, site);
    try {
      listener.accept(leak);
    } catch (Throwable t) {
      LOG.log(System.Logger.Level.WARNING, "leak listener " + listener + " failed on: " + leak + "; ignored", t);
    }
  }

  /** A throwable that is never thrown, only logged with a leak report: where a slot was taken. */
  private static final class AcquisitionSite extends Throwable {
    private static final long serialVersionUID = 1L;

    AcquisitionSite(HostKey key, String poolName) {
      super("slot of " + key + " acquired by pool '" + poolName + "' here");
      StackTraceElement[] frames = getStackTrace();
      int first = 0;
      while (first < frames.length && internal(frames[first].getClassName())) {
        first++;
      }
      setStackTrace(Arrays.copyOfRange(frames, first, frames.length));
    }

    private static boolean internal(String className) {
      return className.startsWith(APACHE)
          || (className.startsWith(PACKAGE) && className.indexOf('.', PACKAGE.length()) < 0);
    }
  }
}
