package io.regulator.http;

import io.regulator.RegulatorException;
import io.regulator.http.internal.Checks;
import io.regulator.http.internal.Failures;
import java.io.IOException;
import java.io.InterruptedIOException;
import java.net.ConnectException;
import java.net.NoRouteToHostException;
import java.net.UnknownHostException;
import java.net.http.HttpConnectTimeoutException;
import java.net.http.HttpTimeoutException;
import java.time.Clock;
import java.time.Duration;
import java.util.Locale;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.CompletionException;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ThreadLocalRandom;
import java.util.function.DoubleSupplier;
import java.util.function.Predicate;
import javax.net.ssl.SSLException;

/**
 * When and after how long an HTTP request is tried again. The integrations apply it so that a
 * retry never holds a slot while it waits: each attempt takes the host's slot, and gives it back
 * (closing or draining the response) before the wait.
 *
 * <p>Only idempotent methods are retried (GET, HEAD, OPTIONS, TRACE, PUT, DELETE), on the
 * configured statuses (429 and 503 by default) and on connection failures. The wait is the
 * server's {@code Retry-After} when it sent a usable one, else exponential backoff with full
 * jitter: a uniform draw from zero to {@code min(maxDelay, baseDelay * 2^(attempt - 1))}. Either
 * way it never exceeds {@code maxDelay}.
 *
 * <p>Immutable and thread-safe.
 */
public final class RetryPolicy {
  private static final Set<String> IDEMPOTENT =
      Set.of("GET", "HEAD", "OPTIONS", "TRACE", "PUT", "DELETE");
  private static final RetryPolicy NONE = builder().maxAttempts(1).build();

  private final int maxAttempts;
  private final Duration baseDelay;
  private final Duration maxDelay;
  private final Set<Integer> retryStatuses;
  private final Predicate<Throwable> retryOnFailure;
  private final Clock clock;
  private final DoubleSupplier jitter;
  private final Sleeper sleeper;

  private RetryPolicy(Builder builder) {
    this.maxAttempts = builder.maxAttempts;
    this.baseDelay = builder.baseDelay;
    this.maxDelay = builder.maxDelay;
    this.retryStatuses = Set.copyOf(builder.retryStatuses);
    this.retryOnFailure = builder.retryOnFailure;
    this.clock = builder.clock;
    this.jitter = builder.jitter;
    this.sleeper = builder.sleeper;
  }

  /** A policy that never retries: one attempt. */
  public static RetryPolicy none() {
    return NONE;
  }

  /** The defaults: 3 attempts, 100 ms base delay, 60 s cap, statuses 429 and 503. */
  public static RetryPolicy defaults() {
    return builder().build();
  }

  /** A builder starting from the defaults. */
  public static Builder builder() {
    return new Builder();
  }

  /** How many attempts in all, the first included; at least 1. */
  public int maxAttempts() {
    return maxAttempts;
  }

  /** The first backoff's upper bound; each later one doubles, up to {@link #maxDelay()}. */
  public Duration baseDelay() {
    return baseDelay;
  }

  /** The longest wait between attempts, whatever {@code Retry-After} asks for. */
  public Duration maxDelay() {
    return maxDelay;
  }

  /** The response statuses that are retried. */
  public Set<Integer> retryStatuses() {
    return retryStatuses;
  }

  /** Where the integrations wait out a backoff. */
  public Sleeper sleeper() {
    return sleeper;
  }

  /** Whether {@code method} is idempotent, so that sending it twice does no harm. */
  public static boolean isIdempotent(String method) {
    return IDEMPOTENT.contains(method.toUpperCase(Locale.ROOT));
  }

  /**
   * Whether attempt number {@code attempt} (1 for the first) of a {@code method} request may be
   * followed by another one.
   */
  public boolean allowsAnotherAttempt(String method, int attempt) {
    return attempt < maxAttempts && isIdempotent(method);
  }

  /** Whether a response with {@code status} is worth another attempt. */
  public boolean retriesStatus(int status) {
    return retryStatuses.contains(status);
  }

  /**
   * Whether {@code failure} is worth another attempt. By default: connection failures (refused,
   * reset, closed, unreachable, connect timeouts), never a request timeout (the server may still
   * be working on it), a TLS or DNS failure, an interrupt, or a {@link RegulatorException}
   * (waiting longer for a slot is not what a retry is for). {@link CompletionException} and
   * {@link ExecutionException} are looked through.
   */
  public boolean retriesFailure(Throwable failure) {
    return retryOnFailure.test(Failures.unwrap(Objects.requireNonNull(failure, "failure")));
  }

  /**
   * The wait before the next attempt after a retried status: {@code Retry-After} when usable
   * (a date in the past gives zero), else {@link #backoff(int)}; at most {@link #maxDelay()}.
   *
   * @param attempt the attempt that got the response, 1 for the first
   * @param retryAfter the header's value, or {@code null}
   */
  public Duration delayAfterStatus(int attempt, String retryAfter) {
    Optional<Duration> asked = RetryAfter.parse(retryAfter, clock.instant());
    if (asked.isPresent()) {
      Duration wait = asked.get();
      return (wait.compareTo(maxDelay) > 0) ? maxDelay : wait;
    }
    return backoff(attempt);
  }

