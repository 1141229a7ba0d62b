package io.regulator.zookeeper.internal;

import io.regulator.PoolClosedException;
import io.regulator.Slot;
import io.regulator.SlotTimeoutException;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;

/**
 * The fleet half of an {@code acquireAsync} whose local slot came: waits for the permit without a
 * thread. The caller's future completes on the regulator's async executor, never under a lock and
 * never on the thread that released the lease.
 *
 * <p>The request's CAS decides between the grant and the three ways out (the timer, the caller
 * completing or cancelling its future, the pool closing). If the caller's future was completed
 * first, completing it with the slot fails and the slot is released at once; if the request was
 * cancelled first, the local slot is given back here. Either way exactly one of "caller got the
 * slot" and "both halves went back" happens.
 *
 * <p>Thread-safe.
 */
final class AsyncLeaseWaiter {
  private final LeaseLedger ledger;
  private final LeaseRequest request;
  private final HostLeases host;
  private final Slot local;
  private final long startedAt;
  private final CompletableFuture<Slot> result;
  private volatile ScheduledFuture<?> timeout;

  AsyncLeaseWaiter(LeaseLedger ledger, LeaseRequest request, HostLeases host, Slot local,
      long startedAt, CompletableFuture<Slot> result) {
    this.ledger = ledger;
    this.request = request;
    this.host = host;
    this.local = local;
    this.startedAt = startedAt;
    this.result = result;
  }

  /** Arms the timeout and listens for the outcome and for the caller giving up first. */
  void start() {
    FleetRuntime runtime = ledger.runtime;
    if (request.state() == LeaseRequest.WAITING) {
      try {
        timeout = runtime.timer.schedule(
            this::timeOut, request.deadline - runtime.now(), TimeUnit.NANOSECONDS);
      } catch (RejectedExecutionException e) {
        giveUp(new PoolClosedException(ledger.name)); // the regulator closed under us
      }
    }
    result.whenComplete((slot, failure) -> {
      if (failure != null) {
        giveUp(null);
      }
    });
    request.done.whenComplete(this::decided);
  }

  private void timeOut() {
    long waited = ledger.runtime.now() - startedAt;
    if (leave()) {
      // Read after the caller left the queue, as the blocking acquire does: the figures are
      // those of the others, not counting this caller among the waiting.
      SlotTimeoutException failure = host.timeoutException(waited, ledger.localLimit(host.key));
      local.release();
      ledger.runtime.events.timedOut(host.key, ledger.name, failure.waited().toNanos());
      complete(() -> result.completeExceptionally(failure));
    }
  }

  /** Leaves the race if still in it, gives the local slot back and fails the caller's future. */
  private void giveUp(RuntimeException failure) {
    if (leave()) {
      local.release();
      if (failure != null) {
        complete(() -> result.completeExceptionally(failure));
      }
    }
  }

  /** Cancels the request and takes it out of the queue; false if it was decided first. */
  private boolean leave() {
    if (!request.cancel()) {
      return false; // decided: decided() handles it
    }
    host.leave(request);
    ledger.forget(request);
    disarm();
    return true;
  }

  private void decided(FleetPermit permit, Throwable failure) {
    ledger.forget(request);
    disarm();
    complete(() -> {
      if (failure != null) {
        local.release();
        result.completeExceptionally(failure);
        return;
      }
      LeasedSlot slot;
      try {
        slot = ledger.link(
            new LeasedSlot(ledger, host, local, permit), ledger.runtime.now() - startedAt);
      } catch (PoolClosedException e) {
        result.completeExceptionally(e); // link gave both halves back
        return;
      }
      if (!result.complete(slot)) {
        slot.release(); // the caller gave up at the instant of the grant
      }
    });
  }

  private void disarm() {
    ScheduledFuture<?> armed = timeout;
    if (armed != null) {
      armed.cancel(false);
    }
  }

  private void complete(Runnable completion) {
    try {
      ledger.runtime.settings.asyncExecutor().execute(completion);
    } catch (RejectedExecutionException e) {
      completion.run(); // a shut-down executor must not strand a slot
    }
  }
}
