package io.regulator.jetty;

import io.regulator.http.RetryPolicy;
import java.time.Duration;
import java.util.Objects;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.Supplier;
import org.eclipse.jetty.client.CompletableResponseListener;
import org.eclipse.jetty.client.ContentResponse;
import org.eclipse.jetty.client.Request;
import org.eclipse.jetty.http.HttpHeader;

/**
 * Sends a Jetty request again under a {@link RetryPolicy}: Jetty's client has no retry of its own.
 * Each attempt is a fresh request from the caller's supplier, buffered into a
 * {@link ContentResponse}; by the time an attempt's response is complete, its connection has gone
 * back to the pool and the slot with it, so no backoff ever holds a slot. Waits run in the policy's
 * {@link io.regulator.http.Sleeper}, with no thread parked. Immutable and thread-safe.
 *
 * <pre>{@code
 * RetryingSender sender = new RetryingSender(RetryPolicy.defaults());
 * ContentResponse response = sender.send(() -> client.newRequest(uri)).get();
 * }</pre>
 */
public final class RetryingSender {

  /** The largest response body an attempt buffers by default: 2 MiB. */
  public static final int DEFAULT_MAX_LENGTH = 2 * 1024 * 1024;

  private final RetryPolicy policy;
  private final int maxLength;

  /** A sender under {@code policy} that buffers bodies of up to {@link #DEFAULT_MAX_LENGTH}. */
  public RetryingSender(RetryPolicy policy) {
    this(policy, DEFAULT_MAX_LENGTH);
  }

  /** A sender under {@code policy} that buffers bodies of up to {@code maxLength} bytes. */
  public RetryingSender(RetryPolicy policy, int maxLength) {
    this.policy = Objects.requireNonNull(policy, "policy");
    if (maxLength < 0) {
      throw new IllegalArgumentException("maxLength < 0: " + maxLength);
    }
    this.maxLength = maxLength;
  }

  /**
   * Sends {@code newRequest.get()}, and again while the policy retries its status or failure. The
   * future completes with the last attempt's response (whatever its status) or failure. Cancelling
   * it aborts the attempt in flight or ends the backoff.
   *
   * @param newRequest builds one attempt's request; called once per attempt
   */
  public CompletableFuture<ContentResponse> send(Supplier<? extends Request> newRequest) {
    Objects.requireNonNull(newRequest, "newRequest");
    CompletableFuture<ContentResponse> result = new CompletableFuture<>();
    AtomicReference<CompletableFuture<?>> step = new AtomicReference<>();
    result.whenComplete((response, failure) -> {
      CompletableFuture<?> current = step.get();
      if (current != null && result.isCancelled()) {
        current.cancel(false);
      }
    });
    attempt(newRequest, 1, result, step);
    return result;
  }

  private void attempt(Supplier<? extends Request> newRequest, int n, CompletableFuture<ContentResponse> result,
      AtomicReference<CompletableFuture<?>> step) {
    if (result.isDone()) {
      return;
    }
    Request request;
    CompletableFuture<ContentResponse> exchange;
    try {
      request = Objects.requireNonNull(newRequest.get(), "newRequest.get()");
      exchange = new CompletableResponseListener(request, maxLength).send();
    } catch (RuntimeException e) {
      result.completeExceptionally(e);
      return;
    }
    step.set(exchange);
    if (result.isDone()) {
      exchange.cancel(false);
      return;
    }
    String method = request.getMethod();
    exchange.whenComplete((response, failure) -> {
      Duration delay;
      if (failure != null) {
        Throwable cause = (failure instanceof CompletionException && failure.getCause() != null)
            ? failure.getCause() : failure;
        if (!policy.allowsAnotherAttempt(method, n) || !policy.retriesFailure(cause)) {
          result.completeExceptionally(cause);
          return;
        }
        delay = policy.backoff(n);
      } else if (policy.retriesStatus(response.getStatus()) && policy.allowsAnotherAttempt(method, n)) {
        delay = policy.delayAfterStatus(n, response.getHeaders().get(HttpHeader.RETRY_AFTER));
      } else {
        result.complete(response);
        return;
      }
      // The attempt's connection, and its slot, went back to the pool before this listener ran.
      CompletableFuture<Void> sleep = policy.sleeper().sleep(delay);
      step.set(sleep);
      if (result.isDone()) {
        sleep.cancel(false);
        return;
      }
      sleep.whenComplete((ignored, sleepFailure) -> {
        if (sleepFailure != null) {
          result.completeExceptionally(sleepFailure);
        } else {
          attempt(newRequest, n + 1, result, step);
        }
      });
    });
  }
}
