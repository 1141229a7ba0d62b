package io.regulator.http.apache;

import io.regulator.Slot;
import org.apache.hc.client5.http.EndpointInfo;
import org.apache.hc.client5.http.nio.AsyncConnectionEndpoint;
import org.apache.hc.core5.http.nio.AsyncClientExchangeHandler;
import org.apache.hc.core5.http.nio.AsyncPushConsumer;
import org.apache.hc.core5.http.nio.HandlerFactory;
import org.apache.hc.core5.http.protocol.HttpContext;
import org.apache.hc.core5.io.CloseMode;
import org.apache.hc.core5.util.Timeout;

/**
 * A leased asynchronous connection (or HTTP/2 stream lease) and the slot it holds until it is
 * released to the manager or, with {@link ReleaseBeforeRetry#install}, until the final response
 * of its exchange has been received in full, whichever comes first. Thread-safe as far as the wrapped endpoint is.
 */
final class SlotAsyncEndpoint extends AsyncConnectionEndpoint {
  /** The context attribute naming the endpoint that runs the context's current exchange. */
  static final String CONTEXT_ATTRIBUTE = "io.regulator.http.apache.endpoint";

  private final AsyncConnectionEndpoint inner;
  private final Slot slot;

  SlotAsyncEndpoint(AsyncConnectionEndpoint inner, Slot slot) {
    this.inner = inner;
    this.slot = slot;
  }

  AsyncConnectionEndpoint inner() {
    return inner;
  }

  void releaseSlot() {
    slot.release();
  }

  @Override
  public void execute(
      String id,
      AsyncClientExchangeHandler exchangeHandler,
      HandlerFactory<AsyncPushConsumer> pushHandlerFactory,
      HttpContext context) {
    if (context != null) {
      // The exchange's final response is seen only at the top of the client's chain; see ReleaseOnFinalResponse.
      context.setAttribute(CONTEXT_ATTRIBUTE, this);
    }
    inner.execute(id, exchangeHandler, pushHandlerFactory, context);
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
  public String toString() {
    return inner.toString();
  }
}
