package io.regulator.zookeeper.internal;

import io.regulator.HostKey;
import io.regulator.PoolClosedException;
import io.regulator.RegulatedPool;
import io.regulator.Slot;
import io.regulator.SlotTimeoutException;
import io.regulator.zookeeper.FleetState;
import io.regulator.zookeeper.FleetUnavailableException;
import io.regulator.zookeeper.WhenUnavailable;
import java.lang.ref.Reference;
import java.time.Duration;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicBoolean;

/**
 * One fleet pool's state: its local pool, its slots and its callers waiting for a fleet permit,
 * so that closing the pool gives back both halves of every slot and fails every waiter.
 *
 * <p>Every acquire takes the local slot first, then the fleet permit, and gives the local slot
 * back if the permit does not come (timeout, interrupt, close, ZooKeeper unavailable). Taking the
 * local slot first bounds this node's fleet requests by its local cap, and keeps a caller the
 * local cap refuses from occupying a place in the fleet's queue.
 *
 * <p>Thread-safe. Close races safely with acquires: an acquire registers its request or slot
 * before it checks {@code closed}, and close sets {@code closed} before it walks them, so each is
 * either refused by the acquire or failed/reclaimed by the close (and the CAS on the request or
 * slot makes sure it is only once).
 */
final class LeaseLedger {
  final String name;
  final FleetRuntime runtime;
  private final RegulatedPool local;
  private final LeasedHostRegulator regulator;
  private final AtomicBoolean closed = new AtomicBoolean();
  private final Set<LeasedSlot> slots = ConcurrentHashMap.newKeySet();
  private final Set<LeaseRequest> pending = ConcurrentHashMap.newKeySet();

  LeaseLedger(String name, RegulatedPool local, LeasedHostRegulator regulator) {
    this.name = name;
    this.local = local;
    this.regulator = regulator;
    this.runtime = regulator.runtime;
  }

  Slot acquire(HostKey key, long timeoutNanos) throws InterruptedException {
    long start = runtime.now();
    if (Thread.interrupted()) {
      throw new InterruptedException();
    }
    requireOpen();
    refuseIfUnavailable(key);
    try {
      if (timeoutNanos == 0) {
        return acquireNow(key, local.acquire(key, Duration.ZERO)); // the local cap's own timeout
      }
      return acquireBoth(key, timeoutNanos, start);
    } catch (SlotTimeoutException e) {
      // Either cap's wait ran out; reported after the local slot, if any, went back.
      runtime.events.timedOut(key, name, (timeoutNanos == 0) ? 0 : runtime.now() - start);
      throw e;
    }
  }

  private Slot acquireBoth(HostKey key, long timeoutNanos, long start)
      throws InterruptedException {
    Slot localSlot = local.acquire(key, Duration.ofNanos(timeoutNanos));
    boolean done = false;
    try {
      Slot slot = awaitPermit(key, localSlot, start, start + timeoutNanos);
      done = true;
      return slot;
    } finally {
      if (!done) {
        localSlot.release();
      }
    }
  }

  private Slot awaitPermit(HostKey key, Slot localSlot, long start, long deadline)
      throws InterruptedException {
    LeaseRequest request = new LeaseRequest(deadline);
    pending.add(request);
    try {
      requireOpen();
      HostLeases host = admit(key, request);
      FleetPermit permit = await(request, host, start);
      return link(new LeasedSlot(this, host, localSlot, permit), runtime.now() - start);
    } finally {
      pending.remove(request);
    }
  }

  private HostLeases admit(HostKey key, LeaseRequest request) {
    while (true) {
      HostLeases host = regulator.table.get(key);
      if (host.admit(request) == HostLeases.Admission.ADMITTED) {
        return host;
      }
    }
  }

  /** Parks until the request is decided or its deadline; see {@code RegulatedPool.acquire}. */
  private FleetPermit await(LeaseRequest request, HostLeases host, long start)
      throws InterruptedException {
    boolean interrupted = false;
    while (request.state() == LeaseRequest.WAITING) {
      long remaining = request.deadline - runtime.now();
      if (remaining <= 0) {
        break;
      }
      try {
        request.done.get(remaining, TimeUnit.NANOSECONDS); // parks: no carrier pinned
      } catch (TimeoutException | ExecutionException e) {
        // the loop re-reads the state
      } catch (InterruptedException e) {
        interrupted = true;
        break;
      }
    }
    if (request.cancel()) {
      host.leave(request);
      if (interrupted) {
        throw new InterruptedException();
      }
      throw host.timeoutException(runtime.now() - start, localLimit(host.key));
    }
    // Another party decided first; what it decided happened before our cancel attempt.
    if (request.state() == LeaseRequest.GRANTED) {
      if (interrupted) {
        host.release(request.permit()); // the caller is leaving: the permit goes on
        throw new InterruptedException();
      }
      return request.permit();
    }
    if (interrupted) {
      Thread.currentThread().interrupt();
    }
    throw request.failure();
  }

  Optional<Slot> tryAcquire(HostKey key) {
    requireOpen();
    refuseIfUnavailable(key);
    Optional<Slot> localSlot = local.tryAcquire(key);
    if (localSlot.isEmpty()) {
      runtime.events.timedOut(key, name, 0); // as regulator-core: a time-out after zero
      return Optional.empty();
    }
    try {
      return Optional.of(acquireNow(key, localSlot.get()));
    } catch (SlotTimeoutException e) {
      runtime.events.timedOut(key, name, 0);
      return Optional.empty();
    }
  }

