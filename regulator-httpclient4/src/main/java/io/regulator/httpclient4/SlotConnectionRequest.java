package io.regulator.httpclient4;

import io.regulator.HostKey;
import io.regulator.Slot;
import io.regulator.SlotTimeoutException;
import java.time.Duration;
import java.util.concurrent.CancellationException;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.ReentrantLock;
import org.apache.http.HttpClientConnection;
import org.apache.http.conn.ConnectionPoolTimeoutException;
import org.apache.http.conn.ConnectionRequest;
import org.apache.http.conn.ManagedHttpClientConnection;
import org.apache.http.conn.routing.HttpRoute;

/**
 * A connection request that takes a slot first and only then leases from the wrapped manager, so
 * that a caller queued for a slot never sits on one of the wrapped pool's per-route entries.
 *
 * <p>Thread-safe: {@link #cancel()} comes from whichever thread aborts the request
 * ({@code HttpUriRequest.abort()}).
 */
final class SlotConnectionRequest implements ConnectionRequest {
  private final RegulatedConnections connections;
  private final HttpRoute route;
  private final Object state;
  /** Serializes {@link #get}, so that a second call gets the same connection, not a second slot. */
  private final ReentrantLock lock = new ReentrantLock();

  private volatile boolean cancelled;
  /** The wait for a slot, once it started; cancel() cancels it. */
  private volatile CompletableFuture<Slot> acquiring;
  /** The wrapped manager's request, once the slot is held; cancel() cancels it. */
  private volatile ConnectionRequest leasing;
  // Guarded by lock.
  private HttpClientConnection connection;

  SlotConnectionRequest(RegulatedConnections connections, HttpRoute route, Object state) {
    this.connections = connections;
    this.route = route;
    this.state = state;
  }

  @Override
  public HttpClientConnection get(long timeout, TimeUnit timeUnit)
      throws InterruptedException, ExecutionException, ConnectionPoolTimeoutException {
    lock.lock();
    try {
      if (connection == null) {
        connection = lease(timeout, timeUnit);
      }
      return connection;
    } finally {
      lock.unlock();
    }
  }

  private HttpClientConnection lease(long timeout, TimeUnit timeUnit)
      throws InterruptedException, ExecutionException, ConnectionPoolTimeoutException {
    if (cancelled) {
      throw aborted();
    }
    // HttpClient 4.5 passes 0 for "no connection-request timeout": then acquireTimeout bounds the slot wait.
    boolean bounded = timeout > 0 && timeUnit != null;
    long start = System.nanoTime();
    HostKey key = connections.leaseKeyOf(route);
    LeakWatch leakWatch = connections.leakWatch();
    Throwable site = leakWatch.acquisitionSite(key, connections.pool().name());
    Slot slot = acquireSlot(key, bounded ? Duration.ofNanos(timeUnit.toNanos(timeout)) : connections.acquireTimeout());
    long acquiredAt = leakWatch.now();
    try {
      long remainingMillis = 0;
      if (bounded) {
        long left = timeUnit.toMillis(timeout) - TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - start);
        // Never 0, which would mean "wait forever" to the wrapped manager.
        remainingMillis = Math.max(1, left);
      }
      ConnectionRequest inner = connections.delegate().requestConnection(route, state);
      leasing = inner;
      if (cancelled) {
        inner.cancel();
      }
      HttpClientConnection leased = inner.get(remainingMillis, TimeUnit.MILLISECONDS);
      return (leased instanceof ManagedHttpClientConnection)
          ? new ManagedSlotConnection((ManagedHttpClientConnection) leased, slot, connections, acquiredAt, site)
          : new SlotConnection(leased, slot, connections, acquiredAt, site);
    } catch (InterruptedException | ExecutionException | ConnectionPoolTimeoutException | RuntimeException | Error e) {
      slot.release();
      throw e;
    }
  }

  private Slot acquireSlot(HostKey key, Duration wait)
      throws InterruptedException, ExecutionException, ConnectionPoolTimeoutException {
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
    } catch (CancellationException e) {
      throw aborted();
    } catch (ExecutionException e) {
      if (e.getCause() instanceof SlotTimeoutException) {
        // What HttpClient's own pool throws when its wait is up; the regulator's facts are the cause.
        ConnectionPoolTimeoutException timedOut = new ConnectionPoolTimeoutException(e.getCause().getMessage());
        timedOut.initCause(e.getCause());
        throw timedOut;
      }
      throw e;
    }
  }

  /** What HttpClient's own pool throws from a cancelled lease; HttpClient reports "Request execution failed". */
  private static ExecutionException aborted() {
    return new ExecutionException(new CancellationException("Operation aborted"));
  }

  /**
   * Cancels the wait for a slot or for the wrapped lease, whichever is under way; a slot granted
   * meanwhile goes back. Once {@link #get} returned a connection, that connection holds the slot
   * until it is released to the manager.
   */
  @Override
  public boolean cancel() {
    cancelled = true;
    boolean cancelledSomething = false;
    CompletableFuture<Slot> slotWait = acquiring;
    if (slotWait != null) {
      cancelledSomething = slotWait.cancel(false);
    }
    ConnectionRequest inner = leasing;
    if (inner != null) {
      cancelledSomething |= inner.cancel();
    }
    return cancelledSomething || (slotWait == null && inner == null);
  }
}
