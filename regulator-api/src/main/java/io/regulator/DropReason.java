package io.regulator;

/**
 * Why a host pushed back on an attempt: the signals that bring an adaptive limit down (see {@link
 * Slot#reportDropped(DropReason, java.time.Duration)}). Immutable.
 */
public enum DropReason {
  /** The host answered 429 Too Many Requests. */
  RATE_LIMITED,
  /** The host answered 503 Service Unavailable. */
  UNAVAILABLE,
  /** The attempt timed out: connecting, or waiting for the response. */
  TIMEOUT,
  /** The host refused the connection. */
  REFUSED;

  /** The reason an HTTP status stands for: 429 and 503; null for every other status. */
  public static DropReason ofStatus(int status) {
    switch (status) {
      case 429:
        return RATE_LIMITED;
      case 503:
        return UNAVAILABLE;
      default:
        return null;
    }
  }
}
