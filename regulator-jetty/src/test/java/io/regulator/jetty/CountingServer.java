package io.regulator.jetty;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import io.regulator.HostKey;
import java.io.IOException;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * A loopback HTTP server that counts the requests in progress from all clients at once and
 * remembers the most it ever saw. A request counts from the moment its head and body are read until
 * just before the first byte of its response is written, so the count can never run ahead of the
 * slots the clients hold. Tests script the replies.
 */
final class CountingServer implements AutoCloseable {
  /** Decides the reply to request number {@code n} (from 1); may block to hold it in progress. */
  @FunctionalInterface
  interface Script {
    Reply reply(int n, HttpExchange exchange) throws Exception;
  }

  /** A reply: a status with headers and body, or an aborted connection, or a body that never ends. */
  record Reply(int status, Map<String, String> headers, String body, boolean abort, boolean endless) {
    static Reply ok() {
      return new Reply(200, Map.of(), "ok", false, false);
    }

    static Reply status(int status) {
      return new Reply(status, Map.of(), "status " + status, false, false);
    }

    static Reply retryAfter(int status, String retryAfter) {
      return new Reply(status, Map.of("Retry-After", retryAfter), "retry later", false, false);
    }

    /** Closes the connection without a response: the client sees a read error. */
    static Reply dropConnection() {
      return new Reply(0, Map.of(), "", true, false);
    }

    /** 200 with a body streamed until the client goes away. */
    static Reply endlessBody() {
      return new Reply(200, Map.of(), "", false, true);
    }
  }

  private final HttpServer server;
  private final ExecutorService executor = Executors.newCachedThreadPool(r -> {
    Thread t = new Thread(r, "counting-server");
    t.setDaemon(true);
    return t;
  });
  private final AtomicInteger requests = new AtomicInteger();
  private final AtomicInteger inProgress = new AtomicInteger();
  private final AtomicInteger maxInProgress = new AtomicInteger();
  private final List<String> arrivals = new CopyOnWriteArrayList<>();
  private volatile Script script = (n, exchange) -> Reply.ok();

  CountingServer() throws IOException {
    server = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 200);
    server.setExecutor(executor);
    server.createContext("/", this::handle);
    server.start();
  }

  CountingServer script(Script script) {
    this.script = script;
    return this;
  }

  private void handle(HttpExchange exchange) throws IOException {
    exchange.getRequestBody().readAllBytes();
    int n = requests.incrementAndGet();
    arrivals.add(exchange.getRequestURI().getPath());
    maxInProgress.accumulateAndGet(inProgress.incrementAndGet(), Math::max);
    Reply reply;
    try {
      reply = script.reply(n, exchange);
    } catch (Exception e) {
      reply = Reply.dropConnection();
    } finally {
      inProgress.decrementAndGet();
    }
    if (reply.abort()) {
      // The JDK server drops the connection of a handler that throws: a read error at the client.
      throw new IOException("scripted abort of request " + n);
    }
    reply.headers().forEach((name, value) -> exchange.getResponseHeaders().add(name, value));
    if (reply.endless()) {
      exchange.sendResponseHeaders(reply.status(), 0);
      byte[] chunk = new byte[64 * 1024];
      try (OutputStream out = exchange.getResponseBody()) {
        for (int i = 0; i < 4096; i++) {
          out.write(chunk);
        }
      } catch (IOException clientWentAway) {
        // expected: the client closed or cancelled the stream
      }
      return;
    }
    byte[] body = reply.body().getBytes(StandardCharsets.UTF_8);
    exchange.sendResponseHeaders(reply.status(), body.length == 0 ? -1 : body.length);
    try (OutputStream out = exchange.getResponseBody()) {
      out.write(body);
    }
  }

  URI uri(String path) {
    return URI.create("http://127.0.0.1:" + server.getAddress().getPort() + path);
  }

  HostKey key() {
    return HostKey.of("127.0.0.1", server.getAddress().getPort());
  }

  int port() {
    return server.getAddress().getPort();
  }

  int requests() {
    return requests.get();
  }

  int inProgress() {
    return inProgress.get();
  }

  int maxInProgress() {
    return maxInProgress.get();
  }

  /** The paths of all requests, in the order they arrived. */
  List<String> arrivals() {
    return List.copyOf(arrivals);
  }

  @Override
  public void close() {
    server.stop(0);
    executor.shutdownNow();
  }
}
