package io.regulator.http.internal;

import io.regulator.Slot;
import io.regulator.http.SlotLeak;
import java.lang.ref.Cleaner;
import java.util.Objects;
import java.util.Optional;
import java.util.function.Consumer;

/**
 * Reclaims the slots of holders that became unreachable without giving them back, and reports
 * each such leak. Thread-safe.
 */
public final class LeakWatch {
  private static final System.Logger LOG = System.getLogger("io.regulator.http.leaks");
  /** One daemon thread for the whole module: leaks are rare, and their cleanup is quick. */
  private static final Cleaner CLEANER = Cleaner.create();

  private final boolean recordOrigins;
  private final Consumer<SlotLeak> listener;

  public LeakWatch(boolean recordOrigins, Consumer<SlotLeak> listener) {
    this.recordOrigins = recordOrigins;
    this.listener = Objects.requireNonNull(listener, "listener");
  }

  /** Logs each leak as a warning, with the acquisition site when it was recorded. */
  public static Consumer<SlotLeak> logging() {
    return leak -> LOG.log(System.Logger.Level.WARNING, leak.toString(), leak.acquiredAt().orElse(null));
  }

  /** Where a slot is being acquired, when origins are recorded; else {@code null}. */
  public Throwable origin() {
    return recordOrigins ? new Throwable("slot acquired here") : null;
  }

  /**
   * Runs {@code reclaim} once {@code holder} becomes phantom reachable. {@code reclaim} must not
   * refer to {@code holder}, or it never will.
   */
  public Cleaner.Cleanable watch(Object holder, Runnable reclaim) {
    return CLEANER.register(holder, reclaim);
  }

  /** Reports that {@code slot}, taken at {@code origin}, leaked and was reclaimed. */
  public void report(Slot slot, Throwable origin) {
    SlotLeak leak = new SlotLeak(slot.key(), slot.poolName(), Optional.ofNullable(origin));
    try {
      listener.accept(leak);
    } catch (RuntimeException e) {
      LOG.log(System.Logger.Level.WARNING, "leak listener failed on: " + leak, e);
    }
  }
}
