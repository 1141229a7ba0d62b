package io.regulator.http.apache;

import io.regulator.http.RetryPolicy;
import java.io.IOException;
import java.time.Duration;
import java.util.Objects;
import org.apache.hc.client5.http.HttpRequestRetryStrategy;
import org.apache.hc.client5.http.protocol.HttpClientContext;
import org.apache.hc.core5.http.Header;
import org.apache.hc.core5.http.HttpHeaders;
import org.apache.hc.core5.http.HttpRequest;
import org.apache.hc.core5.http.HttpResponse;
import org.apache.hc.core5.http.protocol.HttpContext;
import org.apache.hc.core5.util.TimeValue;

/**
 * HttpClient's retry strategy, decided by a {@link RetryPolicy}: idempotent methods only, the
 * policy's statuses and connection failures, {@code Retry-After} or full-jitter backoff, capped.
 *
 * <p>HttpClient itself does the waiting: the classic client closes the retried response (so its
 * connection and slot go back) before it sleeps; the async client does so only with
 * {@link ReleaseBeforeRetry} installed. The policy's {@link RetryPolicy#sleeper() sleeper} is not
 * used here.
 *
 * <p>Immutable and thread-safe.
 */
public final class RetryPolicyStrategy implements HttpRequestRetryStrategy {
  private final RetryPolicy policy;

  /** A strategy that follows {@code policy}. */
  public RetryPolicyStrategy(RetryPolicy policy) {
    this.policy = Objects.requireNonNull(policy, "policy");
  }

  /** The policy this strategy follows. */
  public RetryPolicy policy() {
    return policy;
  }

  @Override
  public boolean retryRequest(HttpRequest request, IOException exception, int execCount, HttpContext context) {
    return policy.allowsAnotherAttempt(request.getMethod(), execCount) && policy.retriesFailure(exception);
  }

  @Override
  public boolean retryRequest(HttpResponse response, int execCount, HttpContext context) {
    if (!policy.retriesStatus(response.getCode())) {
      return false;
    }
    HttpRequest request = HttpClientContext.castOrCreate(context).getRequest();
    // Without the request at hand the method is unknown; a retry could repeat a POST, so don't.
    return request != null && policy.allowsAnotherAttempt(request.getMethod(), execCount);
  }

  @Override
  public TimeValue getRetryInterval(HttpRequest request, IOException exception, int execCount, HttpContext context) {
    return timeValue(policy.backoff(execCount));
  }

  @Override
  public TimeValue getRetryInterval(HttpResponse response, int execCount, HttpContext context) {
    Header retryAfter = response.getFirstHeader(HttpHeaders.RETRY_AFTER);
    return timeValue(policy.delayAfterStatus(execCount, (retryAfter == null) ? null : retryAfter.getValue()));
  }

  private static TimeValue timeValue(Duration delay) {
    return TimeValue.ofMilliseconds(delay.toMillis());
  }

  @Override
  public String toString() {
    return "RetryPolicyStrategy{" + policy + "}";
  }
}
