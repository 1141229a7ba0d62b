package io.regulator.core;

/**
 * What new acquires of a host do while the host is in a shared {@code Retry-After} backoff (see
 * {@link HostRegulators.Builder#sharedRetryAfter(io.regulator.HostKey, SharedBackoff)}). Immutable.
 */
public enum SharedBackoff {
  /**
   * Wait for the backoff to end, the wait counting against the acquire's timeout; an acquire whose
   * deadline comes before the end fails at once with {@link io.regulator.HostBackoffException}.
   * {@code tryAcquire} finds no slot.
   */
  WAIT,
  /** Fail at once with {@link io.regulator.HostBackoffException}; {@code tryAcquire} finds no slot. */
  FAIL_FAST
}
