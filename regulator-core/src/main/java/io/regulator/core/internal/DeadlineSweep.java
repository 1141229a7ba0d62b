package io.regulator.core.internal;

import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;

/**
 * One host's deadline timer: a task on the regulator's timer that, at {@link #deadline}, wakes the
 * host's queued waiters whose deadlines have passed and arms the next sweep for the earliest of
 * the rest ({@link FifoHostSemaphore#sweepExpired}).
 *
 * <p>Why: a virtual thread waiting with a far deadline that a sweep will reach parks untimed
 * ({@link ParkingWaiter#await}); platform threads keep their own timed park, which arms no task. On a virtual thread every timed park schedules a timer task in the JDK's
 * scheduler and cancels it when the park ends early, as it does at every handoff: with 64 virtual
 * threads on a host of limit 8 that was a fifth of the samples, and parking untimed raised the
 * throughput by 40% (docs/benchmarks.md). With one timeout for every acquire, the first waiter's
 * deadline is the earliest of the queue's, so one sweep per host covers every waiter queued
 * after it until then: a waiter costs one volatile read, not a timer task.
 *
 * <p>The invariant, kept under the host's lock: while the host's {@code sweep} is non-null it is
 * armed (or running), and every queued waiter that parks untimed has a deadline at or after its
 * {@link #deadline}. A waiter with an earlier deadline arms a new, earlier sweep when it queues;
 * one the timer refuses (the regulator closed, which fails every waiter) arms nothing, and its
 * waiter parks timed. A superseded sweep is cancelled, and should it run anyway it finds itself no
 * longer the host's and does nothing.
 *
 * <p>Holds its host weakly ({@link HostTable.HostRef}): a host whose waiters are gone is not kept
 * alive until its sweep's deadline.
 */
final class DeadlineSweep implements Runnable {
  /**
   * The shortest timeout left to a sweep: a waiter with less parks timed on its own, so that short
   * timeouts keep the precision of the thread's own timed park.
   */
  static final long MIN_TIMEOUT_NANOS = 10_000_000L;

  final long deadline;
  final ScheduledExecutorService timer;
  private final HostTable.HostRef host;

  /** The timer's task, once armed; cancelled (and so removed) if an earlier sweep supersedes it. */
  private volatile ScheduledFuture<?> scheduled;

  DeadlineSweep(HostTable.HostRef host, long deadline, ScheduledExecutorService timer) {
    this.host = host;
    this.deadline = deadline;
    this.timer = timer;
  }

  /** Schedules this sweep at its deadline, by {@code now} on the host's ticker; false if refused. */
  boolean arm(long now) {
    try {
      scheduled = timer.schedule(this, Math.max(0, deadline - now), TimeUnit.NANOSECONDS);
      return true;
    } catch (RejectedExecutionException shutDown) {
      return false;
    }
  }

  /** Takes a superseded sweep off the timer, so that its task does not wait out its deadline. */
  void cancel() {
    ScheduledFuture<?> task = scheduled;
    if (task != null) {
      task.cancel(false);
    }
  }

  @Override
  public void run() {
    FifoHostSemaphore semaphore = host.get();
    if (semaphore != null) {
      semaphore.sweepExpired(this);
    }
  }
}
