package io.regulator.core.internal;

import io.regulator.PoolClosedException;
import io.regulator.Slot;
import io.regulator.SlotTimeoutException;
import java.lang.invoke.MethodHandle;
import java.lang.invoke.MethodHandles;
import java.lang.invoke.MethodType;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.locks.LockSupport;
import java.util.function.LongSupplier;
import java.util.function.Supplier;

/**
 * A thread blocked in {@code acquire}: it parks until a releasing thread hands it a slot and
 * unparks it, or until its deadline or an interrupt. Parking uses {@link LockSupport}, so a
 * virtual thread waiting here unmounts instead of pinning its carrier.
 *
 * <p>Confined to its thread, but for {@link #wake()}, which any thread may call.
 */
final class ParkingWaiter extends SlotWaiter {
  /** {@code Thread.isVirtual()} on JDK 21 and later, null before (no virtual threads there). */
  private static final MethodHandle IS_VIRTUAL = findIsVirtual();

  private final Thread thread;
  private final LongSupplier ticker;

  /** When it times out, on {@code ticker}. */
  final long deadline;

  /**
   * The timer of a sweep that may wake it at its deadline ({@link DeadlineSweep}), or null: then
   * it always parks timed. Only a virtual thread with a timeout long enough is left to a sweep: a
   * platform thread's timed park arms no task (the kernel keeps its timeout), and on this
   * project's VMs it even woke sooner (handoff p50 3.9 µs timed, 13.3 µs untimed, as the peers
   * that park untimed; docs/benchmarks.md).
   */
  final ScheduledExecutorService timer;

  /**
   * @param timer where a far deadline's sweep runs, or null; read only if the timeout is long
   *     enough ({@link DeadlineSweep#MIN_TIMEOUT_NANOS})
   */
  ParkingWaiter(FifoHostSemaphore semaphore, PoolLedger ledger, LongSupplier ticker,
      long timeoutNanos, Supplier<ScheduledExecutorService> timer) {
    super(semaphore, ledger, ticker.getAsLong());
    this.thread = Thread.currentThread();
    this.ticker = ticker;
    this.deadline = enqueuedAt + timeoutNanos; // timeouts are capped far below overflow
    this.timer = (timeoutNanos >= DeadlineSweep.MIN_TIMEOUT_NANOS && isVirtual(thread))
        ? timer.get()
        : null;
  }

  private static MethodHandle findIsVirtual() {
    try {
      return MethodHandles.publicLookup()
          .findVirtual(Thread.class, "isVirtual", MethodType.methodType(boolean.class));
    } catch (NoSuchMethodException | IllegalAccessException beforeJdk21) {
      return null;
    }
  }

  /** Whether {@code thread} is a virtual thread. */
  static boolean isVirtual(Thread thread) {
    if (IS_VIRTUAL == null) {
      return false;
    }
    try {
      return (boolean) IS_VIRTUAL.invokeExact(thread);
    } catch (Throwable e) {
      throw new AssertionError("Thread.isVirtual() failed", e);
    }
  }

  /** Waits for the outcome; see {@code RegulatedPool.acquire} for what each ending throws. */
  Slot await() throws InterruptedException {
    boolean interrupted = false;
    while (state() == WAITING) {
      long remaining = deadline - ticker.getAsLong();
      if (remaining <= 0) {
        break;
      }
      if (timer != null && semaphore.sweepsBy(deadline)) {
        LockSupport.park(this); // the host's sweep wakes it by its deadline: no timer task
      } else {
        LockSupport.parkNanos(this, remaining);
      }
      if (Thread.interrupted()) {
        interrupted = true;
        break;
      }
    }
    if (cancel()) {
      semaphore.leave(this);
      long waited = ticker.getAsLong() - enqueuedAt;
      if (interrupted) {
        finish(Outcome.INTERRUPTED, waited);
        throw new InterruptedException();
      }
      SlotTimeoutException timeout = semaphore.timeoutException(waited);
      finish(Outcome.TIMEOUT, waited);
      throw timeout;
    }
    // Another thread decided first; what it decided happened before our cancel attempt.
    if (state() == GRANTED) {
      // The grant won the race, so the acquire counts as granted, even if we are leaving.
      Slot handed = handOut(null);
      if (interrupted) {
        handed.release(); // the caller is leaving: the slot goes on to the next waiter
        throw new InterruptedException();
      }
      return handed;
    }
    finish(Outcome.CLOSED, ticker.getAsLong() - enqueuedAt);
    ledger.awaitReclaimed(); // a spurious wake-up may see FAILED before the closer is done
    if (interrupted) {
      thread.interrupt();
    }
    throw new PoolClosedException(ledger.name);
  }

  @Override
  Thread thread() {
    return thread;
  }

  @Override
  void wake() {
    LockSupport.unpark(thread);
  }
}
