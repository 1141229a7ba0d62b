package io.regulator.tests.stress;

import io.regulator.Slot;
import java.net.http.HttpResponse;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.atomic.AtomicBoolean;

/**
 * A request in flight on a slot: it counts on the client side from {@link #begin} until {@link
 * #end}, which its worker calls before releasing the slot and its pool's close calls before taking
 * the slot back. A request its pool refused to register never began, and ends without counting. Ending abandons the server-side {@link Exchange} and cancels the HTTP exchange.
 *
 * <p>Thread-safe; {@link #end} is idempotent.
 */
final class InFlight {
  final Exchange exchange;
  private final Slot slot;
  private final HostWatch host;
  private final AtomicBoolean ended = new AtomicBoolean();

  /** Set under the pool's lock by {@link #begin}; read after a successful register or by close. */
  private volatile boolean begun;
  /** The pool that registered it, for failure messages. */
  volatile ChaosPool owner;
  private volatile CompletableFuture<HttpResponse<Void>> response;

  InFlight(Exchange exchange, HostWatch host, Slot slot) {
    this.exchange = exchange;
    this.host = host;
    this.slot = slot;
  }

  @Override
  public String toString() {
    ChaosPool pool = owner;
    return "request " + exchange.id + " on " + slot + (pool == null ? "" : " of " + pool
        + (pool.isClosing() ? " (closing)" : "") + (pool.pool.isClosed() ? " (closed)" : ""))
        + (begun ? "" : ", never began") + (ended.get() ? ", ended" : "");
  }

  /** Starts counting; only through {@link ChaosPool#register}, under the pool's lock. */
  void begin() {
    host.clientStarted(this);
    begun = true;
  }

  void sent(CompletableFuture<HttpResponse<Void>> future) {
    response = future;
    if (ended.get()) {
      future.cancel(true); // ended by a close between begin and send
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
        if (begun) {
          host.clientEnded(this);
        }
      }
    });
    if (!first[0]) {
      return;
    }
    CompletableFuture<HttpResponse<Void>> future = response;
    if (future != null) {
      future.cancel(true);
    }
  }

  boolean begun() {
    return begun;
  }

  boolean ended() {
    return ended.get();
  }
}
