package io.regulator.httpclient4;

import io.regulator.http.RetryPolicy;
import io.regulator.http.Sleeper;
import java.time.Duration;
import java.util.Objects;
import org.apache.http.Header;
import org.apache.http.HttpRequest;
import org.apache.http.HttpResponse;
import org.apache.http.client.ServiceUnavailableRetryStrategy;
import org.apache.http.client.protocol.HttpClientContext;
import org.apache.http.protocol.HttpContext;

/**
 * HttpClient 4.5's status retry ({@code setServiceUnavailableRetryStrategy}), decided by a
 * {@link RetryPolicy}: idempotent methods only, the policy's statuses (429 and 503 by default), and
 * the server's {@code Retry-After} (delta-seconds or an HTTP-date) or full-jitter backoff, capped
 * at the policy's {@code maxDelay}.
 *
 * <p>HttpClient's {@code ServiceUnavailableRetryExec} closes the retried response (which releases its
 * connection, and so its slot) and only then asks {@link #getRetryInterval()} and sleeps. That call
 * takes no arguments, so the wait decided by {@link #retryRequest} is handed over in a thread-local
 * (both run on the caller's thread, one right after the other). This strategy waits the delay out
 * in the policy's {@link RetryPolicy#sleeper() sleeper}, with no slot held, and returns zero, so
 * HttpClient does not sleep again.
 *
 * <p>Thread-safe.
 */
public final class RetryPolicyStrategy implements ServiceUnavailableRetryStrategy {
  /** The wait {@link #retryRequest} decided on this thread, for the {@link #getRetryInterval} right after it. */
  private final ThreadLocal<Duration> pending = new ThreadLocal<>();
  private final RetryPolicy policy;

  /** A strategy that follows {@code policy}. */
  public RetryPolicyStrategy(RetryPolicy policy) {
    this.policy = Objects.requireNonNull(policy, "policy");
  }

  /** The policy this strategy follows. */
  public RetryPolicy policy() {
    return policy;
  }

  /**
   * Whether attempt {@code executionCount} (1 for the first), which got {@code response}, is
   * followed by another; if so, decides the wait before it.
   */
  @Override
  public boolean retryRequest(HttpResponse response, int executionCount, HttpContext context) {
    pending.remove();
    if (!policy.retriesStatus(response.getStatusLine().getStatusCode())) {
      return false;
    }
    HttpRequest request = HttpClientContext.adapt(context).getRequest();
    // Without the request at hand the method is unknown; a retry could repeat a POST, so don't.
    if (request == null || !policy.allowsAnotherAttempt(request.getRequestLine().getMethod(), executionCount)) {
      return false;
    }
    Header retryAfter = response.getFirstHeader("Retry-After");
    pending.set(policy.delayAfterStatus(executionCount, (retryAfter == null) ? null : retryAfter.getValue()));
    return true;
  }

  /**
   * Waits out the delay that {@link #retryRequest} decided (the connection is released by then)
   * and returns 0. If the thread is interrupted meanwhile, returns 1 with the interrupt kept, so
   * that HttpClient's own sleep ends the request with an {@code InterruptedIOException}.
   */
  @Override
  public long getRetryInterval() {
    Duration delay = pending.get();
    pending.remove();
    if (delay == null) {
      return 0;
    }
    try {
      Sleeper.await(policy.sleeper(), delay);
      return 0;
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      return 1;
    }
  }

  @Override
  public String toString() {
    return "RetryPolicyStrategy{" + policy + "}";
  }
}
