package io.regulator.tests;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * Runs actions at the same instant, round after round, on threads of its own. The threads
 * meet at a spin barrier rather than a blocking one, so neither pays a wake-up latency that would
 * decide the race the same way every round.
 *
 * <p>Not thread-safe: one test thread drives it.
 */
final class Race implements AutoCloseable {
  private final ExecutorService threads = Executors.newCachedThreadPool(runnable -> {
    Thread thread = new Thread(runnable, "race");
    thread.setDaemon(true);
    return thread;
  });

  /** An action of one side of the race. */
  @FunctionalInterface
  interface Action {
    void run() throws Exception;
  }

  /** Runs the actions together, each on its own thread, and waits for all of them. */
  void run(Action... actions) throws InterruptedException {
    AtomicInteger arrived = new AtomicInteger();
    List<Future<?>> sides = new ArrayList<>();
    for (Action action : actions) {
      sides.add(threads.submit(side(arrived, actions.length, action)));
    }
    for (Future<?> side : sides) {
      join(side);
    }
  }

  private static Callable<Void> side(AtomicInteger arrived, int parties, Action action) {
    return () -> {
      arrived.incrementAndGet();
      int spins = 0;
      while (arrived.get() < parties) {
        if (++spins % 1024 == 0) {
          Thread.yield(); // the others may not have a core yet
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
      throw new AssertionError("a side of the race failed: " + e.getCause(), e.getCause());
    } catch (TimeoutException e) {
      throw new AssertionError("a side of the race is stuck", e);
    }
  }

  @Override
  public void close() {
    threads.shutdownNow();
  }
}
