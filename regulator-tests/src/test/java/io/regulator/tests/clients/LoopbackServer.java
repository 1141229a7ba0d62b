package io.regulator.tests.clients;

import io.regulator.HostKey;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.URI;
import java.nio.ByteBuffer;
import java.nio.channels.SelectionKey;
import java.nio.channels.Selector;
import java.nio.channels.ServerSocketChannel;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * An HTTP/1.1 loopback server that counts requests in progress as the host sees them, holds every
 * request until the test opens its gate, and notices at once when a client gives a held request up
 * by closing its connection.
 *
 * <p>One selector thread does everything. In each round it settles the connections that closed
 * before it counts the requests that arrived, so a client that closes its connection and only then
 * gives its slot to another pool is never counted twice: its end is readable no later than the new
 * request, which needs a new connection or a round trip first.
 *
 * <p>Thread-safe: the counters are atomics; the gate is read by the selector thread.
 */
final class LoopbackServer implements AutoCloseable {

  private static final byte[] RESPONSE =
      ("HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nContent-Length: 2\r\n\r\nok")
          .getBytes(StandardCharsets.US_ASCII);

  private final Selector selector;
  private final ServerSocketChannel listener;
  private final Thread loop;
  private final AtomicInteger inProgress = new AtomicInteger();
  private final AtomicInteger max = new AtomicInteger();
  private final AtomicInteger served = new AtomicInteger();
  private final AtomicInteger abandoned = new AtomicInteger();
  private volatile boolean open;
  /** The requests held when the highest count was reached, for failure messages. */
  private volatile List<String> peak = List.of();
  private volatile boolean closed;

  LoopbackServer() throws IOException {
    selector = Selector.open();
    listener = ServerSocketChannel.open();
    listener.bind(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 512);
    listener.configureBlocking(false);
    listener.register(selector, SelectionKey.OP_ACCEPT);
    loop = new Thread(this::run, "loopback-server");
    loop.setDaemon(true);
    loop.start();
  }

  int port() {
    return listener.socket().getLocalPort();
  }

  URI uri(String path) {
    return URI.create("http://127.0.0.1:" + port() + path);
  }

  HostKey key() {
    return HostKey.of("127.0.0.1", port());
  }

  /** Requests the server has read and not yet answered, whose client is still there. */
  int inProgress() {
    return inProgress.get();
  }

  /** The most requests ever in progress at once since the start or the last {@link #hold()}. */
  int maxInProgress() {
    return max.get();
  }

  /** The request lines held when {@link #maxInProgress()} was reached. */
  List<String> peak() {
    return peak;
  }

  private List<String> heldRequests() {
    List<String> held = new ArrayList<>();
    for (SelectionKey key : selector.keys()) {
      if (key.isValid() && key.attachment() instanceof Connection c && c.held) {
        held.add(c.requestLine);
      }
    }
    return held;
  }

  int served() {
    return served.get();
  }

  /** Requests whose client closed the connection while the server held them. */
  int abandoned() {
    return abandoned.get();
  }

  /** Answers every held request, and every later one at once. */
  void open() {
    open = true;
    selector.wakeup();
  }

  /** Holds requests again, and forgets the highest count seen. */
  void hold() {
    open = false;
    max.set(inProgress.get());
    peak = List.of();
  }

  @Override
  public void close() throws IOException {
    closed = true;
    selector.wakeup();
    try {
      loop.join(10_000);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
    for (SelectionKey key : selector.keys()) {
      key.channel().close();
    }
    selector.close();
  }

  /** One connection: the bytes of the request being read, and whether a request is held. */
  private static final class Connection {
    final StringBuilder head = new StringBuilder();
    String requestLine = "";
    int bodyLeft = -1;
    boolean held;
  }

  private void run() {
    ByteBuffer buffer = ByteBuffer.allocate(16 * 1024);
    List<SelectionKey> arrived = new ArrayList<>();
    try {
      while (!closed) {
        selector.select();
        arrived.clear();
        Iterator<SelectionKey> keys = selector.selectedKeys().iterator();
        while (keys.hasNext()) {
          SelectionKey key = keys.next();
          keys.remove();
          if (!key.isValid()) {
            continue;
          }
          if (key.isAcceptable()) {
            SocketChannel channel = listener.accept();
            if (channel != null) {
              channel.configureBlocking(false);
              channel.register(selector, SelectionKey.OP_READ, new Connection());
            }
          } else if (key.isReadable() && read(key, buffer)) {
            arrived.add(key);
          }
        }
        // Ends first (read() settled them), then the requests that arrived in the same round.
        for (SelectionKey key : arrived) {
          ((Connection) key.attachment()).held = true;
          int now = inProgress.incrementAndGet();
          if (now > max.getAndAccumulate(now, Math::max)) {
            peak = heldRequests();
          }
        }
        if (open) {
          for (SelectionKey key : selector.keys()) {
            if (key.isValid() && key.attachment() instanceof Connection c && c.held) {
              answer(key, c);
            }
          }
        }
      }
    } catch (IOException e) {
      if (!closed) {
        throw new UncheckedIOException(e);
      }
    }
  }

  /** Reads what the connection has; true when a whole request has just arrived. */
  private boolean read(SelectionKey key, ByteBuffer buffer) {
    SocketChannel channel = (SocketChannel) key.channel();
    Connection c = (Connection) key.attachment();
    boolean complete = false;
    try {
      buffer.clear();
      int n = channel.read(buffer);
      if (n < 0) {
        end(key, c);
        return false;
      }
      buffer.flip();
      while (buffer.hasRemaining()) {
        if (c.bodyLeft > 0) {
          int skip = Math.min(c.bodyLeft, buffer.remaining());
          buffer.position(buffer.position() + skip);
          c.bodyLeft -= skip;
        } else {
          c.head.append((char) buffer.get());
          if (c.head.length() >= 4 && c.head.lastIndexOf("\r\n\r\n") == c.head.length() - 4) {
            c.bodyLeft = contentLength(c.head.toString());
            c.requestLine = c.head.substring(0, Math.max(0, c.head.indexOf("\r\n")));
          }
        }
        if (c.bodyLeft == 0) {
          c.head.setLength(0);
          c.bodyLeft = -1;
          complete = true;
        }
      }
    } catch (IOException e) {
      end(key, c);
      return false;
    }
    return complete;
  }

  private void end(SelectionKey key, Connection c) {
    if (c.held) {
      c.held = false;
      inProgress.decrementAndGet();
      abandoned.incrementAndGet();
    }
    key.cancel();
    try {
      key.channel().close();
    } catch (IOException ignored) {
      // closing a connection the client already closed
    }
  }

  private void answer(SelectionKey key, Connection c) {
    c.held = false;
    inProgress.decrementAndGet();
    try {
      ByteBuffer out = ByteBuffer.wrap(RESPONSE);
      SocketChannel channel = (SocketChannel) key.channel();
      while (out.hasRemaining()) {
        channel.write(out);
      }
      served.incrementAndGet();
    } catch (IOException e) {
      abandoned.incrementAndGet();
      key.cancel();
    }
  }

  private static int contentLength(String head) {
    for (String line : head.split("\r\n")) {
      int colon = line.indexOf(':');
      if (colon > 0 && line.substring(0, colon).trim().toLowerCase(Locale.ROOT).equals("content-length")) {
        return Integer.parseInt(line.substring(colon + 1).trim());
      }
    }
    return 0;
  }
}
