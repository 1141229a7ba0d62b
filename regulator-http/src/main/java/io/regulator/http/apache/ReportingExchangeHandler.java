package io.regulator.http.apache;

import io.regulator.Slot;
import io.regulator.http.RetryPolicy;
import io.regulator.http.internal.Attempts;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.util.List;
import java.util.concurrent.atomic.AtomicBoolean;
import org.apache.hc.core5.http.EntityDetails;
import org.apache.hc.core5.http.Header;
import org.apache.hc.core5.http.HttpException;
import org.apache.hc.core5.http.HttpHeaders;
import org.apache.hc.core5.http.HttpResponse;
import org.apache.hc.core5.http.nio.AsyncClientExchangeHandler;
import org.apache.hc.core5.http.nio.CapacityChannel;
import org.apache.hc.core5.http.nio.DataStreamChannel;
import org.apache.hc.core5.http.nio.RequestChannel;
import org.apache.hc.core5.http.protocol.HttpContext;

/**
 * One async exchange on a slotted endpoint, passed through to the client's handler, that reports
 * its outcome on the slot (issue 16): the response head's status and latency (timed from when
 * the request is produced), or the failure, or a cancel as ignored. Reports once.
 *
 * <p>Thread-safe as far as the wrapped handler is; the report is decided by one CAS.
 */
final class ReportingExchangeHandler implements AsyncClientExchangeHandler {
  private final AsyncClientExchangeHandler handler;
  private final Slot slot;
  private final RetryPolicy retryAfterCap;
  private final AtomicBoolean reported = new AtomicBoolean();
  private volatile long sentAt = System.nanoTime();

  ReportingExchangeHandler(AsyncClientExchangeHandler handler, Slot slot, RetryPolicy retryAfterCap) {
    this.handler = handler;
    this.slot = slot;
    this.retryAfterCap = retryAfterCap;
  }

  @Override
  public void produceRequest(RequestChannel channel, HttpContext context)
      throws HttpException, IOException {
    sentAt = System.nanoTime();
    handler.produceRequest(channel, context);
  }

  @Override
  public void consumeResponse(HttpResponse response, EntityDetails entityDetails,
      HttpContext context) throws HttpException, IOException {
    if (reported.compareAndSet(false, true)) {
      Header retryAfter = response.getFirstHeader(HttpHeaders.RETRY_AFTER);
      Attempts.answered(slot, response.getCode(),
          (retryAfter == null) ? null : retryAfter.getValue(), System.nanoTime() - sentAt,
          retryAfterCap);
    }
    handler.consumeResponse(response, entityDetails, context);
  }

  @Override
  public void consumeInformation(HttpResponse response, HttpContext context)
      throws HttpException, IOException {
    handler.consumeInformation(response, context);
  }

  @Override
  public void cancel() {
    if (reported.compareAndSet(false, true)) {
      slot.reportIgnored();
    }
    handler.cancel();
  }

  @Override
  public void failed(Exception cause) {
    if (reported.compareAndSet(false, true)) {
      Attempts.failed(slot, cause);
    }
    handler.failed(cause);
  }

  @Override
  public void updateCapacity(CapacityChannel capacityChannel) throws IOException {
    handler.updateCapacity(capacityChannel);
  }

  @Override
  public void consume(ByteBuffer src) throws IOException {
    handler.consume(src);
  }

  @Override
  public void streamEnd(List<? extends Header> trailers) throws HttpException, IOException {
    handler.streamEnd(trailers);
  }

  @Override
  public int available() {
    return handler.available();
  }

  @Override
  public void produce(DataStreamChannel channel) throws IOException {
    handler.produce(channel);
  }

  @Override
  public void releaseResources() {
    handler.releaseResources();
  }
}
