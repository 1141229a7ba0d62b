package io.regulator.http.apache;

import io.regulator.Slot;
import io.regulator.http.RetryPolicy;
import io.regulator.http.internal.Attempts;
import io.regulator.http.internal.LeakWatch;
import java.io.IOException;
import java.lang.ref.Cleaner;
import org.apache.hc.client5.http.EndpointInfo;
import org.apache.hc.client5.http.io.ConnectionEndpoint;
import org.apache.hc.client5.http.io.HttpClientConnectionManager;
import org.apache.hc.core5.http.ClassicHttpRequest;
import org.apache.hc.core5.http.ClassicHttpResponse;
import org.apache.hc.core5.http.Header;
import org.apache.hc.core5.http.HttpHeaders;
import org.apache.hc.core5.http.HttpException;
import org.apache.hc.core5.http.impl.io.HttpRequestExecutor;
import org.apache.hc.core5.http.protocol.HttpContext;
import org.apache.hc.core5.io.CloseMode;
import org.apache.hc.core5.util.TimeValue;
import org.apache.hc.core5.util.Timeout;

/**
 * A leased connection and the slot it holds. The slot follows the lease, not the socket: HttpClient
 * may close a leased endpoint and connect it again (a proxy tunnel's authentication does), so the
 * slot goes back only when the endpoint is released to the manager.
 *
 * <p>Thread-safe as far as the wrapped endpoint is.
 */
final class SlotEndpoint extends ConnectionEndpoint
    implements SlottedEndpoint<ConnectionEndpoint> {
  private final ConnectionEndpoint inner;
  private final Slot slot;
  private final Cleaner.Cleanable leakWatch;
  private final RetryPolicy retryAfterCap;

  /**
   * {@code acquiredAt}: the leak watch's time when the slot was taken; {@code site}: where, or
   * null.
   */
  SlotEndpoint(ConnectionEndpoint inner, Slot slot, RegulatedConnections connections,
      long acquiredAt, Throwable site) {
    this.inner = inner;
    this.slot = slot;
    this.retryAfterCap = connections.retryPolicy();
    this.leakWatch = connections.leakWatch().watch(this,
        new Reclaim(connections.delegate(), inner, slot, connections.leakWatch(), acquiredAt, site));
  }

  @Override
  public ConnectionEndpoint inner() {
    return inner;
  }

  @Override
  public void releaseSlot() {
    slot.release();
    // Unregisters the leak watch; Reclaim finds the slot released and does nothing.
    leakWatch.clean();
  }

  @Override
  @SuppressWarnings("deprecation")
  public ClassicHttpResponse execute(
      String id, ClassicHttpRequest request, HttpRequestExecutor executor, HttpContext context)
      throws IOException, HttpException {
    long sentAt = System.nanoTime();
    try {
      return answered(inner.execute(id, request, executor, context), sentAt);
    } catch (IOException | HttpException | RuntimeException e) {
      Attempts.failed(slot, e);
      throw e;
    }
  }

  @Override
  public ClassicHttpResponse execute(
      String id, ClassicHttpRequest request, RequestExecutor requestExecutor, HttpContext context)
      throws IOException, HttpException {
    long sentAt = System.nanoTime();
    try {
      return answered(inner.execute(id, request, requestExecutor, context), sentAt);
    } catch (IOException | HttpException | RuntimeException e) {
      Attempts.failed(slot, e);
      throw e;
    }
  }

  /** Reports each exchange on this lease as an attempt (issue 16): timed from send to head. */
  private ClassicHttpResponse answered(ClassicHttpResponse response, long sentAt) {
    Header retryAfter = response.getFirstHeader(HttpHeaders.RETRY_AFTER);
    Attempts.answered(slot, response.getCode(), (retryAfter == null) ? null : retryAfter.getValue(),
        System.nanoTime() - sentAt, retryAfterCap);
    return response;
  }

  /** Reports a connect that failed: refused or timed out is push-back. */
  void connectFailed(IOException failure) {
    Attempts.failed(slot, failure);
  }

  @Override
  public boolean isConnected() {
    return inner.isConnected();
  }

  @Override
  public void setSocketTimeout(Timeout timeout) {
    inner.setSocketTimeout(timeout);
  }

  @Override
  public EndpointInfo getInfo() {
    return inner.getInfo();
  }

  @Override
  public void close(CloseMode closeMode) {
    inner.close(closeMode);
  }

  @Override
  public void close() throws IOException {
    inner.close();
  }

  @Override
  public String toString() {
    return inner.toString();
  }

  /**
   * Runs when a leased endpoint became unreachable unreleased: its response was dropped unclosed.
   * Refers to the parts, never to the endpoint, or the endpoint would never become unreachable.
   */
  private static final class Reclaim implements Runnable {
    private final HttpClientConnectionManager manager;
    private final ConnectionEndpoint inner;
    private final Slot slot;
    private final LeakWatch leakWatch;
    private final long acquiredAt;
    private final Throwable site;

    Reclaim(HttpClientConnectionManager manager, ConnectionEndpoint inner, Slot slot,
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
        // The exchange may be half read: close the connection, then hand the entry back to its pool.
        inner.close(CloseMode.IMMEDIATE);
        manager.release(inner, null, TimeValue.ZERO_MILLISECONDS);
      } catch (RuntimeException ignored) {
        // The manager may be closed already; the slot still has to come back.
      } finally {
        if (slot.release()) {
          leakWatch.report(slot, acquiredAt, site);
        }
      }
    }
  }
}
