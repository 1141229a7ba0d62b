package io.regulator.okhttp;

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
 * Reclaims the slots of response bodies that became unreachable unclosed, and reports each such
 * leak as a {@link SlotLeak} with {@code reclaimed == true}. The same mechanism as regulator-http's
 * watch for HttpClient 5, kept here because that one is internal to its module.
 *
 * <p>Thread-safe: immutable.
 */
final class LeakWatch {
  private static final System.Logger LOG = System.getLogger("io.regulator.okhttp.leaks");
  /** One daemon thread for the whole module: leaks are rare, and their cleanup is quick. */
  private static final Cleaner CLEANER = Cleaner.create();

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

  long now() {
    return ticker.getAsLong();
  }

  /** Where a slot is being taken for {@code what} (method and URL), if sites are recorded; else null. */
  Throwable acquisitionSite(HostKey key, String poolName, String what) {
    return recordSites ? new AcquisitionSite(key, poolName, what) : null;
  }

  /** Runs {@code reclaim} once {@code holder} is phantom reachable; {@code reclaim} must not refer to it. */
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
      LOG.log(System.Logger.Level.WARNING,
          "leak listener " + listener + " failed on: " + leak + "; ignored", t);
    }
  }

  /**
   * A throwable that is never thrown, only logged: where a slot was taken. This module's, OkHttp's
   * and Okio's frames are cut from the top, so the first frame, which {@link SlotLeak#toString()}
   * names, is the application's call into OkHttp ({@code execute()}). An enqueued call takes its
   * slot on a dispatcher thread, where no application frame is left; the message names the request.
   */
  private static final class AcquisitionSite extends Throwable {
    private static final long serialVersionUID = 1L;
    private static final String[] INTERNAL = {
      AcquisitionSite.class.getName(), LeakWatch.class.getName(), SlotInterceptor.class.getName(),
      RetryPolicyInterceptor.class.getName(), "okhttp3.", "okio."
    };

    AcquisitionSite(HostKey key, String poolName, String what) {
      super("slot of " + key + " acquired by pool '" + poolName + "' for " + what + " here");
      StackTraceElement[] frames = getStackTrace();
      int first = 0;
      while (first < frames.length && internal(frames[first].getClassName())) {
        first++;
      }
      setStackTrace(Arrays.copyOfRange(frames, first, frames.length));
    }

    private static boolean internal(String className) {
      for (String prefix : INTERNAL) {
        if (className.startsWith(prefix)) {
          return true;
        }
      }
      return false;
    }
  }
}
