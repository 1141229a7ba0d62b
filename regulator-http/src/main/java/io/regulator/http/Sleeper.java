package io.regulator.http;

import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;

/**
 * Waits out a retry's backoff. Both the blocking and the asynchronous integrations wait through
 * it, so a test can hold a retry in its backoff for as long as it needs, and a platform can use its
 * own scheduler.
 *
 * <p>Implementations must be thread-safe.
 */
@FunctionalInterface
public interface Sleeper {

  /**
   * Returns a future that completes once {@code delay} has passed. Cancelling it may end the wait
   * early; the retry then gives up.
   */
  CompletableFuture<Void> sleep(Duration delay);

  /** Waits on the JDK's shared delayed executor: no thread is parked while the time passes. */
  static Sleeper system() {
    return delay -> {
      if (delay.isZero() || delay.isNegative()) {
        return CompletableFuture.completedFuture(null);
      }
      return CompletableFuture.runAsync(
          () -> {}, CompletableFuture.delayedExecutor(delay.toNanos(), TimeUnit.NANOSECONDS, Runnable::run));
    };
  }

  /**
   * Blocks the calling thread until {@code sleeper} finished waiting {@code delay}.
   *
   * @throws InterruptedException if the thread is interrupted; the wait is cancelled
   */
  static void await(Sleeper sleeper, Duration delay) throws InterruptedException {
    CompletableFuture<Void> wait = sleeper.sleep(delay);
    try {
      wait.get();
    } catch (InterruptedException e) {
      wait.cancel(false);
      throw e;
    } catch (ExecutionException e) {
      throw new IllegalStateException("sleeper failed: " + e.getCause(), e.getCause());
    }
  }
}
