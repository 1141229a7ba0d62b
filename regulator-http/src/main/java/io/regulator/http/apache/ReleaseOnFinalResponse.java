package io.regulator.http.apache;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.util.List;
import org.apache.hc.client5.http.async.AsyncExecCallback;
import org.apache.hc.client5.http.async.AsyncExecChain;
import org.apache.hc.client5.http.async.AsyncExecChainHandler;
import org.apache.hc.core5.http.EntityDetails;
import org.apache.hc.core5.http.Header;
import org.apache.hc.core5.http.HttpException;
import org.apache.hc.core5.http.HttpRequest;
import org.apache.hc.core5.http.HttpResponse;
import org.apache.hc.core5.http.nio.AsyncDataConsumer;
import org.apache.hc.core5.http.nio.AsyncEntityProducer;
import org.apache.hc.core5.http.nio.CapacityChannel;

/**
 * First in the async client's chain: gives the slot back as soon as the caller's final response
 * has been received in full, before the caller's future completes. HttpClient completes the
 * future from the response consumer and only then releases the endpoint to the manager, so a
 * caller that saw every future done could still read the slot in use (for up to the I/O thread's
 * next turn). Only final responses reach the top of the chain (redirects, retries and
 * authentication challenges are consumed below it), so no later exchange of the same lease runs
 * without its slot. The endpoint's own release afterwards gives back nothing twice. Installed by
 * {@link ReleaseBeforeRetry#install}. Stateless and thread-safe.
 */
final class ReleaseOnFinalResponse implements AsyncExecChainHandler {
  static final String NAME = "regulator-release-on-final-response";

  @Override
  public void execute(
      HttpRequest request,
      AsyncEntityProducer entityProducer,
      AsyncExecChain.Scope scope,
      AsyncExecChain chain,
      AsyncExecCallback callback) throws HttpException, IOException {
    chain.proceed(request, entityProducer, scope, new AsyncExecCallback() {
      @Override
      public AsyncDataConsumer handleResponse(HttpResponse response, EntityDetails entityDetails)
          throws HttpException, IOException {
        if (entityDetails == null) {
          releaseSlot(scope); // no body: the response is complete now
          return callback.handleResponse(response, null);
        }
        AsyncDataConsumer consumer = callback.handleResponse(response, entityDetails);
        return (consumer == null) ? null : new ReleasingConsumer(consumer, scope);
      }

      @Override
      public void handleInformationResponse(HttpResponse response) throws HttpException, IOException {
        callback.handleInformationResponse(response);
      }

      @Override
      public void completed() {
        callback.completed();
      }

      @Override
      public void failed(Exception cause) {
        callback.failed(cause);
      }
    });
  }

  private static void releaseSlot(AsyncExecChain.Scope scope) {
    if (scope.clientContext.getAttribute(SlotAsyncEndpoint.CONTEXT_ATTRIBUTE) instanceof SlotAsyncEndpoint endpoint) {
      endpoint.releaseSlot();
    }
  }

  /** The caller's response consumer, with the slot given back when the body ends. */
  private static final class ReleasingConsumer implements AsyncDataConsumer {
    private final AsyncDataConsumer inner;
    private final AsyncExecChain.Scope scope;

    ReleasingConsumer(AsyncDataConsumer inner, AsyncExecChain.Scope scope) {
      this.inner = inner;
      this.scope = scope;
    }

    @Override
    public void updateCapacity(CapacityChannel capacityChannel) throws IOException {
      inner.updateCapacity(capacityChannel);
    }

    @Override
    public void consume(ByteBuffer src) throws IOException {
      inner.consume(src);
    }

    @Override
    public void streamEnd(List<? extends Header> trailers) throws HttpException, IOException {
      releaseSlot(scope);
      inner.streamEnd(trailers);
    }

    @Override
    public void releaseResources() {
      inner.releaseResources();
    }
  }
}
