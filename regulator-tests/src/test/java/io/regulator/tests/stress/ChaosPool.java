package io.regulator.tests.stress;

import io.regulator.RegulatedPool;
import java.io.IOException;
import java.net.http.HttpClient;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.locks.ReentrantLock;

/**
 * One HTTP pool of the soak: its {@link RegulatedPool}, an HTTP client, and the requests in flight
 * on it. A raw pool ({@link Kind#raw}) is the soak's own: its workers take the slots and send on a
 * plain JDK client; closing it aborts its requests first and only then closes the regulated pool,
 * as an HTTP pool closes its connections before it gives their slots back, so a request never
 * outlives its slot. A real pool is one of the project's integrations ({@link RealClient}), which
 * takes and gives back the slots itself; closing it abandons its requests at the server first,
 * then shuts the client down the way its users do, which closes the regulated pool.
 *
 * <p>Thread-safe.
 */
final class ChaosPool {
  /** How the pool's workers ask for a slot. */
  enum Kind {
    /** {@code acquire(key, timeout)}, or the default timeout. */
    BLOCKING,
    /** {@code acquireAsync}, then waiting, cancelling or completing the future. */
    ASYNC,
    /** {@code tryAcquire}, falling back to a short {@code acquire}. */
    TRY_FIRST,
    /** The JDK client through {@code RegulatedHttpClient.sendAsync}. */
    JDK_CLIENT,
    /** Apache HttpClient 5 classic on {@code RegulatedConnections}. */
    APACHE_CLASSIC,
    /** Apache HttpClient 5 async on {@code RegulatedAsyncConnections}. */
    APACHE_ASYNC,
    /** Apache HttpClient 4.5 on {@code io.regulator.httpclient4.RegulatedConnections}. */
    APACHE_4,
    /** OkHttp through {@code RegulatedOkHttp.enqueue}. */
    OKHTTP,
    /** Reactor Netty on {@code RegulatedConnectionProvider}. */
    REACTOR_NETTY,
    /** Jetty 12 with {@code RegulatedPoolFactory} installed. */
    JETTY;

    /** Whether the soak's workers take this pool's slots themselves. */
    boolean raw() {
      return this == BLOCKING || this == ASYNC || this == TRY_FIRST;
    }
  }

  final String name;
  final Kind kind;
  final RegulatedPool pool;
  /** The plain client of a raw pool; null for a real one. */
  final HttpClient http;
  /** The client of a real pool; null for a raw one. */
  final RealClient real;
  private final ReentrantLock lock = new ReentrantLock();

  /** Written under lock; volatile so that diagnostics can read it without the lock. */
  private volatile boolean closing;

  /** Guarded by lock. */
  private final Set<InFlight> inFlight = new HashSet<>();

  /** A raw pool. */
  ChaosPool(String name, Kind kind, RegulatedPool pool, HttpClient http) {
    this.name = name;
    this.kind = kind;
    this.pool = pool;
    this.http = http;
    this.real = null;
  }

  /** A real pool. */
  ChaosPool(String name, Kind kind, RealClient real) {
    this.name = name;
    this.kind = kind;
    this.pool = real.pool;
    this.http = null;
    this.real = real;
  }

  /**
   * Records a request about to go out on one of this pool's slots and starts counting it; false
   * once closing. Counting starts under the lock that close takes first, so every request counted
   * is ended by its worker or by close, before its slot goes back.
   */
  boolean register(InFlight request) {
    lock.lock();
    try {
      if (closing) {
        return false;
      }
      inFlight.add(request);
      request.owner = this;
      request.begin();
      return true;
    } finally {
      lock.unlock();
    }
  }

  void unregister(InFlight request) {
    lock.lock();
    try {
      inFlight.remove(request);
    } finally {
      lock.unlock();
    }
  }

  /**
   * Aborts every request in flight, then closes the regulated pool: a raw pool itself, a real one
   * by shutting its client down.
   */
  void close() throws IOException {
    List<InFlight> aborted;
    lock.lock();
    try {
      closing = true;
      aborted = new ArrayList<>(inFlight);
      inFlight.clear();
    } finally {
      lock.unlock();
    }
    for (InFlight request : aborted) {
      request.end();
    }
    if (real == null) {
      pool.close();
    } else {
      real.close();
    }
  }

  /** For failure messages; takes no lock. */
  boolean isClosing() {
    return closing;
  }

  @Override
  public String toString() {
    return name + " (" + kind + ")";
  }
}
