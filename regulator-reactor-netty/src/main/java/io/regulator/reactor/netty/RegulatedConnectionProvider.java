package io.regulator.reactor.netty;

import io.netty.channel.ChannelFuture;
import io.netty.resolver.AddressResolverGroup;
import io.regulator.HostKey;
import io.regulator.LastHostKey;
import io.regulator.PoolClosedException;
import io.regulator.RegulatedPool;
import io.regulator.Slot;
import java.net.InetSocketAddress;
import java.net.SocketAddress;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.function.Function;
import java.util.function.Supplier;
import reactor.core.publisher.Mono;
import reactor.netty.Connection;
import reactor.netty.ConnectionObserver;
import reactor.netty.resources.ConnectionProvider;
import reactor.netty.transport.TransportConfig;

/**
 * A Reactor Netty {@link ConnectionProvider} that takes a regulator slot of the remote host and
 * port before every acquire from the provider it wraps, and gives it back when the connection goes
 * back to that provider's pool or closes. Use it wherever a provider goes: {@code
 * HttpClient.create(provider)}, {@code TcpClient.create(provider)}.
 *
 * <ul>
 *   <li><b>Slot taken</b>: on the first request of the {@link #acquire acquire} {@code Mono}, with
 *       {@link RegulatedPool#acquireAsync}: no thread waits, so it is safe on an event loop. The
 *       wrapped provider is asked for a connection only once the slot is held, so a queued acquire
 *       sits on none of the wrapped pool's connections.
 *   <li><b>Slot given back</b>, exactly once: when the wrapped pool reports the connection {@code
 *       RELEASED}, when its channel closes, or when the acquire fails or its subscriber cancels
 *       before the connection is handed over (a slot or connection that arrives after the cancel
 *       goes straight back).
 *   <li><b>Pool closed</b>: {@link #dispose()} or {@link #disposeLater()} closes the channels of
 *       connections still in use (their exchanges fail, and their slots return as they close),
 *       then closes the {@link RegulatedPool} (whatever is left, waiters included), then disposes
 *       the wrapped provider.
 * </ul>
 *
 * <p>The key is the remote address's host string and port, as the client gives it: the target
 * host, unresolved, also behind a proxy (Reactor Netty passes the target and connects through the
 * proxy itself). An address that is not an {@link InetSocketAddress} (a Unix domain socket) is not
 * regulated. No DNS lookup is made for the key.
 *
 * <p>This provider owns both the wrapped provider and the pool.
 *
 * <p>Thread-safe.
 */
public final class RegulatedConnectionProvider implements ConnectionProvider {
  private static final Duration DEFAULT_ACQUIRE_TIMEOUT = Duration.ofSeconds(30);

  private final ConnectionProvider delegate;
  private final RegulatedPool pool;
  private final Duration acquireTimeout;
  private final Function<? super SocketAddress, ? extends HostKey> hostKeys;
  // Leases whose slot is held: dispose() closes their channels. Each removes itself on release.
  private final Set<Lease> live = ConcurrentHashMap.newKeySet();
  // Set once by the first dispose; acquires check it, and so does a lease that learns its channel.
  private final AtomicBoolean disposed = new AtomicBoolean();

  private RegulatedConnectionProvider(Builder builder) {
    this.delegate = builder.delegate;
    this.pool = builder.pool;
    this.acquireTimeout = builder.acquireTimeout;
    // Each provider its own last key: the default keys of two providers never evict each other's.
    this.hostKeys = (builder.hostKeys != null) ? builder.hostKeys : lastKeyOf(new LastHostKey());
  }

  /** Wraps {@code delegate}; acquires wait up to 30 s for a slot. The result owns both arguments. */
  public static RegulatedConnectionProvider wrap(ConnectionProvider delegate, RegulatedPool pool) {
    return builder(delegate, pool).build();
  }

  /** A builder for a provider that wraps {@code delegate} and takes its slots from {@code pool}. */
  public static Builder builder(ConnectionProvider delegate, RegulatedPool pool) {
    return new Builder(delegate, pool);
  }

  /**
   * The default key of a remote address: its host string (the name as given, or the literal
   * address; never a reverse lookup) and port for an {@link InetSocketAddress}, resolved or not;
   * null, meaning not regulated, for any other address.
   *
   * @throws IllegalArgumentException if the host is not a valid name or address
   */
  public static HostKey hostKeyOf(SocketAddress address) {
    if (address instanceof InetSocketAddress) {
      InetSocketAddress inet = (InetSocketAddress) address;
      return HostKey.of(inet.getHostString(), inet.getPort());
    }
    return null;
  }

  /**
   * The default {@code hostKeys} of one provider: {@link #hostKeyOf}'s key, the last acquire's
   * again while the remote host string and port repeat (the client supplies the address anew on
   * every acquire, of one host mostly).
   */
  private static Function<SocketAddress, HostKey> lastKeyOf(LastHostKey keys) {
    return address -> {
      if (address instanceof InetSocketAddress) {
        InetSocketAddress inet = (InetSocketAddress) address;
        return keys.of(inet.getHostString(), inet.getPort());
      }
      return null;
    };
  }

  /** The pool this provider's slots come from. */
  public RegulatedPool pool() {
    return pool;
  }

  /** The wrapped provider. */
  public ConnectionProvider delegate() {
    return delegate;
  }

