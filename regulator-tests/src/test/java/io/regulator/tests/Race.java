package io.regulator.tests;

import java.util.concurrent.Callable;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * Runs two actions at the same instant, round after round, on two threads of its own. The threads
 * meet at a spin barrier rather than a blocking one, so neither pays a wake-up latency that would
 * decide the race the same way every round.
 *
 * <p>Not thread-safe: one test thread drives it.
 */
final class Race implements AutoCloseable {
  private final ExecutorService threads = Executors.newFixedThreadPool(2, runnable -> {
    Thread thread = new Thread(runnable, "race");
    thread.setDaemon(true);
    return thread;
  });

  /** An action of one side of the race. */
  @FunctionalInterface
  interface Action {
    void run() throws Exception;
  }

  /** Runs both actions together and waits for both, rethrowing the first failure. */
  void run(Action first, Action second) throws InterruptedException {
    AtomicInteger arrived = new AtomicInteger();
    Future<?> one = threads.submit(side(arrived, first));
    Future<?> two = threads.submit(side(arrived, second));
    join(one);
    join(two);
  }

  private static Callable<Void> side(AtomicInteger arrived, Action action) {
    return () -> {
      arrived.incrementAndGet();
      int spins = 0;
      while (arrived.get() < 2) {
        if (++spins % 1024 == 0) {
          Thread.yield(); // the other side may not have a core yet
        } else {
          Thread.onSpinWait();
        }
      }
      action.run();
      return null;
    };
  }

  private static void join(Future<?> side) throws InterruptedException {
    try {
      side.get(Waits.PATIENCE.toSeconds(), TimeUnit.SECONDS);
    } catch (ExecutionException e) {
      if (e.getCause() instanceof Error) {
        throw (Error) e.getCause();
      }
      throw new AssertionError("a side of the race failed", e.getCause());
    } catch (TimeoutException e) {
      throw new AssertionError("a side of the race is stuck", e);
    }
  }

  @Override
  public void close() {
    threads.shutdownNow();
  }
}
