package io.regulator.jetty;

import io.regulator.RegulatedPool;
import java.time.Duration;
import java.util.Objects;
import org.eclipse.jetty.client.ConnectionPool;
import org.eclipse.jetty.client.Destination;
import org.eclipse.jetty.client.HttpClient;
import org.eclipse.jetty.client.HttpClientTransport;
import org.eclipse.jetty.client.transport.HttpDestination;
import org.eclipse.jetty.util.component.LifeCycle;

/**
 * Puts a Jetty 12 {@link HttpClient} on the regulator: wraps its transport's connection pool
 * factory so that every destination's pool is a {@link RegulatedConnectionPool}, and closes the
 * {@link RegulatedPool} when the client stops. Immutable and thread-safe.
 *
 * <pre>{@code
 * HttpClient client = new HttpClient();
 * RegulatedPoolFactory.install(client, regulator.newPool("catalog"));
 * client.start();
 * }</pre>
 *
 * <p>Install it before the client sends its first request: destinations built before keep the
 * pools they have. The transport's own factory (its pool kind and size, for example
 * {@code maxConnectionsPerDestination}) is kept and decorated, so install after setting a custom
 * one. A stopped client has closed its pool: to start it again, install a new pool.
 */
public final class RegulatedPoolFactory implements ConnectionPool.Factory {

  /** How long a destination waits in a host's queue before its oldest request fails: 30 s. */
  public static final Duration DEFAULT_ACQUIRE_TIMEOUT = Duration.ofSeconds(30);

  private final ConnectionPool.Factory delegate;
  private final RegulatedPool pool;
  private final Duration acquireTimeout;

  private RegulatedPoolFactory(ConnectionPool.Factory delegate, RegulatedPool pool, Duration acquireTimeout) {
    this.delegate = delegate;
    this.pool = pool;
    this.acquireTimeout = acquireTimeout;
  }

  /** {@link #install(HttpClient, RegulatedPool, Duration)} with {@link #DEFAULT_ACQUIRE_TIMEOUT}. */
  public static RegulatedPoolFactory install(HttpClient client, RegulatedPool pool) {
    return install(client, pool, DEFAULT_ACQUIRE_TIMEOUT);
  }

  /**
   * Decorates {@code client}'s connection pools with slots of {@code pool}, and closes {@code pool}
   * when the client stops.
   *
   * @param acquireTimeout how long a destination may wait in a host's queue; when it runs out, the
   *     destination's oldest queued request fails with {@link io.regulator.SlotTimeoutException}
   * @throws IllegalStateException if the client's transport already has a regulated factory, or
   *     {@code pool} is closed
   */
  public static RegulatedPoolFactory install(HttpClient client, RegulatedPool pool, Duration acquireTimeout) {
    Objects.requireNonNull(client, "client");
    Objects.requireNonNull(pool, "pool");
    Objects.requireNonNull(acquireTimeout, "acquireTimeout");
    if (acquireTimeout.isNegative()) {
      throw new IllegalArgumentException("acquireTimeout < 0: " + acquireTimeout);
    }
    if (pool.isClosed()) {
      throw new IllegalStateException("pool is closed: " + pool.name());
    }
    HttpClientTransport transport = client.getHttpClientTransport();
    ConnectionPool.Factory current = transport.getConnectionPoolFactory();
    if (current instanceof RegulatedPoolFactory regulated) {
      throw new IllegalStateException("client already regulated by pool '" + regulated.pool.name() + "'");
    }
    Objects.requireNonNull(current, "transport's connection pool factory");
    RegulatedPoolFactory factory = new RegulatedPoolFactory(current, pool, acquireTimeout);
    transport.setConnectionPoolFactory(factory);
    client.addEventListener(new LifeCycle.Listener() {
      @Override
      public void lifeCycleStopped(LifeCycle event) {
        // After every destination stopped (and gave its slots back): anything left goes now.
        pool.close();
      }
    });
    return factory;
  }

  @Override
  public ConnectionPool newConnectionPool(Destination destination) {
    if (!(destination instanceof HttpDestination httpDestination)) {
      throw new IllegalArgumentException("destination is not an HttpDestination: " + destination);
    }
    return new RegulatedConnectionPool(delegate.newConnectionPool(destination), httpDestination, pool, acquireTimeout);
  }

  /** The regulator's pool every destination of the client takes its slots from. */
  public RegulatedPool pool() {
    return pool;
  }

  /** The transport's own factory, whose pools are decorated. */
  public ConnectionPool.Factory delegate() {
    return delegate;
  }

  /** How long a destination may wait in a host's queue. */
  public Duration acquireTimeout() {
    return acquireTimeout;
  }
}
