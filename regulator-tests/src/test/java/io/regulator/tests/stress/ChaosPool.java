package io.regulator.tests.stress;

import io.regulator.RegulatedPool;
import java.net.http.HttpClient;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.locks.ReentrantLock;

/**
 * One HTTP pool of the soak, as a real pool behaves: its {@link RegulatedPool}, an HTTP client,
 * and the requests in flight on its slots. Closing it aborts those requests first and only then
 * closes the regulated pool, as an HTTP pool closes its connections before it gives their slots
 * back; so a request never outlives its slot.
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
    TRY_FIRST
  }

  final String name;
  final Kind kind;
  final RegulatedPool pool;
  final HttpClient http;
  private final ReentrantLock lock = new ReentrantLock();

  /** Written under lock; volatile so that diagnostics can read it without the lock. */
  private volatile boolean closing;

  /** Guarded by lock. */
  private final Set<InFlight> inFlight = new HashSet<>();

  ChaosPool(String name, Kind kind, RegulatedPool pool, HttpClient http) {
    this.name = name;
    this.kind = kind;
    this.pool = pool;
    this.http = http;
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

  /** Aborts every request in flight, then closes the regulated pool. */
  void close() {
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
    pool.close();
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
