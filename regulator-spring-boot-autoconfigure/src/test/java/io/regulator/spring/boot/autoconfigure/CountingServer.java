package io.regulator.spring.boot.autoconfigure;

import com.sun.net.httpserver.HttpServer;
import io.regulator.HostKey;
import java.io.IOException;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * A loopback server that counts requests in progress (and the most ever at once) and holds each
 * request until the test opens its gate, so that a test can look at the counts while requests are
 * in flight.
 */
final class CountingServer implements AutoCloseable {

  private final HttpServer server;
  private final ExecutorService threads = Executors.newCachedThreadPool();
  private final AtomicInteger inProgress = new AtomicInteger();
  private final AtomicInteger max = new AtomicInteger();
  private final AtomicInteger served = new AtomicInteger();
  private volatile CountDownLatch gate = new CountDownLatch(1);

  CountingServer() throws IOException {
    server = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 200);
    server.setExecutor(threads);
    server.createContext(
        "/",
        exchange -> {
          int now = inProgress.incrementAndGet();
          max.accumulateAndGet(now, Math::max);
          try {
            exchange.getRequestBody().readAllBytes();
            if (!gate.await(30, TimeUnit.SECONDS)) {
              throw new IOException("the test never opened the gate");
            }
            byte[] body = "ok".getBytes(StandardCharsets.US_ASCII);
            exchange.sendResponseHeaders(200, body.length);
            try (OutputStream out = exchange.getResponseBody()) {
              out.write(body);
            }
            served.incrementAndGet();
          } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
          } finally {
            inProgress.decrementAndGet();
            exchange.close();
          }
        });
    server.start();
  }

  int port() {
    return server.getAddress().getPort();
  }

  String url() {
    return "http://127.0.0.1:" + port() + "/";
  }

  HostKey key() {
    return HostKey.of("127.0.0.1", port());
  }

  int inProgress() {
    return inProgress.get();
  }

  int maxInProgress() {
    return max.get();
  }

  int served() {
    return served.get();
  }

  /** Lets every held request and every later one through. */
  void open() {
    gate.countDown();
  }

  /** Holds requests again, and forgets the highest count seen. */
  void hold() {
    gate = new CountDownLatch(1);
    max.set(0);
  }

  @Override
  public void close() {
    open();
    server.stop(0);
    threads.shutdownNow();
  }
}
