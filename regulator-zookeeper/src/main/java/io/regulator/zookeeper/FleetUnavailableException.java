package io.regulator.zookeeper;

import io.regulator.HostKey;
import io.regulator.RegulatorException;
import java.util.Objects;

/**
 * No fleet lease could be had because ZooKeeper is unreachable (or refused the request), and the
 * regulator is set to {@link WhenUnavailable#FAIL_FAST}. The caller's local slot was given back.
 * Immutable.
 */
public class FleetUnavailableException extends RegulatorException {
  private static final long serialVersionUID = 1L;

  private final HostKey key;
  private final FleetState state;

  /** An exception naming the host and the connection state, with the ZooKeeper error if any. */
  public FleetUnavailableException(HostKey key, FleetState state, Throwable cause) {
    super(message(key, state, cause), cause);
    this.key = Objects.requireNonNull(key, "key");
    this.state = Objects.requireNonNull(state, "state");
  }

  private static String message(HostKey key, FleetState state, Throwable cause) {
    String base = "no fleet lease for " + key + ": ZooKeeper is unavailable (" + state + ")";
    return (cause == null) ? base : base + ": " + cause;
  }

  /** The host. */
  public HostKey key() {
    return key;
  }

  /** The connection state when the acquire was refused. */
  public FleetState state() {
    return state;
  }
}
