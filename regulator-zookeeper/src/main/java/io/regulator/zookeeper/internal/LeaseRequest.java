package io.regulator.zookeeper.internal;

import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.util.concurrent.CompletableFuture;

/**
 * A caller that holds its local slot and waits for a fleet permit. Its state leaves {@code
 * WAITING} exactly once, by a compare-and-set, to granted (a lease arrived from ZooKeeper or from a
 * releasing caller, or a local-share grant), cancelled (its own timeout, interrupt or future
 * cancel), or failed (its pool closed, or ZooKeeper became unavailable under {@code FAIL_FAST}).
 * Whoever wins the CAS decides; the losers leave the request alone. That single CAS is why a lease
 * granted at the instant of a timeout is neither lost nor given twice.
 *
 * <p>{@link #done} is completed by the winner of a grant or fail after it released every lock, to
 * wake the caller; a cancelling caller needs no wake-up. Thread-safe: the state is CAS-only, the
 * queue membership belongs to the host's lock.
 */
final class LeaseRequest {
  static final int WAITING = 0;
  static final int GRANTED = 1;
  static final int CANCELLED = 2;
  static final int FAILED = 3;

  private static final VarHandle STATE;

  static {
    try {
      STATE = MethodHandles.lookup().findVarHandle(LeaseRequest.class, "state", int.class);
    } catch (ReflectiveOperationException e) {
      throw new ExceptionInInitializerError(e);
    }
  }

  /** When the caller gives up, on the regulator's ticker. */
  final long deadline;

  final CompletableFuture<FleetPermit> done = new CompletableFuture<>();

  @SuppressWarnings("unused") // through STATE
  private volatile int state;

  /** Written before the CAS to {@code GRANTED}, read only after seeing that state. */
  private FleetPermit permit;

  /** Written before the CAS to {@code FAILED}, read only after seeing that state. */
  private RuntimeException failure;

  /** The host that queued this request; set before it is queued. */
  volatile HostLeases host;

  LeaseRequest(long deadline) {
    this.deadline = deadline;
  }

  int state() {
    return (int) STATE.getVolatile(this);
  }

  /** Hands the request its permit; false if it already left or failed. */
  boolean grant(FleetPermit granted) {
    permit = granted;
    return STATE.compareAndSet(this, WAITING, GRANTED);
  }

  /** Fails the request; false if it was granted or cancelled first. */
  boolean fail(RuntimeException cause) {
    failure = cause;
    return STATE.compareAndSet(this, WAITING, FAILED);
  }

  /** Takes the request out of the race; false if it was granted or failed first. */
  boolean cancel() {
    return STATE.compareAndSet(this, WAITING, CANCELLED);
  }

  FleetPermit permit() {
    return permit;
  }

  RuntimeException failure() {
    return failure;
  }

  /** Wakes the caller with the outcome; called by whoever granted or failed it, lock-free. */
  void signal() {
    int now = state();
    if (now == GRANTED) {
      done.complete(permit);
    } else if (now == FAILED) {
      done.completeExceptionally(failure);
    }
  }
}