  /**
   * The server's {@code Retry-After}, read against this policy's clock and capped at {@link
   * #maxDelay()}: what an integration reports to the regulator with a drop, so that a node's
   * shared backoff never outlasts the policy's own cap. Empty when absent or unusable.
   *
   * @param retryAfter the header's value, or {@code null}
   */
  public Optional<Duration> retryAfter(String retryAfter) {
    return RetryAfter.parse(retryAfter, clock.instant())
        .map(wait -> (wait.compareTo(maxDelay) > 0) ? maxDelay : wait);
  }

  /**
   * Full-jitter exponential backoff after attempt number {@code attempt} (1 for the first): a
   * uniform draw from zero to {@code min(maxDelay, baseDelay * 2^(attempt - 1))}.
   */
  public Duration backoff(int attempt) {
    if (attempt < 1) {
      throw new IllegalArgumentException("attempt < 1: " + attempt);
    }
    long capNanos = maxDelay.toNanos();
    long bound = baseDelay.toNanos();
    for (int i = 1; i < attempt && bound < capNanos; i++) {
      bound = (bound > Long.MAX_VALUE / 2) ? Long.MAX_VALUE : bound * 2;
    }
    bound = Math.min(bound, capNanos);
    double draw = jitter.getAsDouble();
    if (!(draw >= 0.0 && draw < 1.0)) {
      throw new IllegalStateException("jitter outside [0, 1): " + draw);
    }
    return Duration.ofNanos((long) (draw * bound));
  }

  /** The default failure test; see {@link #retriesFailure(Throwable)}. */
  public static boolean isConnectionFailure(Throwable failure) {
    Throwable t = Failures.unwrap(Objects.requireNonNull(failure, "failure"));
    if (t instanceof RegulatorException) {
      return false;
    }
    if (t instanceof HttpConnectTimeoutException) {
      return true;
    }
    if (t instanceof HttpTimeoutException || t instanceof InterruptedIOException) {
      return false;
    }
    if (t instanceof ConnectException || t instanceof NoRouteToHostException) {
      return true;
    }
    if (t instanceof SSLException || t instanceof UnknownHostException) {
      return false;
    }
    return t instanceof IOException;
  }

  @Override
  public String toString() {
    return "RetryPolicy{maxAttempts=" + maxAttempts + ", baseDelay=" + baseDelay + ", maxDelay="
        + maxDelay + ", retryStatuses=" + retryStatuses + "}";
  }

  /** Builds a {@link RetryPolicy}; validates each value as it is set. Not thread-safe. */
  public static final class Builder {
    private int maxAttempts = 3;
    private Duration baseDelay = Duration.ofMillis(100);
    private Duration maxDelay = Duration.ofSeconds(60);
    private Set<Integer> retryStatuses = Set.of(429, 503);
    private Predicate<Throwable> retryOnFailure = RetryPolicy::isConnectionFailure;
    private Clock clock = Clock.systemUTC();
    private DoubleSupplier jitter = () -> ThreadLocalRandom.current().nextDouble();
    private Sleeper sleeper = Sleeper.system();

    private Builder() {}

    /** Attempts in all, the first included; 1 disables retries. Default 3. */
    public Builder maxAttempts(int maxAttempts) {
      if (maxAttempts < 1) {
        throw new IllegalArgumentException("maxAttempts < 1: " + maxAttempts);
      }
      this.maxAttempts = maxAttempts;
      return this;
    }

    /** The first backoff's upper bound. Default 100 ms. */
    public Builder baseDelay(Duration baseDelay) {
      this.baseDelay = Checks.nonNegative(baseDelay, "baseDelay");
      return this;
    }

    /** The longest wait between attempts, {@code Retry-After} included. Default 60 s. */
    public Builder maxDelay(Duration maxDelay) {
      this.maxDelay = Checks.nonNegative(maxDelay, "maxDelay");
      return this;
    }

    /** The statuses to retry. Default 429 and 503. */
    public Builder retryStatuses(Set<Integer> statuses) {
      Objects.requireNonNull(statuses, "statuses");
      for (Integer status : statuses) {
        if (status == null || status < 100 || status > 599) {
          throw new IllegalArgumentException("status outside 100..599: " + status);
        }
      }
      this.retryStatuses = Set.copyOf(statuses);
      return this;
    }

    /** Which failures to retry. Default {@link RetryPolicy#isConnectionFailure(Throwable)}. */
    public Builder retryOnFailure(Predicate<Throwable> retryOnFailure) {
      this.retryOnFailure = Objects.requireNonNull(retryOnFailure, "retryOnFailure");
      return this;
    }

    /** The clock that {@code Retry-After} dates are read against. Default the system's UTC clock. */
    public Builder clock(Clock clock) {
      this.clock = Objects.requireNonNull(clock, "clock");
      return this;
    }

    /** The source of backoff jitter, values in [0, 1). Default {@link ThreadLocalRandom}. */
    public Builder jitter(DoubleSupplier jitter) {
      this.jitter = Objects.requireNonNull(jitter, "jitter");
      return this;
    }

    /** Where waits happen. Default {@link Sleeper#system()}. */
    public Builder sleeper(Sleeper sleeper) {
      this.sleeper = Objects.requireNonNull(sleeper, "sleeper");
      return this;
    }

    /**
     * Builds the policy.
     *
     * @throws IllegalStateException if {@code baseDelay} exceeds {@code maxDelay}
     */
    public RetryPolicy build() {
      if (baseDelay.compareTo(maxDelay) > 0) {
        throw new IllegalStateException(
            "baseDelay " + baseDelay + " exceeds maxDelay " + maxDelay);
      }
      return new RetryPolicy(this);
    }
  }
}
