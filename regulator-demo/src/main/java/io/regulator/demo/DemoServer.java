package io.regulator.demo;

import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.SelectionKey;
import java.nio.channels.Selector;
import java.nio.channels.ServerSocketChannel;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.Iterator;
import java.util.List;
import java.util.PriorityQueue;
import java.util.Set;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;

/**
 * A loopback HTTP/1.1 server on one selector thread that counts the requests in progress from all
 * clients at once, and the most it ever saw. A request counts from its last header byte until just
 * before its response is written, or until its client closes the connection: a pool that shuts
 * down closes its connections and hands their slots to others at once, so a request whose client
 * is gone must stop counting at once too. Before it counts a new request, the server looks at every
 * connection with a request in progress for an end of stream, so a close that reached it first is
 * always counted first.
 *
 * <p>Answers 200, or 429 with {@code Retry-After} at the configured rate, after a random service
 * time. With a capacity, a request that arrives while the server already has that many in
 * progress is answered 429 with {@code Retry-After} too, after the same service time (a refusal
 * holds its connection as long as an answer, as a busy server's does); it counts in progress like
 * any other. Thread-safe to read; its state is the selector thread's.
 */
final class DemoServer implements AutoCloseable {
  private static final String RETRY_AFTER_DATE_FORMAT = "EEE, dd MMM yyyy HH:mm:ss 'GMT'";

  private final ServerSocketChannel listener;
  private final Selector selector;
  private final Thread thread;
  private final double rate429;
  private final int latencyMillis;
  private volatile boolean running = true;
  /** Requests in progress above which a new one is refused with 429; 0 for no capacity. */
  private volatile int capacity;

  private final AtomicInteger inProgress = new AtomicInteger();
  private final AtomicInteger maxInProgress = new AtomicInteger();
  private final AtomicLong requests = new AtomicLong();
  private final AtomicLong throttled = new AtomicLong();
  private final AtomicLong abandoned = new AtomicLong();
  private final AtomicLong overCapacity = new AtomicLong();

  // Selector thread only.
  private final Set<Connection> busy = new HashSet<>();
  private final PriorityQueue<Connection> due =
      new PriorityQueue<>((a, b) -> Long.compare(a.dueNanos, b.dueNanos));

  /** One client connection; at most one request at a time (clients here do not pipeline). */
  private static final class Connection {
    final SocketChannel channel;
    final ByteBuffer in = ByteBuffer.allocate(16 * 1024);
    ByteBuffer out;
    boolean inRequest;
    long dueNanos;
    int status;
    boolean overCapacity;
    long sequence;

    Connection(SocketChannel channel) {
      this.channel = channel;
    }
  }

  DemoServer(double rate429, int latencyMillis) throws IOException {
    this(rate429, latencyMillis, 0);
  }

  DemoServer(double rate429, int latencyMillis, int capacity) throws IOException {
    if (capacity < 0) {
      throw new IllegalArgumentException("capacity < 0: " + capacity);
    }
    this.capacity = capacity;
    this.rate429 = rate429;
    this.latencyMillis = latencyMillis;
    selector = Selector.open();
    listener = ServerSocketChannel.open();
    listener.bind(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 1024);
    listener.configureBlocking(false);
    listener.register(selector, SelectionKey.OP_ACCEPT);
    thread = new Thread(this::run, "demo-server");
    thread.setDaemon(true);
    thread.start();
  }

  int port() {
    return listener.socket().getLocalPort();
  }

  int inProgress() {
    return inProgress.get();
  }

  int maxInProgress() {
    return maxInProgress.get();
  }

  long requests() {
    return requests.get();
  }

  long throttled() {
    return throttled.get();
  }

  int capacity() {
    return capacity;
  }

  /** Changes the capacity for the requests that arrive from now on; 0 for none. */
  void setCapacity(int capacity) {
    if (capacity < 0) {
      throw new IllegalArgumentException("capacity < 0: " + capacity);
    }
    this.capacity = capacity;
  }

  /** Requests answered 429 because the server was at its capacity (part of {@link #throttled}). */
  long overCapacity() {
    return overCapacity.get();
  }

  /** Requests whose client closed the connection before the response. */
  long abandoned() {
    return abandoned.get();
  }

  private void run() {
    ByteBuffer scratch = ByteBuffer.allocate(1);
    try {
      while (running) {
        long now = System.nanoTime();
        Connection next = due.peek();
        long waitMillis = (next == null) ? 100 : Math.max(1, (next.dueNanos - now + 999_999) / 1_000_000);
        selector.select(waitMillis);
        // Ends of stream first: a connection closed before a new request arrived must stop
        // counting before that request starts to.
        List<SelectionKey> ready = new ArrayList<>(selector.selectedKeys());
        selector.selectedKeys().clear();
        for (SelectionKey key : ready) {
          if (key.isValid() && key.attachment() instanceof Connection && ((Connection) key.attachment()).inRequest
              && key.isReadable()) {
            probeForClose((Connection) key.attachment(), key, scratch);
          }
        }
        for (SelectionKey key : ready) {
          if (!key.isValid()) {
            continue;
          }
          if (key.isAcceptable()) {
            accept();
          } else if (key.attachment() instanceof Connection) {
            Connection c = (Connection) key.attachment();
            if (key.isWritable()) {
              flush(c, key);
            }
            if (key.isValid() && key.isReadable() && !c.inRequest) {
              read(c, key, scratch);
            }
          }
        }
        respondDue();
      }
    } catch (IOException e) {
      if (running) {
        throw new IllegalStateException("demo server failed", e);
      }
    }
  }

