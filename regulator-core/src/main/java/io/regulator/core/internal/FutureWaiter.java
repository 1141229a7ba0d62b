package io.regulator.core.internal;

import io.regulator.PoolClosedException;
import io.regulator.Slot;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Executor;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import java.util.function.BiConsumer;
import java.util.function.LongSupplier;

/**
 * A caller of {@code acquireAsync} that waits without a thread. Its future completes on the
 * regulator's async executor, never under a lock and never on the thread that released the slot,
 * so a caller's continuation cannot run inside another caller's {@code release()}.
 *
 * <p>If the caller cancels or completes the future first, the waiter leaves the queue; if a slot
 * was granted at that instant, completing the future fails and the slot is released at once.
 *
 * <p>Thread-safe.
 */
final class FutureWaiter extends SlotWaiter implements BiConsumer<Slot, Throwable> {
  final CompletableFuture<Slot> future = new CompletableFuture<>();
  private final Executor executor;
  private final LongSupplier ticker;
  private volatile ScheduledFuture<?> timeout;

  /** Keeps the pool's handle reachable while this acquire queues, as a blocked thread would. */
  @SuppressWarnings({"unused", "FieldCanBeLocal"})
  private final Object pool;

  /** Where acquireAsync was called, if sites are recorded: the slot is handed over elsewhere. */
  private final Throwable site;

  FutureWaiter(FifoHostSemaphore semaphore, PoolLedger ledger, Object pool, Executor executor,
      LongSupplier ticker) {
    super(semaphore, ledger, ticker.getAsLong());
    this.pool = pool;
    this.executor = executor;
    this.ticker = ticker;
    this.site = ledger.observer.site(semaphore.key, ledger);
  }

  /** Arms the timeout and listens for the caller completing the future first. */
  void start(ScheduledExecutorService timer, long timeoutNanos) {
    future.whenComplete(this);
    try {
      timeout = timer.schedule(this::timeOut, timeoutNanos, TimeUnit.NANOSECONDS);
    } catch (RejectedExecutionException e) {
      // The regulator closed under us, and with it this waiter's pool.
      if (cancel()) {
        semaphore.leave(this);
        finish(Outcome.CLOSED, ticker.getAsLong() - enqueuedAt);
        complete(() -> future.completeExceptionally(new PoolClosedException(ledger.name)));
      }
      return;
    }
    if (state() != WAITING) {
      disarm(); // granted or failed before the timer was armed
    }
  }

  private void timeOut() {
    if (cancel()) {
      semaphore.leave(this);
      long waited = ticker.getAsLong() - enqueuedAt;
      var exception = semaphore.timeoutException(waited);
      finish(Outcome.TIMEOUT, waited);
      complete(() -> future.completeExceptionally(exception));
    }
  }

  /** The future completed, by us or by its caller; if by the caller, leave the queue. */
  @Override
  public void accept(Slot value, Throwable failure) {
    if (cancel()) {
      semaphore.leave(this);
      disarm();
      finish(Outcome.CANCELLED, ticker.getAsLong() - enqueuedAt);
    }
  }

  @Override
  void wake() {
    disarm();
    if (state() == GRANTED) {
      complete(() -> {
        // The grant won the race, so the acquire counts as granted, even if the caller left.
        Slot handed = handOut(site);
        if (!future.complete(handed)) {
          handed.release(); // the caller cancelled at the instant of the grant
        }
      });
    } else {
      complete(() -> {
        finish(Outcome.CLOSED, ticker.getAsLong() - enqueuedAt);
        future.completeExceptionally(new PoolClosedException(ledger.name));
      });
    }
  }

  private void disarm() {
    ScheduledFuture<?> armed = timeout;
    if (armed != null) {
      armed.cancel(false);
    }
  }

  private void complete(Runnable completion) {
    try {
      executor.execute(completion);
    } catch (RejectedExecutionException e) {
      completion.run(); // a shut-down executor must not strand a slot
    }
  }

  @Override
  Thread thread() {
    return null; // no thread waits, and the slot is commonly given back from another one
  }
}
