package io.regulator.http.apache;

import io.regulator.LastHostKey;
import io.regulator.RegulatedPool;
import io.regulator.Slot;
import io.regulator.SlotTimeoutException;
import io.regulator.http.RetryPolicy;
import io.regulator.http.internal.Checks;
import java.io.IOException;
import java.time.Duration;
import java.util.Objects;
import java.util.concurrent.CancellationException;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.Future;
import org.apache.hc.client5.http.HttpRoute;
import org.apache.hc.client5.http.nio.AsyncClientConnectionManager;
import org.apache.hc.client5.http.nio.AsyncConnectionEndpoint;
import org.apache.hc.core5.concurrent.ComplexFuture;
import org.apache.hc.core5.concurrent.FutureCallback;
import org.apache.hc.core5.http.ConnectionRequestTimeoutException;
import org.apache.hc.core5.http.protocol.HttpContext;
import org.apache.hc.core5.io.CloseMode;
import org.apache.hc.core5.reactor.ConnectionInitiator;
import org.apache.hc.core5.util.TimeValue;
import org.apache.hc.core5.util.Timeout;

/**
 * An Apache HttpClient 5 async connection manager that takes a slot of the route's target host
 * and port before it leases from the wrapped manager, and gives it back when the endpoint is
 * released to it. No thread waits: the lease continues when the regulator grants the slot. With
 * HTTP/2 multiplexing each lease is one stream, so the slot caps concurrent exchanges.
 *
 * <p>A retried response keeps its connection leased through HttpClient's backoff unless
 * {@link ReleaseBeforeRetry} is installed in the client; install it with this manager.
 *
 * <p>Closing this manager (closing the client does) closes the wrapped manager and then the pool,
 * which gives back every slot still held.
 *
 * <p>Thread-safe.
 */
public final class RegulatedAsyncConnections implements AsyncClientConnectionManager {
  private final AsyncClientConnectionManager delegate;
  private final RegulatedPool pool;
  private final Duration acquireTimeout;
  private final RetryPolicy retryPolicy;
  /** The key of the last lease's target: HttpClient builds a new route per request, of one host mostly. */
  private final LastHostKey keys = new LastHostKey();

  private RegulatedAsyncConnections(AsyncClientConnectionManager delegate, RegulatedPool pool,
      Duration acquireTimeout, RetryPolicy retryPolicy) {
    this.retryPolicy = Objects.requireNonNull(retryPolicy, "retryPolicy");
    this.delegate = Objects.requireNonNull(delegate, "delegate");
    this.pool = Objects.requireNonNull(pool, "pool");
    Checks.nonNegative(acquireTimeout, "acquireTimeout");
    if (delegate instanceof RegulatedAsyncConnections) {
      throw new IllegalArgumentException("delegate is already regulated: " + delegate);
    }
    this.acquireTimeout = acquireTimeout;
  }

  /**
   * Wraps {@code delegate}; leases wait at most 30 s for a slot when the request's
   * connection-request timeout is disabled. The returned manager owns {@code pool}.
   */
  public static RegulatedAsyncConnections wrap(AsyncClientConnectionManager delegate, RegulatedPool pool) {
    return new RegulatedAsyncConnections(delegate, pool, Duration.ofSeconds(30), RetryPolicy.defaults());
  }

  /**
   * Wraps {@code delegate}; leases wait at most {@code acquireTimeout} for a slot when the
   * request's connection-request timeout is disabled.
   */
  public static RegulatedAsyncConnections wrap(
      AsyncClientConnectionManager delegate, RegulatedPool pool, Duration acquireTimeout) {
    return new RegulatedAsyncConnections(delegate, pool, acquireTimeout, RetryPolicy.defaults());
  }

  /**
   * Wraps {@code delegate} as {@link #wrap(AsyncClientConnectionManager, RegulatedPool, Duration)}
   * does; {@code retryPolicy}, the one the client retries by, caps with its {@link
   * RetryPolicy#maxDelay()} the {@code Retry-After} reported to the regulator (issue 16; default
   * {@link RetryPolicy#defaults()}, 60 s).
   */
  public static RegulatedAsyncConnections wrap(AsyncClientConnectionManager delegate,
      RegulatedPool pool, Duration acquireTimeout, RetryPolicy retryPolicy) {
    return new RegulatedAsyncConnections(delegate, pool, acquireTimeout, retryPolicy);
  }

  /** The pool this manager's slots come from. */
  public RegulatedPool pool() {
    return pool;
  }