  private void accept() throws IOException {
    SocketChannel channel;
    while ((channel = listener.accept()) != null) {
      channel.configureBlocking(false);
      channel.socket().setTcpNoDelay(true);
      channel.register(selector, SelectionKey.OP_READ, new Connection(channel));
    }
  }

  /** A connection with a request in progress is readable: only an end of stream can be next. */
  private void probeForClose(Connection c, SelectionKey key, ByteBuffer scratch) {
    scratch.clear();
    int n;
    try {
      n = c.channel.read(scratch);
    } catch (IOException e) {
      n = -1;
    }
    if (n < 0) {
      abandon(c, key);
    }
  }

  private void abandon(Connection c, SelectionKey key) {
    if (c.inRequest) {
      c.inRequest = false;
      busy.remove(c);
      due.remove(c);
      inProgress.decrementAndGet();
      abandoned.incrementAndGet();
    }
    key.cancel();
    try {
      c.channel.close();
    } catch (IOException ignored) {
      // closing anyway
    }
  }

  private void read(Connection c, SelectionKey key, ByteBuffer scratch) {
    int n;
    try {
      n = c.channel.read(c.in);
    } catch (IOException e) {
      n = -1;
    }
    if (n < 0 || !c.in.hasRemaining()) {
      abandon(c, key);
      return;
    }
    int end = headersEnd(c.in);
    if (end < 0) {
      return;
    }
    c.in.clear();
    // Every connection already carrying a request is looked at first: its client may have closed it.
    for (Connection other : new ArrayList<>(busy)) {
      SelectionKey otherKey = other.channel.keyFor(selector);
      if (otherKey != null) {
        probeForClose(other, otherKey, scratch);
      }
    }
    c.inRequest = true;
    busy.add(c);
    int before = inProgress.getAndIncrement();
    maxInProgress.accumulateAndGet(before + 1, Math::max);
    c.sequence = requests.incrementAndGet();
    ThreadLocalRandom random = ThreadLocalRandom.current();
    int cap = capacity;
    c.overCapacity = cap > 0 && before >= cap;
    c.status = (c.overCapacity || random.nextDouble() < rate429) ? 429 : 200;
    c.dueNanos = System.nanoTime() + random.nextLong(latencyMillis / 2 * 1_000_000L, latencyMillis * 3 / 2 * 1_000_000L + 1);
    due.add(c);
  }

  private static int headersEnd(ByteBuffer in) {
    int limit = in.position();
    for (int i = 3; i < limit; i++) {
      if (in.get(i - 3) == '\r' && in.get(i - 2) == '\n' && in.get(i - 1) == '\r' && in.get(i) == '\n') {
        return i + 1;
      }
    }
    return -1;
  }

  private void respondDue() {
    long now = System.nanoTime();
    Connection c;
    while ((c = due.peek()) != null && c.dueNanos <= now) {
      due.poll();
      busy.remove(c);
      c.inRequest = false;
      // Stops counting before the first response byte: no client can finish before this.
      inProgress.decrementAndGet();
      String body;
      String head;
      if (c.status == 429) {
        throttled.incrementAndGet();
        if (c.overCapacity) {
          overCapacity.incrementAndGet(); // after throttled: read first, it never exceeds throttled
        }
        body = "slow down\n";
        // Both Retry-After forms, alternately: one second as delta-seconds or as an HTTP-date.
        String retryAfter = (c.sequence % 2 == 0) ? "1"
            : java.time.format.DateTimeFormatter.ofPattern(RETRY_AFTER_DATE_FORMAT, java.util.Locale.US)
                .format(java.time.ZonedDateTime.now(java.time.ZoneOffset.UTC).plusSeconds(2));
        head = "HTTP/1.1 429 Too Many Requests\r\nRetry-After: " + retryAfter + "\r\n";
      } else {
        body = "ok " + c.sequence + "\n";
        head = "HTTP/1.1 200 OK\r\n";
      }
      String response = head + "Content-Type: text/plain\r\nContent-Length: " + body.length() + "\r\n\r\n" + body;
      c.out = ByteBuffer.wrap(response.getBytes(StandardCharsets.US_ASCII));
      SelectionKey key = c.channel.keyFor(selector);
      if (key != null && key.isValid()) {
        flush(c, key);
      }
    }
  }

  private void flush(Connection c, SelectionKey key) {
    try {
      if (c.out != null) {
        c.channel.write(c.out);
        if (c.out.hasRemaining()) {
          key.interestOps(SelectionKey.OP_READ | SelectionKey.OP_WRITE);
          return;
        }
        c.out = null;
      }
      key.interestOps(SelectionKey.OP_READ);
    } catch (IOException e) {
      abandon(c, key);
    }
  }

  @Override
  public void close() throws IOException {
    running = false;
    selector.wakeup();
    try {
      thread.join(2_000);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
    for (SelectionKey key : selector.keys()) {
      key.channel().close();
    }
    selector.close();
  }
}
