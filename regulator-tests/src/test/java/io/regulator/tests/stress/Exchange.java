package io.regulator.tests.stress;

import java.util.concurrent.locks.LockSupport;

/**
 * One request as both its client and the server see it: the single place that decides whether
 * the request counts as in progress at the server. It counts from {@link #start} until {@link
 * #finish} or {@link #abandon}, whichever comes first; a request that reaches the server after its
 * client abandoned it never counts. State changes happen under the host's lock, together with the
 * count they move.
 *
 * <p>Thread-safe.
 */
final class Exchange {
  private static final int NEW = 0;
  private static final int RUNNING = 1;
  private static final int DONE = 2;
  private static final int ABANDONED = 3;

  final long id;
  final Fault fault;
  final long delayNanos;
  private final HostWatch host;

  /** Guarded by host's lock. */
  private int state = NEW;

  /** The handler thread while RUNNING, so that an abandon can wake a hanging handler. */
  private volatile Thread handler;

  Exchange(long id, Fault fault, long delayNanos, HostWatch host) {
    this.id = id;
    this.fault = fault;
    this.delayNanos = delayNanos;
    this.host = host;
  }

  /** The server starts handling it; false if its client abandoned it already (or it is a retry). */
  boolean start() {
    boolean[] started = new boolean[1];
    handler = Thread.currentThread();
    host.locked(() -> {
      if (state == NEW) {
        state = RUNNING;
        host.serverStarted();
        started[0] = true;
      }
    });
    return started[0];
  }

  /** The server decided its answer; false if the client abandoned the request first. */
  boolean finish() {
    boolean[] finished = new boolean[1];
    host.locked(() -> {
      if (state == RUNNING) {
        state = DONE;
        host.serverEnded();
        finished[0] = true;
      }
    });
    return finished[0];
  }

  /** The client gave up on it, or got its answer; idempotent. Wakes a hanging handler. */
  void abandon() {
    host.locked(() -> {
      if (state == RUNNING) {
        host.serverEnded();
      }
      if (state == NEW || state == RUNNING) {
        state = ABANDONED;
      }
    });
    Thread thread = handler;
    if (thread != null) {
      LockSupport.unpark(thread);
    }
  }

  /**
   * Fault injection for {@link Fault#HANG}: parks the handler until the client abandons the request
   * or {@code boundNanos} pass. Parking here delays a response; it orders nothing in the test.
   */
  void hang(long boundNanos) {
    long deadline = System.nanoTime() + boundNanos;
    while (running()) {
      long left = deadline - System.nanoTime();
      if (left <= 0) {
        return;
      }
      LockSupport.parkNanos(this, left);
    }
  }

  private boolean running() {
    boolean[] running = new boolean[1];
    host.locked(() -> running[0] = state == RUNNING);
    return running[0];
  }
}
