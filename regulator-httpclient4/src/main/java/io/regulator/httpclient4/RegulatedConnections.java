package io.regulator.httpclient4;

import io.regulator.HostKey;
import io.regulator.LastHostKey;
import io.regulator.RegulatedPool;
import io.regulator.SlotLeak;
import java.io.IOException;
import java.lang.ref.Reference;
import java.time.Duration;
import java.util.Objects;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;
import org.apache.http.HttpClientConnection;
import org.apache.http.HttpHost;
import org.apache.http.conn.ConnectionRequest;
import org.apache.http.conn.HttpClientConnectionManager;
import org.apache.http.conn.routing.HttpRoute;
import org.apache.http.protocol.HttpContext;

/**
 * An Apache HttpClient 4.5 connection manager that takes a slot of the route's target host and
 * port before it leases a connection from the wrapped manager, and gives it back when the
 * connection is released to it. A slot covers a leased connection, not an idle pooled one.
 *
 * <p>The wait for a slot counts against the request's connection-request timeout; a slot timeout
 * surfaces as HttpClient's own {@link org.apache.http.conn.ConnectionPoolTimeoutException} (the
 * {@link io.regulator.SlotTimeoutException} is its cause). {@link #shutdown()} (closing the client
 * calls it) shuts the wrapped manager down and then closes the pool, which gives back the slot of
 * every connection still leased. A response dropped without being closed is found once it is
 * garbage-collected: its connection is shut down and returned, its slot reclaimed and reported.
 *
 * <p>Thread-safe.
 */
public final class RegulatedConnections implements HttpClientConnectionManager, AutoCloseable {
  private final HttpClientConnectionManager delegate;
  private final RegulatedPool pool;
  private final Duration acquireTimeout;
  private final LeakWatch leakWatch;
  /** The key of the last lease's target: HttpClient builds a new route per request, of one host mostly. */
  private final LastHostKey keys = new LastHostKey();

  private RegulatedConnections(Builder builder) {
    this.delegate = builder.delegate;
    this.pool = builder.pool;
    this.acquireTimeout = builder.acquireTimeout;
    this.leakWatch = new LeakWatch(builder.recordLeakOrigins, builder.leakListener, System::nanoTime);
  }

  /**
   * Wraps {@code delegate} with the defaults; the returned manager owns {@code pool} and closes it
   * when it shuts down.
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

  /**
   * Returns a request that, on {@link ConnectionRequest#get}, takes a slot of the route's target
   * and then leases from the wrapped manager; its {@link ConnectionRequest#cancel()} leaves the
   * slot queue, or gives back a slot already granted.
   */
  @Override
  public ConnectionRequest requestConnection(HttpRoute route, Object state) {
    Objects.requireNonNull(route, "route");
    return new SlotConnectionRequest(this, route, state);
  }

  /**
   * Releases the connection to the wrapped manager, then gives back its slot. HttpClient calls
   * this for every lease, also after it shut down a broken connection or aborted the request; the
   * slot goes back once whatever is called twice.
   */
  @Override
  public void releaseConnection(HttpClientConnection conn, Object newState, long validDuration, TimeUnit timeUnit) {
    if (!(conn instanceof SlotConnection)) {
      delegate.releaseConnection(conn, newState, validDuration, timeUnit);
      return;
    }
    SlotConnection slotted = (SlotConnection) conn;
    try {
      delegate.releaseConnection(slotted.inner(), newState, validDuration, timeUnit);
    } finally {
      slotted.releaseSlot();
      // Keeps the connection reachable until here, so that its leak watch cannot fire mid-release.
      Reference.reachabilityFence(slotted);
    }
  }

  @Override
  public void connect(HttpClientConnection conn, HttpRoute route, int connectTimeout, HttpContext context)
      throws IOException {
    delegate.connect(unwrap(conn), route, connectTimeout, context);
  }

  @Override
  public void upgrade(HttpClientConnection conn, HttpRoute route, HttpContext context) throws IOException {
    delegate.upgrade(unwrap(conn), route, context);
  }

  @Override
  public void routeComplete(HttpClientConnection conn, HttpRoute route, HttpContext context) throws IOException {
    delegate.routeComplete(unwrap(conn), route, context);
  }

  @Override
  public void closeIdleConnections(long idletime, TimeUnit timeUnit) {
    delegate.closeIdleConnections(idletime, timeUnit);
  }

  @Override
  public void closeExpiredConnections() {
    delegate.closeExpiredConnections();
  }

  /**
   * Shuts the wrapped manager down (which closes its leased connections too), then closes the
   * pool: every slot still held goes back, and connections released later give back nothing.
   */
  @Override
  public void shutdown() {
    try {
      delegate.shutdown();
    } finally {
      pool.close();
    }
  }

  /** The same as {@link #shutdown()}. */
  @Override
  public void close() {
    shutdown();
  }

  private static HttpClientConnection unwrap(HttpClientConnection conn) {
    return (conn instanceof SlotConnection) ? ((SlotConnection) conn).inner() : conn;
  }

  Duration acquireTimeout() {
    return acquireTimeout;
  }

  LeakWatch leakWatch() {
    return leakWatch;
  }

  /**
   * The key a route's connections count against: its target host and port, also behind a proxy,
   * since the target is the server whose load is being capped. A target without a port gets its
   * scheme's default (443 for https, else 80).
   */
  public static HostKey keyOf(HttpRoute route) {
    HttpHost target = Objects.requireNonNull(route, "route").getTargetHost();
    return HostKey.of(target.getHostName(), portOf(target));
  }

  /** {@link #keyOf(HttpRoute)}, the same key as the last lease's while the target repeats. */
  HostKey leaseKeyOf(HttpRoute route) {
    HttpHost target = route.getTargetHost();
    return keys.of(target.getHostName(), portOf(target));
  }

  private static int portOf(HttpHost target) {
    int port = target.getPort();
    return (port >= 0) ? port : "https".equalsIgnoreCase(target.getSchemeName()) ? 443 : 80;
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

    private Builder(HttpClientConnectionManager delegate, RegulatedPool pool) {
      this.delegate = Objects.requireNonNull(delegate, "delegate");
      this.pool = Objects.requireNonNull(pool, "pool");
      if (delegate instanceof RegulatedConnections) {
        throw new IllegalArgumentException("delegate is already regulated: " + delegate);
      }
    }

    /**
     * How long a lease waits for a slot when the request's connection-request timeout is not
     * positive (HttpClient 4.5 reads 0 and -1 as "wait forever"); otherwise that timeout bounds
     * the slot wait and the lease together. Default 30 s.
     */
    public Builder acquireTimeout(Duration acquireTimeout) {
      Objects.requireNonNull(acquireTimeout, "acquireTimeout");
      if (acquireTimeout.isNegative()) {
        throw new IllegalArgumentException("acquireTimeout < 0: " + acquireTimeout);
      }
      this.acquireTimeout = acquireTimeout;
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
     * ignored. Default: a warning on the {@code io.regulator.httpclient4.leaks} logger.
     */
    public Builder leakListener(Consumer<SlotLeak> leakListener) {
      this.leakListener = Objects.requireNonNull(leakListener, "leakListener");
      return this;
    }

    /** Builds the manager. */
    public RegulatedConnections build() {
      return new RegulatedConnections(this);
    }
  }
}
