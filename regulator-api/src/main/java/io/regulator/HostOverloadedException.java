package io.regulator;

import java.util.Objects;

/** The host's waiter queue is full, so the acquire was refused at once instead of queued. Immutable. */
public class HostOverloadedException extends RegulatorException {
  private static final long serialVersionUID = 1L;

  private final HostKey key;
  private final int waiting;

  /** An exception naming the host and how many callers were already waiting for it. */
  public HostOverloadedException(HostKey key, int waiting) {
    super("host " + key + " is overloaded: " + waiting + " callers already waiting");
    this.key = Objects.requireNonNull(key, "key");
    this.waiting = waiting;
  }

  /** The host. */
  public HostKey key() {
    return key;
  }

  /** Callers waiting for the host when this acquire was refused. */
  public int waiting() {
    return waiting;
  }
}
