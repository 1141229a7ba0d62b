package io.regulator.httpclient4.test;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import io.regulator.HostKey;
import java.io.IOException;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.util.Map;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * A loopback HTTP server (the JDK's) that counts the requests in progress from all clients at
 * once and remembers the most it ever saw. A request counts from the moment its head and body are
 * read until just before the first byte of its response is written, so the count can never run
 * ahead of the slots the clients hold. Tests script the replies.
 */
final class LoopbackServer implements AutoCloseable {
  /** Decides the reply to request number {@code n} (from 1); may block to hold it in progress. */
  @FunctionalInterface
  interface Script {
    Reply reply(int n, HttpExchange exchange) throws Exception;
  }

  /** A reply: a status with headers and body, or a connection dropped without a response. */
  record Reply(int status, Map<String, String> headers, String body, boolean drop) {
    static Reply ok() {
      return new Reply(200, Map.of(), "ok", false);
    }

    static Reply retryAfter(int status, String retryAfter) {
      return new Reply(status, Map.of("Retry-After", retryAfter), "retry later", false);
    }

    static Reply status(int status) {
      return new Reply(status, Map.of(), "status " + status, false);
    }

    /** Closes the connection without a response: the client sees a read error. */
    static Reply dropConnection() {
      return new Reply(0, Map.of(), "", true);
    }
  }

  private final HttpServer server;
  private final ExecutorService executor = Executors.newCachedThreadPool(r -> {
    Thread t = new Thread(r, "loopback-server");
    t.setDaemon(true);
    return t;
  });
  private final AtomicInteger requests = new AtomicInteger();
  private final AtomicInteger inProgress = new AtomicInteger();
  private final AtomicInteger maxInProgress = new AtomicInteger();
  private volatile Script script = (n, exchange) -> Reply.ok();

  LoopbackServer() throws IOException {
    server = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 200);
    server.setExecutor(executor);
    server.createContext("/", this::handle);
    server.start();
  }

  LoopbackServer script(Script script) {
    this.script = script;
    return this;
  }

  private void handle(HttpExchange exchange) throws IOException {
    exchange.getRequestBody().readAllBytes();
    int n = requests.incrementAndGet();
    maxInProgress.accumulateAndGet(inProgress.incrementAndGet(), Math::max);
    Reply reply;
    try {
      reply = script.reply(n, exchange);
    } catch (Exception e) {
      reply = Reply.dropConnection();
    } finally {
      inProgress.decrementAndGet();
    }
    if (reply.drop()) {
      // The JDK server drops the connection of a handler that throws: a read error at the client.
      throw new IOException("scripted drop of request " + n);
    }
    reply.headers().forEach((name, value) -> exchange.getResponseHeaders().add(name, value));
    byte[] body = reply.body().getBytes(StandardCharsets.UTF_8);
    exchange.sendResponseHeaders(reply.status(), body.length == 0 ? -1 : body.length);
    try (OutputStream out = exchange.getResponseBody()) {
      out.write(body);
    }
  }

  String url(String path) {
    return "http://127.0.0.1:" + server.getAddress().getPort() + path;
  }

  HostKey key() {
    return HostKey.of("127.0.0.1", server.getAddress().getPort());
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

  @Override
  public void close() {
    server.stop(0);
    executor.shutdownNow();
  }
}
