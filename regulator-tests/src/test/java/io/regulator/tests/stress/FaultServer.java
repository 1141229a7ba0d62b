package io.regulator.tests.stress;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import java.io.IOException;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.locks.LockSupport;

/**
 * A loopback HTTP server on 127.0.0.1 that injects the {@link Fault} its client chose for each
 * request, and counts the requests it is handling (through {@link Exchange}). Each instance listens
 * on its own port, so each is a host of its own to the regulator.
 *
 * <p>The client registers an {@link Exchange} under a fresh id before sending {@code GET /x/<id>};
 * the server looks the id up. An id it does not know (the client finished with it already, or the
 * HTTP client retried a dropped request) is answered 410 and not counted.
 *
 * <p>Thread-safe.
 */
final class FaultServer implements AutoCloseable {
  /** Longest a {@link Fault#HANG} handler waits for its client to give up. */
  static final long HANG_BOUND_NANOS = TimeUnit.SECONDS.toNanos(2);

  private static final byte[] BODY = "ok".getBytes(StandardCharsets.US_ASCII);
  private static final AtomicInteger THREADS = new AtomicInteger();

  private final HttpServer server;
  private final ExecutorService handlers;
  private final ConcurrentMap<Long, Exchange> exchanges;

  FaultServer(ConcurrentMap<Long, Exchange> exchanges) throws IOException {
    this.exchanges = exchanges;
    this.server = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 128);
    this.handlers = Executors.newCachedThreadPool(runnable -> {
      Thread thread = new Thread(runnable, "fault-server-" + THREADS.incrementAndGet());
      thread.setDaemon(true);
      return thread;
    });
    server.setExecutor(handlers);
    server.createContext("/x/", this::handle);
    server.start();
  }

  static ConcurrentMap<Long, Exchange> newExchangeTable() {
    return new ConcurrentHashMap<>();
  }

  int port() {
    return server.getAddress().getPort();
  }

  URI uri(long id) {
    return URI.create("http://127.0.0.1:" + port() + "/x/" + id);
  }

  private void handle(HttpExchange http) throws IOException {
    try {
      String path = http.getRequestURI().getPath();
      Exchange exchange = exchanges.get(Long.parseLong(path.substring(path.lastIndexOf('/') + 1)));
      if (exchange == null || !exchange.start()) {
        respond(http, 410, null);
        return;
      }
      switch (exchange.fault) {
        case NONE -> answer(http, exchange, 200, null);
        case SLOW -> {
          // Fault injection: the response comes late. Nothing in the test waits for it.
          LockSupport.parkNanos(exchange.delayNanos);
          answer(http, exchange, 200, null);
        }
        case HANG -> {
          exchange.hang(HANG_BOUND_NANOS);
          answer(http, exchange, 200, null);
        }
        case RESET -> exchange.finish(); // closed below without a status line
        case TOO_MANY_REQUESTS -> answer(http, exchange, 429, "1");
        case UNAVAILABLE -> answer(http, exchange, 503, "0");
        case CRASH -> {
          exchange.finish();
          throw new IllegalStateException("injected handler crash");
        }
      }
    } finally {
      http.close();
    }
  }

  /** Stops counting the request, then answers it, unless its client gave up meanwhile. */
  private static void answer(HttpExchange http, Exchange exchange, int status, String retryAfter)
      throws IOException {
    if (exchange.finish()) {
      respond(http, status, retryAfter);
    }
  }

  private static void respond(HttpExchange http, int status, String retryAfter)
      throws IOException {
    if (retryAfter != null) {
      http.getResponseHeaders().set("Retry-After", retryAfter);
    }
    http.sendResponseHeaders(status, BODY.length);
    try (OutputStream body = http.getResponseBody()) {
      body.write(BODY);
    }
  }

  /** Stops listening and waits (bounded) for every handler thread to end. */
  @Override
  public void close() {
    server.stop(0);
    handlers.shutdown();
  }

  boolean awaitHandlers(long timeout, TimeUnit unit) throws InterruptedException {
    return handlers.awaitTermination(timeout, unit);
  }
}
