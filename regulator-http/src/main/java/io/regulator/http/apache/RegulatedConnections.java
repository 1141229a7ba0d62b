package io.regulator.http.apache;

import io.regulator.HostKey;
import io.regulator.LastHostKey;
import io.regulator.RegulatedPool;
import io.regulator.SlotLeak;
import io.regulator.http.RetryPolicy;
import io.regulator.http.internal.Checks;
import io.regulator.http.internal.LeakWatch;
import java.io.IOException;
import java.time.Duration;
import java.util.Objects;
import java.util.function.Consumer;
import org.apache.hc.client5.http.HttpRoute;
import org.apache.hc.client5.http.io.ConnectionEndpoint;
import org.apache.hc.client5.http.io.HttpClientConnectionManager;
import org.apache.hc.client5.http.io.LeaseRequest;
import org.apache.hc.core5.http.HttpHost;
import org.apache.hc.core5.http.URIScheme;
import org.apache.hc.core5.http.protocol.HttpContext;
import org.apache.hc.core5.io.CloseMode;
import org.apache.hc.core5.util.TimeValue;
import org.apache.hc.core5.util.Timeout;

/**
 * An Apache HttpClient 5 classic connection manager that takes a slot of the route's target host
 * and port before it leases a connection from the wrapped manager, and gives it back when the
 * connection is released to it. A slot covers a leased connection, not an idle pooled one.
 *
 * <p>The wait for a slot counts against the request's connection-request timeout; a slot timeout
 * surfaces as HttpClient's own {@code ConnectionRequestTimeoutException}. Closing this manager
 * (closing the client does) closes the wrapped manager and then the pool, which gives back the
 * slot of every connection still leased. A response dropped without being closed is found once it
 * is garbage-collected: its connection is closed and returned, its slot reclaimed and reported.
 *
 * <p>Thread-safe.
 */
public final class RegulatedConnections implements HttpClientConnectionManager {
  private final HttpClientConnectionManager delegate;
  private final RegulatedPool pool;
  private final Duration acquireTimeout;
  private final LeakWatch leakWatch;
  private final RetryPolicy retryPolicy;
  /** The key of the last lease's target: HttpClient builds a new route per request, of one host mostly. */
  private final LastHostKey keys = new LastHostKey();

  private RegulatedConnections(Builder builder) {
    this.delegate = builder.delegate;
    this.retryPolicy = builder.retryPolicy;
    this.pool = builder.pool;
    this.acquireTimeout = builder.acquireTimeout;
    this.leakWatch =
        new LeakWatch(builder.recordLeakOrigins, builder.leakListener, System::nanoTime);
  }

  /**
   * Wraps {@code delegate} with the defaults; the returned manager owns {@code pool} and closes it
   * when it closes.
   */
  public static RegulatedConnections wrap(HttpClientConnectionManager delegate, RegulatedPool pool) {
    return builder(delegate, pool).build();
  }

  /** A builder wrapping {@code delegate}, taking slots from {@code pool}. */
  public static Builder builder(HttpClientConnectionManager delegate, RegulatedPool pool) {
    return new Builder(delegate, pool);
  }

  /** The pool this manager's slots come from. */
  public RegulatedPool pool() {
    return pool;
  }

  /** The wrapped manager. */
  public HttpClientConnectionManager delegate() {
    return delegate;
  }

  /** Returns a request that takes a slot of the route's target, then leases from the wrapped manager. */
  @Override
  public LeaseRequest lease(String id, HttpRoute route, Timeout requestTimeout, Object state) {
    Objects.requireNonNull(route, "route");
    return new SlotLeaseRequest(this, id, route, requestTimeout, state);
  }

  /** Releases the connection to the wrapped manager, then gives back its slot. */
  @Override
  public void release(ConnectionEndpoint endpoint, Object newState, TimeValue validDuration) {
    SlottedEndpoint.release(endpoint, inner -> delegate.release(inner, newState, validDuration));
  }

