package io.regulator.core;

import java.util.concurrent.CyclicBarrier;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;

/** Two actions started together on two threads, for the race tests of this package. */
final class Races {
  private Races() {}

  /**
   * Runs {@code first} here and {@code second} on a new thread, both released by one barrier, and
   * rethrows what the other thread threw.
   */
  static void race(Runnable first, Runnable second) throws Exception {
    var barrier = new CyclicBarrier(2);
    var failure = new AtomicReference<Throwable>();
    Thread other = new Thread(() -> {
      try {
        barrier.await(10, TimeUnit.SECONDS);
        second.run();
      } catch (Throwable t) {
        failure.set(t);
      }
    });
    other.start();
    barrier.await(10, TimeUnit.SECONDS);
    first.run();
    other.join(10_000);
    if (failure.get() != null) {
      throw new AssertionError(failure.get());
    }
  }
}
