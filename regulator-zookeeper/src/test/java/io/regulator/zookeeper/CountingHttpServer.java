package io.regulator.zookeeper;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.net.SocketTimeoutException;
import java.nio.charset.StandardCharsets;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;

/**
 * A loopback HTTP/1.1 server, one thread per connection, that counts the requests in progress
 * from every process at once and the most it ever saw, and the requests each node made (the
 * first path segment names it).
 *
 * <p>A request counts from its last header byte until just before its response is written, or
 * until its client's connection ends: a node killed with SIGKILL mid-request has its sockets
 * closed by the kernel, and a request nobody waits for any more must stop counting then, as the
 * real server's would. Its service time is a read with a time-out on the request's own socket: it
 * ends early exactly when the client went away (clients here never pipeline).
 *
 * <p>Thread-safe.
 */
final class CountingHttpServer implements AutoCloseable {
  private final ServerSocket listener;
  private final int serviceMillis;
  private final ExecutorService threads = Executors.newCachedThreadPool(r -> {
    Thread t = new Thread(r, "counting-http-server");
    t.setDaemon(true);
    return t;
  });
  private final AtomicInteger inProgress = new AtomicInteger();
  private final AtomicInteger maxInProgress = new AtomicInteger();
  private final AtomicLong abandoned = new AtomicLong();
  private final Map<String, AtomicLong> served = new ConcurrentHashMap<>();

  CountingHttpServer(int serviceMillis) throws IOException {
    this.serviceMillis = serviceMillis;
    listener = new ServerSocket(0, 200, InetAddress.getLoopbackAddress());
    threads.execute(this::accept);
  }

  int port() {
    return listener.getLocalPort();
  }

  int inProgress() {
    return inProgress.get();
  }

  int maxInProgress() {
    return maxInProgress.get();
  }

  /** Requests whose client went away before their response. */
  long abandoned() {
    return abandoned.get();
  }

  /** Requests answered to the node named {@code node}. */
  long served(String node) {
    AtomicLong count = served.get(node);
    return (count == null) ? 0 : count.get();
  }

  /** Forgets the highest count seen so far (between a control run and the real one). */
  void resetMax() {
    maxInProgress.set(inProgress.get());
  }

  private void accept() {
    while (!listener.isClosed()) {
      try {
        Socket socket = listener.accept();
        threads.execute(() -> serve(socket));
      } catch (IOException closed) {
        return;
      }
    }
  }

  private void serve(Socket socket) {
    try (socket) {
      InputStream in = socket.getInputStream();
      OutputStream out = socket.getOutputStream();
      while (true) {
        String node = readHead(in);
        if (node == null) {
          return; // the client closed its idle connection
        }
        maxInProgress.accumulateAndGet(inProgress.incrementAndGet(), Math::max);
        boolean clientGone;
        try {
          socket.setSoTimeout(serviceMillis);
          clientGone = in.read() < 0; // no pipelining: only an end of stream ends it early
        } catch (SocketTimeoutException served) {
          clientGone = false;
        } catch (IOException reset) {
          clientGone = true;
        } finally {
          inProgress.decrementAndGet();
        }
        if (clientGone) {
          abandoned.incrementAndGet();
          return;
        }
        socket.setSoTimeout(0);
        served.computeIfAbsent(node, n -> new AtomicLong()).incrementAndGet();
        out.write("HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok"
            .getBytes(StandardCharsets.US_ASCII));
        out.flush();
      }
    } catch (IOException e) {
      // the client went away between requests
    }
  }

  /** Reads one request head (no body: the nodes send GETs); returns its node, or null at EOF. */
  private static String readHead(InputStream in) throws IOException {
    StringBuilder head = new StringBuilder();
    int b;
    while ((b = in.read()) >= 0) {
      head.append((char) b);
      if (head.length() >= 4 && head.lastIndexOf("\r\n\r\n") == head.length() - 4) {
        String path = head.substring(head.indexOf(" ") + 1, head.indexOf(" ", head.indexOf(" ") + 1));
        return path.substring(1).split("/", 2)[0];
      }
    }
    return null;
  }

  @Override
  public void close() throws IOException {
    listener.close();
    threads.shutdownNow();
  }
}
