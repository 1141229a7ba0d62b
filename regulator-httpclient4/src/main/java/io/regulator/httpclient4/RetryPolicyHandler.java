package io.regulator.httpclient4;

import io.regulator.http.RetryPolicy;
import io.regulator.http.Sleeper;
import java.io.IOException;
import java.time.Duration;
import java.util.Objects;
import org.apache.http.HttpRequest;
import org.apache.http.client.HttpRequestRetryHandler;
import org.apache.http.client.protocol.HttpClientContext;
import org.apache.http.protocol.HttpContext;

/**
 * HttpClient 4.5's I/O-failure retry ({@code setRetryHandler}), decided by a {@link RetryPolicy}:
 * idempotent methods only, on the failures the policy retries (connection refused, reset or closed
 * by default; never a timeout, a TLS or DNS failure), with its full-jitter backoff between attempts.
 *
 * <p>HttpClient's own handlers retry at once; this one waits the backoff out in the policy's
 * {@link RetryPolicy#sleeper() sleeper} before it says yes. By then the failed attempt's
 * connection has been shut down and released to the manager (HttpClient's {@code MainClientExec}
 * does so before the failure leaves it), so no slot is held through the wait.
 *
 * <p>Immutable and thread-safe.
 */
public final class RetryPolicyHandler implements HttpRequestRetryHandler {
  private final RetryPolicy policy;

  /** A handler that follows {@code policy}. */
  public RetryPolicyHandler(RetryPolicy policy) {
    this.policy = Objects.requireNonNull(policy, "policy");
  }

  /** The policy this handler follows. */
  public RetryPolicy policy() {
    return policy;
  }

  /**
   * Whether attempt {@code executionCount} (1 for the first), which failed with {@code exception},
   * is followed by another; if so, returns after the backoff. An interrupt during the backoff gives
   * up (the interrupt is kept, and HttpClient throws {@code exception}).
   */
  @Override
  public boolean retryRequest(IOException exception, int executionCount, HttpContext context) {
    HttpRequest request = HttpClientContext.adapt(context).getRequest();
    if (request == null
        || !policy.allowsAnotherAttempt(request.getRequestLine().getMethod(), executionCount)
        || !policy.retriesFailure(exception)) {
      return false;
    }
    Duration delay = policy.backoff(executionCount);
    try {
      Sleeper.await(policy.sleeper(), delay);
      return true;
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      return false;
    }
  }

  @Override
  public String toString() {
    return "RetryPolicyHandler{" + policy + "}";
  }
}
