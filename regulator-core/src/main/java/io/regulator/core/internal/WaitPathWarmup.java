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
      // The one slot is taken on a thread of its own: a thread that holds every slot of a host
      // and asks for another is refused at once as a self-deadlock, before it waits.
      // Not a lambda: that would be a method of this class, which the other thread could not run
      // before this initializer ends.
      Holder holder = new Holder(pool, key);
      holder.start();
      holder.join();
      try {
        pool.acquire(key, Duration.ofNanos(1)).close(); // times out: the one slot is held
      } finally {
        holder.held.close();
      }
    } catch (SlotTimeoutException expected) {
      // the path being warmed
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt(); // the caller's interrupt stays for the caller
    }
  }

  private WaitPathWarmup() {}

  /** Takes the warm-up host's one slot on a thread of its own. */
  private static final class Holder extends Thread {
    private final RegulatedPool pool;
    private final HostKey key;
    volatile Slot held;

    Holder(RegulatedPool pool, HostKey key) {
      super(POOL);
      this.pool = pool;
      this.key = key;
    }

    @Override
    public void run() {
      held = pool.tryAcquire(key).orElseThrow();
    }
  }

  /** Loads the wait and time-out paths, the first time only. */
  static void ensureLoaded() {
    // The work is in the class initializer.
  }
}