  /** How long an acquire waits for a slot before it fails with a {@code SlotTimeoutException}. */
  public Duration acquireTimeout() {
    return acquireTimeout;
  }

  /**
   * A connection from the wrapped provider, once a slot of the remote host is held. Fails with the
   * regulator's {@code SlotTimeoutException}, {@code HostOverloadedException} or {@code
   * PoolClosedException} when no slot comes, and with the wrapped provider's errors (the slot is
   * then back). Nothing happens until the {@code Mono} is requested.
   */
  @Override
  public Mono<? extends Connection> acquire(
      TransportConfig config,
      ConnectionObserver connectionObserver,
      Supplier<? extends SocketAddress> remoteAddress,
      AddressResolverGroup<?> resolverGroup) {
    Objects.requireNonNull(config, "config");
    Objects.requireNonNull(connectionObserver, "connectionObserver");
    if (remoteAddress == null) {
      // Nothing to key on; the wrapped provider says what that means (the pooled one refuses it).
      return delegate.acquire(config, connectionObserver, null, resolverGroup);
    }
    return new SlotAcquire(this, config, connectionObserver, remoteAddress, resolverGroup);
  }

  HostKey keyOf(SocketAddress address) {
    if (disposed.get()) {
      throw new PoolClosedException(pool.name());
    }
    return hostKeys.apply(address);
  }

  Lease newLease(Slot slot) {
    return new Lease(slot, this);
  }

  Set<Lease> live() {
    return live;
  }

  /** Fire and forget: {@code disposeLater().subscribe()}. */
  @Override
  public void dispose() {
    disposeLater().subscribe();
  }

  /**
   * On subscription: refuses new acquires, closes the channels still carrying exchanges and waits
   * for them to close (each gives its slot back), closes the pool (failing its waiters with {@code
   * PoolClosedException}), then disposes the wrapped provider. The first subscription does the
   * work; later ones only dispose the wrapped provider again, which is idempotent.
   */
  @Override
  public Mono<Void> disposeLater() {
    return Mono.defer(() -> {
      Mono<Void> closed = Mono.empty();
      if (disposed.compareAndSet(false, true)) {
        List<Mono<Void>> closing = new ArrayList<>();
        for (Lease lease : live) {
          ChannelFuture close = lease.closeChannel();
          if (close != null) {
            closing.add(Mono.create(sink -> close.addListener(f -> sink.success())));
          }
        }
        closed = Mono.when(closing).then(Mono.fromRunnable(pool::close));
      }
      return closed.then(delegate.disposeLater());
    });
  }

  /** Whether {@link #dispose()} or {@link #disposeLater()} ran. */
  @Override
  public boolean isDisposed() {
    return disposed.get();
  }

  @Override
  public void disposeWhen(SocketAddress remoteAddress) {
    delegate.disposeWhen(remoteAddress);
  }

  @Override
  public int maxConnections() {
    return delegate.maxConnections();
  }

  @Override
  public Map<SocketAddress, Integer> maxConnectionsPerHost() {
    return delegate.maxConnectionsPerHost();
  }

  /**
   * The wrapped provider's builder: what it builds is not regulated. Reactor Netty's HTTP/2 pool
   * reads its settings from here.
   */
  @Override
  public ConnectionProvider.Builder mutate() {
    return delegate.mutate();
  }

  @Override
  public String name() {
    return delegate.name();
  }

  @Override
  public String toString() {
    return "RegulatedConnectionProvider{pool=" + pool.name() + ", delegate=" + delegate + '}';
  }

  /** Builds a {@link RegulatedConnectionProvider}; validates eagerly. Not thread-safe. */
  public static final class Builder {
    private final ConnectionProvider delegate;
    private final RegulatedPool pool;
    private Duration acquireTimeout = DEFAULT_ACQUIRE_TIMEOUT;
    /** Null for the default: {@link #hostKeyOf}, through a last key of the provider's own. */
    private Function<? super SocketAddress, ? extends HostKey> hostKeys;

    private Builder(ConnectionProvider delegate, RegulatedPool pool) {
      this.delegate = Objects.requireNonNull(delegate, "delegate");
      this.pool = Objects.requireNonNull(pool, "pool");
      if (delegate instanceof RegulatedConnectionProvider) {
        throw new IllegalArgumentException("delegate is already regulated: " + delegate);
      }
    }

    /** How long an acquire waits for a slot; default 30 s; zero never waits. */
    public Builder acquireTimeout(Duration acquireTimeout) {
      Objects.requireNonNull(acquireTimeout, "acquireTimeout");
      if (acquireTimeout.isNegative()) {
        throw new IllegalArgumentException("acquireTimeout < 0: " + acquireTimeout);
      }
      this.acquireTimeout = acquireTimeout;
      return this;
    }

    /**
     * How a remote address maps to the host it counts against; null from the function means not
     * regulated. Default {@link RegulatedConnectionProvider#hostKeyOf}'s key, the last acquire's
     * reused while the remote host string and port repeat.
     */
    public Builder hostKeys(Function<? super SocketAddress, ? extends HostKey> hostKeys) {
      this.hostKeys = Objects.requireNonNull(hostKeys, "hostKeys");
      return this;
    }

    /** The provider. */
    public RegulatedConnectionProvider build() {
      return new RegulatedConnectionProvider(this);
    }
  }
}
