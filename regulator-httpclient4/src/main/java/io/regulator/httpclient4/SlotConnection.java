package io.regulator.httpclient4;

import io.regulator.Slot;
import java.io.IOException;
import java.lang.ref.Cleaner;
import java.util.concurrent.TimeUnit;
import org.apache.http.HttpClientConnection;
import org.apache.http.HttpConnectionMetrics;
import org.apache.http.HttpEntityEnclosingRequest;
import org.apache.http.HttpException;
import org.apache.http.HttpRequest;
import org.apache.http.HttpResponse;
import org.apache.http.conn.HttpClientConnectionManager;

/**
 * A leased connection and the slot it holds. The slot follows the lease, not the socket:
 * HttpClient closes a leased connection and connects it again when a proxy's authentication asks
 * for it, so the slot goes back only when the connection is released to the manager.
 *
 * <p>Thread-safe as far as the wrapped connection is.
 */
class SlotConnection implements HttpClientConnection {
  private final HttpClientConnection inner;
  private final Slot slot;
  private final Cleaner.Cleanable leakWatch;

  /** {@code acquiredAt}: the leak watch's time when the slot was taken; {@code site}: where, or null. */
  SlotConnection(HttpClientConnection inner, Slot slot, RegulatedConnections connections,
      long acquiredAt, Throwable site) {
    this.inner = inner;
    this.slot = slot;
    this.leakWatch = connections.leakWatch().watch(this,
        new Reclaim(connections.delegate(), inner, slot, connections.leakWatch(), acquiredAt, site));
  }

  HttpClientConnection inner() {
    return inner;
  }

  /** Gives the slot back; idempotent, as {@link Slot#release()} is. */
  void releaseSlot() {
    slot.release();
    // Unregisters the leak watch; were it already running, Reclaim finds the slot released.
    leakWatch.clean();
  }

  @Override
  public boolean isResponseAvailable(int timeout) throws IOException {
    return inner.isResponseAvailable(timeout);
  }

  @Override
  public void sendRequestHeader(HttpRequest request) throws HttpException, IOException {
    inner.sendRequestHeader(request);
  }

  @Override
  public void sendRequestEntity(HttpEntityEnclosingRequest request) throws HttpException, IOException {
    inner.sendRequestEntity(request);
  }

  @Override
  public HttpResponse receiveResponseHeader() throws HttpException, IOException {
    return inner.receiveResponseHeader();
  }

  @Override
  public void receiveResponseEntity(HttpResponse response) throws HttpException, IOException {
    inner.receiveResponseEntity(response);
  }

  @Override
  public void flush() throws IOException {
    inner.flush();
  }

  @Override
  public void close() throws IOException {
    inner.close();
  }

  @Override
  public boolean isOpen() {
    return inner.isOpen();
  }

  @Override
  public boolean isStale() {
    return inner.isStale();
  }

  @Override
  public void setSocketTimeout(int timeout) {
    inner.setSocketTimeout(timeout);
  }

  @Override
  public int getSocketTimeout() {
    return inner.getSocketTimeout();
  }

  @Override
  public void shutdown() throws IOException {
    inner.shutdown();
  }

  @Override
  public HttpConnectionMetrics getMetrics() {
    return inner.getMetrics();
  }

  @Override
  public String toString() {
    return inner.toString();
  }

  /**
   * Runs when a leased connection became unreachable unreleased: its response was dropped
   * unclosed. Refers to the parts, never to the wrapper, or the wrapper would never become
   * unreachable.
   */
  private static final class Reclaim implements Runnable {
    private final HttpClientConnectionManager manager;
    private final HttpClientConnection inner;
    private final Slot slot;
    private final LeakWatch leakWatch;
    private final long acquiredAt;
    private final Throwable site;

    Reclaim(HttpClientConnectionManager manager, HttpClientConnection inner, Slot slot,
        LeakWatch leakWatch, long acquiredAt, Throwable site) {
      this.manager = manager;
      this.inner = inner;
      this.slot = slot;
      this.leakWatch = leakWatch;
      this.acquiredAt = acquiredAt;
      this.site = site;
    }

    @Override
    public void run() {
      if (slot.isReleased()) {
        return;
      }
      try {
        // The exchange may be half read: shut the connection down, then hand its entry back to the pool.
        inner.shutdown();
      } catch (IOException | RuntimeException ignored) {
        // Broken already; it is released below either way.
      }
      try {
        manager.releaseConnection(inner, null, 0, TimeUnit.MILLISECONDS);
      } catch (RuntimeException ignored) {
        // The manager may be shut down already; the slot still has to come back.
      } finally {
        if (slot.release()) {
          leakWatch.report(slot, acquiredAt, site);
        }
      }
    }
  }
}
