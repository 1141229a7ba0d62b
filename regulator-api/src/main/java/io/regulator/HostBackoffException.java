package io.regulator;

import java.time.Duration;
import java.util.Objects;

/**
 * The host asked every client to wait ({@code Retry-After}) and the node shares that wait: the
 * acquire was refused at once, because the host is configured to fail fast during a backoff or
 * because the backoff ends after the acquire's deadline. Immutable.
 */
public class HostBackoffException extends RegulatorException {
  private static final long serialVersionUID = 1L;

  private final HostKey key;
  private final Duration remaining;

  /** An exception naming the host and how much of its backoff is left. */
  public HostBackoffException(HostKey key, Duration remaining) {
    super("host " + key + " asked to back off; " + remaining.toMillis() + " ms left");
    this.key = Objects.requireNonNull(key, "key");
    this.remaining = remaining;
  }

  /** The host. */
  public HostKey key() {
    return key;
  }

  /** How long the host's backoff still lasted when the acquire was refused. */
  public Duration remaining() {
    return remaining;
  }
}
