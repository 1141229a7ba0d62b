package io.regulator.tests.stress;

import io.regulator.Slot;
import java.util.concurrent.atomic.AtomicBoolean;

/**
 * A request in flight: on a raw pool it counts on the client side from {@link #begin} until {@link
 * #end}, which its worker calls before releasing the slot and its pool's close calls before taking
 * the slot back. A request its pool refused to register never began, and ends without counting.
 * Ending abandons the server-side {@link Exchange} and only then cancels the HTTP exchange, so
 * that on a real pool, whose client gives the slot back when the exchange ends, the server stops
 * counting the request before its slot can go back. A real pool's slots are not in the client
 * count (the client takes them out of the soak's sight); they are in the regulator's.
 *
 * <p>Thread-safe; {@link #end} is idempotent.
 */
final class InFlight {
  final Exchange exchange;
  /** The slot of a raw pool's request; null on a real pool. */
  private final Slot slot;
  private final HostWatch host;
  private final AtomicBoolean ended = new AtomicBoolean();

  /** Set under the pool's lock by {@link #begin}; read after a successful register or by close. */
  private volatile boolean begun;
  /** The pool that registered it, for failure messages. */
  volatile ChaosPool owner;
  private volatile Runnable cancel;

  InFlight(Exchange exchange, HostWatch host, Slot slot) {
    this.exchange = exchange;
    this.host = host;
    this.slot = slot;
  }

  @Override
  public String toString() {
    ChaosPool pool = owner;
    return "request " + exchange.id + (slot == null ? "" : " on " + slot) + (pool == null ? "" : " of " + pool
        + (pool.isClosing() ? " (closing)" : "") + (pool.pool.isClosed() ? " (closed)" : ""))
        + (begun ? "" : ", never began") + (ended.get() ? ", ended" : "");
  }

  /** Starts counting; only through {@link ChaosPool#register}, under the pool's lock. */
  void begin() {
    if (slot != null) {
      host.clientStarted(this);
    }
    begun = true;
  }

  /** The request went out; {@code cancel} aborts it. */
  void sent(Runnable cancel) {
    this.cancel = cancel;
    if (ended.get()) {
      cancel.run(); // ended by a close between begin and send
    }
  }

  /**
   * Stops counting the request. The whole of it runs under the host's lock, so that whoever calls
   * it second returns only once the first has finished: a pool's close that finds its request
   * already ending by its worker must not take the slot back while the request still counts (the
   * same race Lincheck found in the regulator's own close).
   */
  void end() {
    boolean[] first = new boolean[1];
    host.locked(() -> {
      if (ended.compareAndSet(false, true)) {
        first[0] = true;
        exchange.abandon();
        if (begun && slot != null) {
          host.clientEnded(this);
        }
      }
    });
    if (!first[0]) {
      return;
    }
    Runnable abort = cancel;
    if (abort != null) {
      abort.run();
    }
  }

  boolean begun() {
    return begun;
  }

  boolean ended() {
    return ended.get();
  }
}
