package io.regulator.core.internal;

import io.regulator.PoolClosedException;
import io.regulator.Slot;
import io.regulator.SlotTimeoutException;
import java.util.concurrent.locks.LockSupport;
import java.util.function.LongSupplier;

/**
 * A thread blocked in {@code acquire}: it parks until a releasing thread hands it a slot and
 * unparks it, or until its deadline or an interrupt. Parking uses {@link LockSupport}, so a
 * virtual thread waiting here unmounts instead of pinning its carrier.
 *
 * <p>Confined to its thread, but for {@link #wake()}, which any thread may call.
 */
final class ParkingWaiter extends SlotWaiter {
  private final Thread thread;
  private final LongSupplier ticker;

  ParkingWaiter(FifoHostSemaphore semaphore, PoolLedger ledger, LongSupplier ticker) {
    super(semaphore, ledger, ticker.getAsLong());
    this.thread = Thread.currentThread();
    this.ticker = ticker;
  }

  /** Waits for the outcome; see {@code RegulatedPool.acquire} for what each ending throws. */
  Slot await(long timeoutNanos) throws InterruptedException {
    boolean interrupted = false;
    while (state() == WAITING) {
      long remaining = timeoutNanos - (ticker.getAsLong() - enqueuedAt);
      if (remaining <= 0) {
        break;
      }
      LockSupport.parkNanos(this, remaining);
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
