package io.regulator.demo;

import io.regulator.RegulatedPool;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;

/**
 * One pool of the demo and the requests it keeps going: {@code workers} at a time until stopped or
 * shut down. Counts what became of them. Thread-safe.
 */
abstract class Load {
  /** Counts a final response: 200 is ok, anything else (a 429 after the last retry) failed. */
  final void count(int status) {
    if (status == 200) {
      ok.incrementAndGet();
    } else {
      failed.incrementAndGet();
    }
  }

  final String name;
  final RegulatedPool pool;
  final AtomicLong ok = new AtomicLong();
  final AtomicLong failed = new AtomicLong();
  /** Requests that failed because this pool was shut down under them. */
  final AtomicLong cut = new AtomicLong();
  volatile boolean stopping;
  volatile boolean shutDown;
  private CountDownLatch running;

  Load(String name, RegulatedPool pool) {
    this.name = name;
    this.pool = pool;
  }

  /** Starts {@code workers} request loops. */
  final void start(int workers) {
    running = new CountDownLatch(workers);
    for (int i = 0; i < workers; i++) {
      startWorker(running::countDown);
    }
  }

  /** Starts one loop that calls {@code done} when it ends. */
  abstract void startWorker(Runnable done);

  /** Closes the client with its requests in flight: the pool's shutdown hook. */
  final void shutdown() {
    shutDown = true;
    closeClient();
  }

  abstract void closeClient();

  final boolean awaitStopped(long millis) throws InterruptedException {
    return running.await(millis, TimeUnit.MILLISECONDS);
  }

  /** Counts a request that ended in {@code failure}. */
  final void failedWith(Throwable failure) {
    if (shutDown) {
      cut.incrementAndGet();
    } else {
      failed.incrementAndGet();
    }
  }

  final boolean keepGoing() {
    return !stopping && !shutDown;
  }

  String state() {
    return shutDown ? "shut down" : (stopping ? "stopping" : "running");
  }
}
