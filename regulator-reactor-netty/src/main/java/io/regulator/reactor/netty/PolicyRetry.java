package io.regulator.reactor.netty;

import io.regulator.http.RetryPolicy;
import java.time.Duration;
import java.util.Objects;
import org.reactivestreams.Publisher;
import reactor.core.publisher.Flux;
import reactor.core.publisher.Mono;
import reactor.util.retry.Retry;

/**
 * A Reactor {@link Retry} that follows a {@link RetryPolicy}: which failures and statuses (as
 * {@link RetryableStatusException}) are retried, how many attempts a method gets, and how long to
 * wait ({@code Retry-After}, else full-jitter backoff, capped). The wait happens in the policy's
 * {@link io.regulator.http.Sleeper} (no thread parked by default); cancelling the request cancels
 * the wait.
 *
 * <p>No slot is held while it waits: by the time an attempt's error reaches the retry, its
 * connection has gone back to its pool or closed, and {@link RegulatedConnectionProvider} gave its
 * slot back then. The next attempt acquires again, slot included.
 *
 * <p>Immutable and thread-safe.
 */
public final class PolicyRetry extends Retry {
  private final RetryPolicy policy;
  private final String method;

  private PolicyRetry(RetryPolicy policy, String method) {
    this.policy = Objects.requireNonNull(policy, "policy");
    this.method = Objects.requireNonNull(method, "method");
    if (method.isBlank()) {
      throw new IllegalArgumentException("method is blank: '" + method + "'");
    }
  }

  /** Retries a {@code method} request as {@code policy} says (non-idempotent methods never). */
  @SuppressWarnings("exports") // regulator-http is optional: 'requires static', on purpose not transitive
  public static PolicyRetry of(RetryPolicy policy, String method) {
    return new PolicyRetry(policy, method);
  }

  /** The wait before retrying after attempt {@code attempt} (from 1) failed, or null to give up. */
  Duration delayAfter(int attempt, Throwable failure) {
    if (!policy.allowsAnotherAttempt(method, attempt)) {
      return null;
    }
    if (failure instanceof RetryableStatusException) {
      RetryableStatusException status = (RetryableStatusException) failure;
      return policy.retriesStatus(status.status()) ? policy.delayAfterStatus(attempt, status.retryAfter()) : null;
    }
    return policy.retriesFailure(failure) ? policy.backoff(attempt) : null;
  }

  @Override
  public Publisher<?> generateCompanion(Flux<RetrySignal> retrySignals) {
    return retrySignals.concatMap(signal -> {
      Throwable failure = signal.failure();
      int attempt = (int) Math.min(Integer.MAX_VALUE - 1L, signal.totalRetries() + 1);
      Duration delay = delayAfter(attempt, failure);
      if (delay == null) {
        return Mono.error(failure);
      }
      return Mono.fromFuture(() -> policy.sleeper().sleep(delay), false).thenReturn(attempt);
    });
  }

  @Override
  public String toString() {
    return "PolicyRetry{" + method + ", " + policy + '}';
  }
}
