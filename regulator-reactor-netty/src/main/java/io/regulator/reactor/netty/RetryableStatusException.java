package io.regulator.reactor.netty;

import io.regulator.http.RetryPolicy;
import reactor.core.publisher.Mono;
import reactor.netty.http.client.HttpClientResponse;

/**
 * A response whose status the {@link RetryPolicy} retries (429 and 503 by default), turned into
 * an error so that {@link PolicyRetry} can retry it. Carries the status and the {@code
 * Retry-After} header. Once a request exhausts its attempts, the caller gets this error for the
 * last response.
 *
 * <p>Immutable.
 */
public final class RetryableStatusException extends RuntimeException {
  private static final long serialVersionUID = 1L;

  private final int status;
  private final String retryAfter;

  /** A retryable {@code status}; {@code retryAfter} is the header's value, or null. */
  public RetryableStatusException(int status, String retryAfter) {
    super("status " + status + (retryAfter == null ? "" : ", Retry-After: " + retryAfter), null, false, false);
    this.status = status;
    this.retryAfter = retryAfter;
  }

  /**
   * Empty when {@code policy} does not retry the response's status, else this error: the
   * connection still goes back to its pool once the response ends (Reactor Netty drains a body
   * nobody reads), so no retry waits on it.
   *
   * <pre>{@code
   * client.get().uri(uri)
   *     .responseSingle((response, body) ->
   *         RetryableStatusException.check(response, policy).then(body.asString()))
   *     .retryWhen(PolicyRetry.of(policy, "GET"));
   * }</pre>
   */
  @SuppressWarnings("exports") // regulator-http is optional: 'requires static', on purpose not transitive
  public static Mono<Void> check(HttpClientResponse response, RetryPolicy policy) {
    int code = response.status().code();
    if (!policy.retriesStatus(code)) {
      return Mono.empty();
    }
    return Mono.error(new RetryableStatusException(code, response.responseHeaders().get("Retry-After")));
  }

  /** The response's status. */
  public int status() {
    return status;
  }

  /** The response's {@code Retry-After} value, or null. */
  public String retryAfter() {
    return retryAfter;
  }
}