  @Override
  public Future<AsyncConnectionEndpoint> lease(
      String id,
      HttpRoute route,
      Object state,
      Timeout requestTimeout,
      FutureCallback<AsyncConnectionEndpoint> callback) {
    Objects.requireNonNull(route, "route");
    ComplexFuture<AsyncConnectionEndpoint> result = new ComplexFuture<>(callback);
    boolean bounded = requestTimeout != null && requestTimeout.isEnabled();
    long start = System.nanoTime();
    CompletableFuture<Slot> acquiring;
    try {
      acquiring = pool.acquireAsync(
          RegulatedConnections.keyOf(route, keys), bounded ? requestTimeout.toDuration() : acquireTimeout);
    } catch (RuntimeException e) {
      result.failed(e);
      return result;
    }
    depend(result, () -> acquiring.cancel(false));
    acquiring.whenComplete((slot, failure) -> {
      if (failure != null) {
        fail(result, failure);
        return;
      }
      if (result.isDone()) {
        slot.release();
        return;
      }
      Timeout remaining = requestTimeout;
      if (bounded) {
        long left = requestTimeout.toMilliseconds() - Duration.ofNanos(System.nanoTime() - start).toMillis();
        remaining = Timeout.ofMilliseconds(Math.max(1, left));
      }
      Future<AsyncConnectionEndpoint> leasing;
      try {
        leasing = delegate.lease(id, route, state, remaining, new FutureCallback<>() {
          @Override
          public void completed(AsyncConnectionEndpoint endpoint) {
            SlotAsyncEndpoint slotted = new SlotAsyncEndpoint(endpoint, slot, retryPolicy);
            if (!result.completed(slotted)) {
              // Cancelled at the instant of the lease: nobody will use or release it but us.
              release(slotted, null, TimeValue.ZERO_MILLISECONDS);
            }
          }

          @Override
          public void failed(Exception ex) {
            slot.release();
            result.failed(ex);
          }

          @Override
          public void cancelled() {
            slot.release();
            result.cancel();
          }
        });
      } catch (RuntimeException e) {
        slot.release();
        result.failed(e);
        return;
      }
      depend(result, () -> leasing.cancel(true));
    });
    return result;
  }

  /** Makes cancelling {@code result} cancel {@code step}, also if it was cancelled just before. */
  private static void depend(ComplexFuture<?> result, Runnable cancelStep) {
    result.setDependency(() -> {
      cancelStep.run();
      return true;
    });
    if (result.isCancelled()) {
      cancelStep.run();
    }
  }

  private static void fail(ComplexFuture<AsyncConnectionEndpoint> result, Throwable failure) {
    Throwable cause = (failure instanceof CompletionException && failure.getCause() != null)
        ? failure.getCause() : failure;
    if (cause instanceof CancellationException) {
      result.cancel();
    } else if (cause instanceof SlotTimeoutException) {
      // The same exception HttpClient raises when its own pool has no connection in time.
      result.failed(new ConnectionRequestTimeoutException(cause.getMessage()));
    } else if (cause instanceof Exception) {
      result.failed((Exception) cause);
    } else {
      result.failed(new IllegalStateException(cause));
    }
  }

  /** Releases the endpoint to the wrapped manager, then gives back its slot. */
  @Override
  public void release(AsyncConnectionEndpoint endpoint, Object newState, TimeValue validDuration) {
    SlottedEndpoint.release(endpoint, inner -> delegate.release(inner, newState, validDuration));
  }

  @Override
  public Future<AsyncConnectionEndpoint> connect(
      AsyncConnectionEndpoint endpoint,
      ConnectionInitiator connectionInitiator,
      Timeout connectTimeout,
      Object attachment,
      HttpContext context,
      FutureCallback<AsyncConnectionEndpoint> callback) {
    ComplexFuture<AsyncConnectionEndpoint> result = new ComplexFuture<>(callback);
    Future<AsyncConnectionEndpoint> connecting = delegate.connect(
        SlottedEndpoint.unwrap(endpoint), connectionInitiator, connectTimeout, attachment, context, rewrapping(endpoint, result));
    depend(result, () -> connecting.cancel(true));
    return result;
  }

  @Override
  public void upgrade(AsyncConnectionEndpoint endpoint, Object attachment, HttpContext context) {
    delegate.upgrade(SlottedEndpoint.unwrap(endpoint), attachment, context);
  }

  @Override
  public void upgrade(
      AsyncConnectionEndpoint endpoint,
      Object attachment,
      HttpContext context,
      FutureCallback<AsyncConnectionEndpoint> callback) {
    ComplexFuture<AsyncConnectionEndpoint> result = new ComplexFuture<>(callback);
    delegate.upgrade(SlottedEndpoint.unwrap(endpoint), attachment, context, rewrapping(endpoint, result));
  }

  /** A callback that hands the caller its own (slotted) endpoint back, not the wrapped one. */
  private static FutureCallback<AsyncConnectionEndpoint> rewrapping(
      AsyncConnectionEndpoint endpoint, ComplexFuture<AsyncConnectionEndpoint> result) {
    return new FutureCallback<>() {
      @Override
      public void completed(AsyncConnectionEndpoint ignored) {
        result.completed(endpoint);
      }

      @Override
      public void failed(Exception ex) {
        if (endpoint instanceof SlotAsyncEndpoint) {
          ((SlotAsyncEndpoint) endpoint).connectFailed(ex);
        }
        result.failed(ex);
      }

      @Override
      public void cancelled() {
        result.cancel();
      }
    };
  }

  /** Closes the wrapped manager, then the pool: every slot still held goes back. */
  @Override
  public void close(CloseMode closeMode) {
    try {
      delegate.close(closeMode);
    } finally {
      pool.close();
    }
  }

  /** Closes gracefully; see {@link #close(CloseMode)}. */
  @Override
  public void close() throws IOException {
    try {
      delegate.close();
    } finally {
      pool.close();
    }
  }

  @Override
  public String toString() {
    return "RegulatedAsyncConnections{pool=" + pool.name() + ", delegate=" + delegate + "}";
  }
}
