package io.regulator.core.internal;

import io.regulator.HostKey;
import io.regulator.HostRegulator;
import io.regulator.RegulatedPool;
import io.regulator.Slot;
import io.regulator.SlotTimeoutException;
import io.regulator.core.HostRegulators;
import java.time.Duration;

/**
 * Runs one timed acquire that times out, once per JVM, on a private regulator that nothing
 * observes, before the first regulator is handed out. The first wait of a JVM otherwise loaded
 * its classes inside its own deadline (JFR's event registration, begun when a caller queues; the
 * time-out message, with its holders sorted by comparators and its string concatenation
 * bootstraps; the waiter's ending), so a 50 ms acquire gave up after 150 ms or more while later
 * ones were exact. Costs milliseconds (a few hundred when JFR loads) at the first {@code
 * build()} of a JVM, never at an acquire. If a JFR recording is on, it records this one wait of
 * the pool {@value #POOL}. Thread-safe: the class initializer runs once.
 */
final class WaitPathWarmup {
  static final String POOL = "regulator-warm-up";

  static {
    // The private regulator's own constructor calls ensureLoaded() again; on this thread, during
    // this initializer, that returns at once.
    HostKey key = HostKey.of("warm-up.invalid", 1);
    try (HostRegulator regulator = HostRegulators.builder().defaultLimit(1).build();
        RegulatedPool pool = regulator.newPool(POOL)) {
      // Held asynchronously: a slot taken that way names no holding thread, so the timed acquire
      // below waits and times out instead of being refused at once as a self-deadlock. A free
      // slot completes the future on this thread; no executor thread starts.
      Slot held = pool.acquireAsync(key, Duration.ZERO).join();
      try {
        pool.acquire(key, Duration.ofNanos(1)).close(); // times out: the one slot is held
      } finally {
        held.close();
      }
    } catch (SlotTimeoutException expected) {
      // the path being warmed
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt(); // the caller's interrupt stays for the caller
    }
  }

  private WaitPathWarmup() {}

  /** Loads the wait and time-out paths, the first time only. */
  static void ensureLoaded() {
    // The work is in the class initializer.
  }
}
