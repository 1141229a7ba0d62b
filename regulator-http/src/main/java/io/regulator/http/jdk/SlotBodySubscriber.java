package io.regulator.http.jdk;

import java.net.http.HttpResponse.BodySubscriber;
import java.nio.ByteBuffer;
import java.util.List;
import java.util.Objects;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.Flow;

/**
 * Passes a response body on to the caller's subscriber and gives the exchange's slot back when the
 * body ends: fully received, failed, or cancelled (closing a streaming body early cancels).
 *
 * <p>Called by the JDK client under the reactive-streams rules: signals in order, never
 * concurrently. Releasing is idempotent, so a cancel racing a completion is harmless.
 */
final class SlotBodySubscriber<T> implements BodySubscriber<T> {
  private final BodySubscriber<T> delegate;
  private final Exchange exchange;

  SlotBodySubscriber(BodySubscriber<T> delegate, Exchange exchange) {
    this.delegate = Objects.requireNonNull(delegate, "the body handler returned a null subscriber");
    this.exchange = exchange;
  }

  @Override
  public CompletionStage<T> getBody() {
    return delegate.getBody();
  }

  @Override
  public void onSubscribe(Flow.Subscription subscription) {
    delegate.onSubscribe(new Flow.Subscription() {
      @Override
      public void request(long n) {
        subscription.request(n);
      }

      @Override
      public void cancel() {
        // The caller closed a streaming body early: the JDK drops the connection, so the slot is free.
        subscription.cancel();
        exchange.release();
      }
    });
  }

  @Override
  public void onNext(List<ByteBuffer> item) {
    delegate.onNext(item);
  }

  @Override
  public void onError(Throwable throwable) {
    exchange.release();
    delegate.onError(throwable);
  }

  @Override
  public void onComplete() {
    // Released before the caller hears of it: the body is all in, so the connection carries
    // nothing more, and a caller that sends its next request on completion finds the slot free.
    exchange.release();
    delegate.onComplete();
  }
}