  /**
   * Adds a fleet permit to {@code localSlot} without queueing, or gives the local slot back and
   * throws {@link SlotTimeoutException}.
   */
  private Slot acquireNow(HostKey key, Slot localSlot) {
    boolean done = false;
    try {
      HostLeases host;
      FleetPermit permit;
      do {
        host = regulator.table.get(key);
        permit = host.tryTake();
      } while (permit == HostLeases.RETIRED_ENTRY);
      if (permit == null) {
        throw host.timeoutException(0, localLimit(key));
      }
      Slot slot = link(new LeasedSlot(this, host, localSlot, permit), 0); // nobody queued
      done = true;
      return slot;
    } finally {
      if (!done) {
        localSlot.release();
      }
    }
  }

  /**
   * {@code owner} is the pool handle: the pending future holds it until it completes, so that a
   * pool whose only use is a pending {@code acquireAsync} is in use, not leaked, and its Cleaner
   * cannot close it under its caller (core's waiter holds its handle the same way).
   */
  CompletableFuture<Slot> acquireAsync(HostKey key, long timeoutNanos, Object owner) {
    long start = runtime.now();
    if (closed.get()) {
      return CompletableFuture.failedFuture(new PoolClosedException(name));
    }
    try {
      refuseIfUnavailable(key);
    } catch (FleetUnavailableException e) {
      return CompletableFuture.failedFuture(e);
    }
    CompletableFuture<Slot> result = new CompletableFuture<>();
    CompletableFuture<Slot> localFuture = local.acquireAsync(key, Duration.ofNanos(timeoutNanos));
    result.whenComplete((slot, failure) -> {
      Reference.reachabilityFence(owner);
      if (failure != null) {
        localFuture.cancel(false); // the caller gave up while still queued locally
      }
    });
    localFuture.whenComplete((localSlot, failure) -> {
      if (failure != null) {
        Throwable cause = unwrap(failure);
        if (cause instanceof SlotTimeoutException) {
          runtime.events.timedOut(key, name, runtime.now() - start);
        }
        result.completeExceptionally(cause);
      } else if (result.isDone()) {
        localSlot.release();
      } else {
        awaitPermitAsync(key, localSlot, start, start + timeoutNanos, result);
      }
    });
    return result;
  }

  private void awaitPermitAsync(HostKey key, Slot localSlot, long start, long deadline,
      CompletableFuture<Slot> result) {
    LeaseRequest request = new LeaseRequest(deadline);
    pending.add(request);
    HostLeases host;
    try {
      requireOpen();
      host = admit(key, request);
    } catch (RuntimeException e) {
      pending.remove(request);
      localSlot.release();
      result.completeExceptionally(e);
      return;
    }
    new AsyncLeaseWaiter(this, request, host, localSlot, start, result).start();
  }

  private static Throwable unwrap(Throwable failure) {
    return (failure instanceof CompletionException && failure.getCause() != null)
        ? failure.getCause()
        : failure;
  }

  /** Under {@code FAIL_FAST}, refuses before taking a local slot that would only go back. */
  private void refuseIfUnavailable(HostKey key) {
    FleetState state = runtime.connection.state();
    if (state != FleetState.CONNECTED
        && runtime.settings.whenUnavailable() == WhenUnavailable.FAIL_FAST) {
      runtime.counters.unavailable.increment();
      throw new FleetUnavailableException(key, state, null);
    }
  }

  /**
   * Records a slot that both caps granted after its caller waited {@code waitedNanos}, and reports
   * it acquired; if the pool closed meanwhile, gives both halves back (reported released) and
   * throws. Called with no lock held.
   */
  LeasedSlot link(LeasedSlot slot, long waitedNanos) {
    // Reported before the slot is published, so that its release, by whatever path, comes after.
    runtime.events.acquired(slot.key(), name, waitedNanos);
    slots.add(slot);
    if (closed.get()) {
      slot.reclaim();
      slots.remove(slot);
      throw new PoolClosedException(name);
    }
    runtime.counters.grants.increment();
    return slot;
  }

  void unlink(LeasedSlot slot) {
    slots.remove(slot);
  }

  void forget(LeaseRequest request) {
    pending.remove(request);
  }

  int localLimit(HostKey key) {
    return regulator.limit(key);
  }

  private void requireOpen() {
    if (closed.get()) {
      throw new PoolClosedException(name);
    }
  }

  boolean isClosed() {
    return closed.get();
  }

  int inUse() {
    return slots.size();
  }

  int inUse(HostKey key) {
    int count = 0;
    for (LeasedSlot slot : slots) {
      if (slot.key().equals(key) && !slot.isReleased()) {
        count++;
      }
    }
    return count;
  }

  Set<LeasedSlot> slots() {
    return slots;
  }

  /**
   * Fails the waiters, gives back both halves of every slot, then closes the local pool (which
   * fails its local waiters). Returns how many slots it reclaimed, or -1 if it was closed before.
   */
  int close() {
    if (!closed.compareAndSet(false, true)) {
      return -1;
    }
    for (LeaseRequest request : pending) {
      if (request.fail(new PoolClosedException(name))) {
        HostLeases host = request.host; // set before the request could be queued
        if (host != null) {
          host.leave(request);
        }
        request.signal();
      }
    }
    int reclaimed = 0;
    for (LeasedSlot slot : slots) {
      if (slot.reclaim()) {
        reclaimed++;
      }
    }
    slots.clear();
    local.close();
    return reclaimed;
  }
}
