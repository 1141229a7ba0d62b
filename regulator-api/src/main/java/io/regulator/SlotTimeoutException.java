package io.regulator;

import java.time.Duration;
import java.util.Objects;

/** No slot of a host came within the acquire timeout; carries the host's figures then. Immutable. */
public class SlotTimeoutException extends RegulatorException {
  private static final long serialVersionUID = 1L;

  private final HostKey key;
  private final int limit;
  private final int inUse;
  private final int waiting;
  private final Duration waited;

  /**
   * An exception whose message names the host and its figures, followed by {@code detail} (who
   * holds the slots, for instance) when it is not empty.
   */
  public SlotTimeoutException(
      HostKey key, int limit, int inUse, int waiting, Duration waited, String detail) {
    super(message(key, limit, inUse, waiting, waited, detail));
    this.key = Objects.requireNonNull(key, "key");
    this.limit = limit;
    this.inUse = inUse;
    this.waiting = waiting;
    this.waited = Objects.requireNonNull(waited, "waited");
  }

  private static String message(
      HostKey key, int limit, int inUse, int waiting, Duration waited, String detail) {
    String base = "no slot of " + key + " within " + waited.toMillis() + " ms: in use " + inUse
        + " of limit " + limit + ", " + waiting + " waiting";
    return (detail == null || detail.isEmpty()) ? base : base + "; " + detail;
  }

  /** The host. */
  public HostKey key() {
    return key;
  }

  /** The host's limit when the acquire gave up. */
  public int limit() {
    return limit;
  }

  /** Slots of the host held across all pools when the acquire gave up. */
  public int inUse() {
    return inUse;
  }

  /** Other callers still waiting for the host when the acquire gave up. */
  public int waiting() {
    return waiting;
  }

  /** How long the acquire waited. */
  public Duration waited() {
    return waited;
  }
}
