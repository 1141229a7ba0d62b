package io.regulator.http.internal;

import io.regulator.DropReason;
import io.regulator.Slot;
import io.regulator.http.RetryPolicy;
import java.io.InterruptedIOException;
import java.net.ConnectException;
import java.net.SocketTimeoutException;
import java.net.http.HttpTimeoutException;
import java.time.Duration;

/**
 * Reports an attempt's outcome on its slot (issue 16), the same way for every integration: 429 and
 * 503 are drops (with the server's {@code Retry-After}, capped by the retry policy), other 4xx and
 * 5xx say nothing of the host's load, everything else is a success with the attempt's own latency.
 * A refused connection and a timeout are drops; any other failure, a cancel or an interrupt says
 * nothing.
 *
 * <p>Stateless and thread-safe.
 */
public final class Attempts {
  private Attempts() {}

  /**
   * Reports a response head that arrived {@code latencyNanos} after its attempt was sent.
   *
   * @param retryAfter the response's {@code Retry-After}, or null
   */
  public static void answered(Slot slot, int status, String retryAfter, long latencyNanos,
      RetryPolicy policy) {
    DropReason drop = DropReason.ofStatus(status);
    if (drop != null) {
      slot.reportDropped(drop, policy.retryAfter(retryAfter).orElse(null));
    } else if (status >= 400) {
      slot.reportIgnored();
    } else {
      slot.reportSuccess(Duration.ofNanos(Math.max(0, latencyNanos)));
    }
  }

  /** Reports an attempt that failed without a response. */
  public static void failed(Slot slot, Throwable failure) {
    DropReason drop = dropOf(Failures.unwrap(failure));
    if (drop != null) {
      slot.reportDropped(drop);
    } else {
      slot.reportIgnored();
    }
  }

  /** The drop a failure stands for: a refused connection, a timeout; null for anything else. */
  public static DropReason dropOf(Throwable failure) {
    if (failure instanceof ConnectException) {
      return DropReason.REFUSED;
    }
    if (failure instanceof HttpTimeoutException || failure instanceof SocketTimeoutException) {
      return DropReason.TIMEOUT;
    }
    if (failure instanceof InterruptedIOException
        && "ConnectTimeoutException".equals(failure.getClass().getSimpleName())) {
      return DropReason.TIMEOUT; // Apache HttpClient's, without a compile-time link to it
    }
    return null;
  }
}
