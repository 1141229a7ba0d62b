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
 * released to the manager. Thread-safe as far as the wrapped endpoint is.
 */
final class SlotAsyncEndpoint extends AsyncConnectionEndpoint
    implements SlottedEndpoint<AsyncConnectionEndpoint> {
  private final AsyncConnectionEndpoint inner;
  private final Slot slot;

  SlotAsyncEndpoint(AsyncConnectionEndpoint inner, Slot slot) {
    this.inner = inner;
    this.slot = slot;
  }

  @Override
  public AsyncConnectionEndpoint inner() {
    return inner;
  }

  @Override
  public void releaseSlot() {
    slot.release();
  }

  @Override
  public void execute(
      String id,
      AsyncClientExchangeHandler exchangeHandler,
      HandlerFactory<AsyncPushConsumer> pushHandlerFactory,
      HttpContext context) {
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
