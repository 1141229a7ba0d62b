package io.regulator.http.jdk;

import java.lang.ref.Cleaner;
import java.lang.ref.WeakReference;
import java.net.http.HttpResponse.BodySubscriber;
import java.nio.ByteBuffer;
import java.util.List;
import java.util.Objects;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.Flow;

/**
 * Passes a response body on to the caller's subscriber and gives the exchange's slot back when the
 * body ends: fully received, failed, or cancelled (a streaming body closed early cancels).
 *
 * <p>A body that is its own subscriber, as {@code BodyHandlers.ofInputStream()} makes, is held
 * weakly: the JDK keeps this subscriber reachable while the connection is open, so holding the
 * stream strongly would keep a dropped stream, and its slot, alive forever. Once the caller drops
 * it, the leak watch cancels the exchange and reclaims the slot.
 *
 * <p>Called by the JDK client under the reactive-streams rules (signals in order, never
 * concurrently); {@link #reclaimLeak()} may run on the cleaner's thread, so shared state is
 * atomic or volatile.
 */
final class SlotBodySubscriber<T> implements BodySubscriber<T> {
  private final Exchange exchange;
  /** Strong until the body turns out to be the subscriber itself; then {@code null}. */
  private volatile BodySubscriber<T> strong;
  private volatile WeakReference<BodySubscriber<T>> weak;
  private volatile Flow.Subscription upstream;
  private volatile Cleaner.Cleanable cleanable;

  SlotBodySubscriber(BodySubscriber<T> delegate, Exchange exchange) {
    this.strong = Objects.requireNonNull(delegate, "the body handler returned a null subscriber");
    this.exchange = exchange;
  }

  private BodySubscriber<T> delegate() {
    BodySubscriber<T> s = strong;
    if (s != null) {
      return s;
    }
    return weak.get();
  }

  @Override
  public CompletionStage<T> getBody() {
    BodySubscriber<T> delegate = strong;
    if (delegate == null) {
      delegate = weak.get();
      return (delegate == null) ? new CompletableFuture<>() : delegate.getBody();
    }
    CompletionStage<T> body = delegate.getBody();
    if (isItself(body, delegate) && exchange.watchesLeaks()) {
      weak = new WeakReference<>(delegate);
      strong = null;
      cleanable = exchange.watch(delegate, this::reclaimLeak);
    }
    return body;
  }

  private static boolean isItself(CompletionStage<?> body, Object subscriber) {
    try {
      CompletableFuture<?> future = body.toCompletableFuture();
      return future.isDone() && !future.isCompletedExceptionally() && future.getNow(null) == subscriber;
    } catch (UnsupportedOperationException e) {
      return false;
    }
  }

  @Override
  public void onSubscribe(Flow.Subscription subscription) {
    upstream = subscription;
    BodySubscriber<T> delegate = delegate();
    if (delegate == null) {
      reclaimLeak();
      return;
    }
    delegate.onSubscribe(new Flow.Subscription() {
      @Override
      public void request(long n) {
        subscription.request(n);
      }

      @Override
      public void cancel() {
        // The caller closed a streaming body early: the JDK drops the connection, so the slot is free.
        subscription.cancel();
        finish();
      }
    });
  }

  @Override
  public void onNext(List<ByteBuffer> item) {
    BodySubscriber<T> delegate = delegate();
    if (delegate == null) {
      reclaimLeak();
      return;
    }
    delegate.onNext(item);
  }

  @Override
  public void onError(Throwable throwable) {
    finish();
    BodySubscriber<T> delegate = delegate();
    if (delegate != null) {
      delegate.onError(throwable);
    }
  }

  @Override
  public void onComplete() {
    // Released before the caller hears of it: the body is all in, so the connection carries
    // nothing more, and a caller that sends its next request on completion finds the slot free.
    finish();
    BodySubscriber<T> delegate = delegate();
    if (delegate != null) {
      delegate.onComplete();
    }
  }

  private void finish() {
    exchange.release();
    Cleaner.Cleanable c = cleanable;
    if (c != null) {
      // Nothing left to reclaim; clean() runs reclaimLeak, which finds the slot released.
      c.clean();
    }
  }

  /** The caller dropped a body it never finished: end the exchange and take the slot back. */
  private void reclaimLeak() {
    if (exchange.isReleased()) {
      return;
    }
    Flow.Subscription s = upstream;
    if (s != null) {
      s.cancel();
    }
    exchange.reclaimLeak();
  }
}
