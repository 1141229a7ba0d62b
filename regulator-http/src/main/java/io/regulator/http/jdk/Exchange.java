package io.regulator.http.jdk;

import io.regulator.Slot;
import io.regulator.http.RetryPolicy;
import io.regulator.http.internal.Attempts;
import java.net.http.HttpResponse.BodyHandler;
import java.net.http.HttpResponse.BodySubscriber;
import java.net.http.HttpResponse.BodySubscribers;
import java.net.http.HttpResponse.ResponseInfo;

/**
 * One attempt of one request: the slot it holds, and whether its response is to be retried.
 * Thread-safe: the JDK calls the handler on its own threads.
 */
final class Exchange {
  private final Slot slot;
  /** Whether a retryable status may be swallowed and retried; false on the last attempt. */
  private final boolean mayRetry;
  /** Decides, from the response head, whether this attempt's status is to be retried. */
  private final RetryPolicy retry;
  private volatile boolean retrying;
  /** When this attempt was sent: its latency is its own, never a retry's wait (issue 16). */
  private final long sentAt = System.nanoTime();
  /** Whether the attempt's outcome was reported on the slot; once per attempt. */
  private volatile boolean reported;

  Exchange(Slot slot, boolean mayRetry, RetryPolicy retry) {
    this.slot = slot;
    this.mayRetry = mayRetry;
    this.retry = retry;
  }

  /** Wraps the caller's handler: the slot is given back when the body ends. */
  <T> BodyHandler<T> handler(BodyHandler<T> callers) {
    return info -> subscriber(info, callers);
  }

  private <T> BodySubscriber<T> subscriber(ResponseInfo info, BodyHandler<T> callers) {
    if (!reported) {
      reported = true;
      Attempts.answered(slot, info.statusCode(),
          info.headers().firstValue("Retry-After").orElse(null), System.nanoTime() - sentAt, retry);
    }
    if (mayRetry && retry.retriesStatus(info.statusCode())) {
      retrying = true;
      // Drain, don't close: the connection goes back to the JDK's pool for the next attempt.
      return new SlotBodySubscriber<>(BodySubscribers.replacing(null), this);
    }
    BodySubscriber<T> subscriber;
    try {
      subscriber = callers.apply(info);
    } catch (RuntimeException | Error e) {
      release();
      throw e;
    }
    return new SlotBodySubscriber<>(subscriber, this);
  }

  /** Whether the response's status was swallowed to be retried. */
  boolean retrying() {
    return retrying;
  }

  void release() {
    slot.release();
  }

  /** Reports an attempt that ended without a response head, then gives the slot back. */
  void failed(Throwable failure) {
    if (!reported) {
      reported = true;
      Attempts.failed(slot, failure);
    }
    slot.release();
  }
}