  @Override
  public void connect(ConnectionEndpoint endpoint, TimeValue connectTimeout, HttpContext context)
      throws IOException {
    try {
      delegate.connect(SlottedEndpoint.unwrap(endpoint), connectTimeout, context);
    } catch (IOException e) {
      if (endpoint instanceof SlotEndpoint) {
        ((SlotEndpoint) endpoint).connectFailed(e);
      }
      throw e;
    }
  }

  @Override
  public void upgrade(ConnectionEndpoint endpoint, HttpContext context) throws IOException {
    delegate.upgrade(SlottedEndpoint.unwrap(endpoint), context);
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

  Duration acquireTimeout() {
    return acquireTimeout;
  }

  LeakWatch leakWatch() {
    return leakWatch;
  }

  RetryPolicy retryPolicy() {
    return retryPolicy;
  }

  /**
   * The key a route's connections count against: its target host and port, also behind a proxy,
   * since the target is the server whose load is being capped.
   */
  HostKey keyOf(HttpRoute route) {
    return keyOf(route, keys);
  }

  /** {@link #keyOf(HttpRoute)} through {@code keys}, the cache of the manager that leases. */
  static HostKey keyOf(HttpRoute route, LastHostKey keys) {
    HttpHost target = route.getTargetHost();
    int port = target.getPort();
    if (port < 0) {
      port = URIScheme.HTTPS.same(target.getSchemeName()) ? 443 : 80;
    }
    return keys.of(target.getHostName(), port);
  }

  @Override
  public String toString() {
    return "RegulatedConnections{pool=" + pool.name() + ", delegate=" + delegate + "}";
  }

  /** Builds {@link RegulatedConnections}; validates each value as it is set. Not thread-safe. */
  public static final class Builder {
    private final HttpClientConnectionManager delegate;
    private final RegulatedPool pool;
    private Duration acquireTimeout = Duration.ofSeconds(30);
    private boolean recordLeakOrigins;
    private Consumer<SlotLeak> leakListener = LeakWatch.logging();
    private RetryPolicy retryPolicy = RetryPolicy.defaults();

    private Builder(HttpClientConnectionManager delegate, RegulatedPool pool) {
      this.delegate = Objects.requireNonNull(delegate, "delegate");
      this.pool = Objects.requireNonNull(pool, "pool");
      if (delegate instanceof RegulatedConnections) {
        throw new IllegalArgumentException("delegate is already regulated: " + delegate);
      }
    }

    /**
     * How long a lease waits for a slot when the request's connection-request timeout is
     * disabled; otherwise that timeout bounds the slot wait and the lease together. Default 30 s.
     */
    public Builder acquireTimeout(Duration acquireTimeout) {
      this.acquireTimeout = Checks.nonNegative(acquireTimeout, "acquireTimeout");
      return this;
    }

    /** Whether to record where each slot was taken, for leak reports. Costs a stack trace per lease. Default off. */
    public Builder recordLeakOrigins(boolean recordLeakOrigins) {
      this.recordLeakOrigins = recordLeakOrigins;
      return this;
    }

    /**
     * Hears of every leaked slot reclaimed, as a {@link SlotLeak} with {@code reclaimed() == true},
     * {@code age()} the time since the slot was taken and {@code acquisitionSite()} null unless
     * {@link #recordLeakOrigins} is on. Called on the cleaner thread; what it throws is logged and
     * ignored. Default: a warning on the {@code io.regulator.http.leaks} logger.
     */
    public Builder leakListener(Consumer<SlotLeak> leakListener) {
      this.leakListener = Objects.requireNonNull(leakListener, "leakListener");
      return this;
    }

    /**
     * The retry policy the client retries by (give the client a {@link RetryPolicyStrategy} of
     * the same policy): its {@link RetryPolicy#maxDelay()} caps the {@code Retry-After} this
     * manager reports to the regulator with each 429 and 503. Default {@link
     * RetryPolicy#defaults()} (60 s).
     */
    public Builder retryPolicy(RetryPolicy retryPolicy) {
      this.retryPolicy = Objects.requireNonNull(retryPolicy, "retryPolicy");
      return this;
    }

    /** Builds the manager. */
    public RegulatedConnections build() {
      return new RegulatedConnections(this);
    }
  }
}
