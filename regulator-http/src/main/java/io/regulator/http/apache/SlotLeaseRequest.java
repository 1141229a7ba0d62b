package io.regulator.http.apache;

import io.regulator.HostKey;
import io.regulator.Slot;
import io.regulator.SlotTimeoutException;
import io.regulator.http.internal.LeakWatch;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.locks.ReentrantLock;
import org.apache.hc.client5.http.HttpRoute;
import org.apache.hc.client5.http.io.ConnectionEndpoint;
import org.apache.hc.client5.http.io.LeaseRequest;
import org.apache.hc.core5.util.Timeout;

/**
 * A lease that takes a slot first and only then leases from the wrapped manager, so that a caller
 * queued for a slot never sits on one of the wrapped pool's per-route entries.
 *
 * <p>Thread-safe: {@link #cancel()} comes from whichever thread aborts the request.
 */
final class SlotLeaseRequest implements LeaseRequest {
  private final RegulatedConnections connections;
  private final String id;
  private final HttpRoute route;
  private final Timeout requestTimeout;
  private final Object state;
  /** Serializes {@link #get}: HttpClient may call it again, and must get the same endpoint. */
  private final ReentrantLock lock = new ReentrantLock();

  private volatile boolean cancelled;
  private volatile CompletableFuture<Slot> acquiring;
  private volatile LeaseRequest leasing;
  // Guarded by lock; read only by get.
  private ConnectionEndpoint endpoint;

  SlotLeaseRequest(
      RegulatedConnections connections, String id, HttpRoute route, Timeout requestTimeout, Object state) {
    this.connections = connections;
    this.id = id;
    this.route = route;
    this.requestTimeout = requestTimeout;
    this.state = state;
  }

  @Override
  public ConnectionEndpoint get(Timeout timeout)
      throws InterruptedException, ExecutionException, TimeoutException {
    lock.lock();
    try {
      if (endpoint == null) {
        endpoint = lease(timeout);
      }
      return endpoint;
    } finally {
      lock.unlock();
    }
  }

  private ConnectionEndpoint lease(Timeout timeout)
      throws InterruptedException, ExecutionException, TimeoutException {
    Timeout bound = (timeout != null) ? timeout : requestTimeout;
    boolean bounded = bound != null && bound.isEnabled();
    long start = System.nanoTime();
    HostKey key = connections.keyOf(route);
    LeakWatch leakWatch = connections.leakWatch();
    Throwable site = leakWatch.acquisitionSite(key, connections.pool().name());
    Slot slot = acquireSlot(key, bounded ? bound.toDuration() : connections.acquireTimeout());
    long acquiredAt = leakWatch.now();
    try {
      Timeout remaining = bound;
      if (bounded) {
        long left = bound.toMilliseconds() - Duration.ofNanos(System.nanoTime() - start).toMillis();
        remaining = Timeout.ofMilliseconds(Math.max(1, left));
      }
      LeaseRequest inner = connections.delegate().lease(id, route, remaining, state);
      leasing = inner;
      if (cancelled) {
        inner.cancel();
      }
      ConnectionEndpoint leased = inner.get(remaining);
      return new SlotEndpoint(leased, slot, connections, acquiredAt, site);
    } catch (InterruptedException | ExecutionException | TimeoutException | RuntimeException | Error e) {
      slot.release();
      throw e;
    }
  }

  private Slot acquireSlot(HostKey key, Duration wait)
      throws InterruptedException, ExecutionException, TimeoutException {
    CompletableFuture<Slot> future = connections.pool().acquireAsync(key, wait);
    acquiring = future;
    if (cancelled) {
      future.cancel(false);
    }
    try {
      // No timeout here: the regulator completes the future when the wait is up, exactly once.
      return future.get();
    } catch (InterruptedException e) {
      // Leaves the queue; a slot granted at this instant goes back to the host.
      future.cancel(false);
      throw e;
    } catch (ExecutionException e) {
      if (e.getCause() instanceof SlotTimeoutException) {
        // HttpClient turns this into its ConnectionRequestTimeoutException, as for its own pool.
        TimeoutException timedOut = new TimeoutException(e.getCause().getMessage());
        timedOut.initCause(e.getCause());
        throw timedOut;
      }
      throw e;
    }
  }

  /** Cancels the wait for a slot or for the wrapped lease, whichever is under way. */
  @Override
  public boolean cancel() {
    cancelled = true;
    boolean cancelledSomething = false;
    CompletableFuture<Slot> slotWait = acquiring;
    if (slotWait != null) {
      cancelledSomething = slotWait.cancel(false);
    }
    LeaseRequest inner = leasing;
    if (inner != null) {
      cancelledSomething |= inner.cancel();
    }
    return cancelledSomething || (slotWait == null && inner == null);
  }
}
