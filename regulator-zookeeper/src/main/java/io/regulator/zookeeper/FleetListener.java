package io.regulator.zookeeper;

import io.regulator.HostKey;
import io.regulator.RegulatorListener;

/**
 * Hears what only the fleet tier does: connection changes, leases lost with a session, and grants
 * from the local share. Every method has an empty default. Any {@link RegulatorListener} given to
 * the fleet regulator's builder hears its slots too (a slot is {@code acquired} once both caps
 * granted it, {@code released} once both halves went back, {@code timedOut} when either wait ran
 * out) and its pools closing; see {@code docs/fleet.md} for what the local regulator's own
 * listeners hear instead.
 *
 * <p>Called outside every lock; a connection change is reported on Curator's event thread, so
 * return quickly. An exception thrown by a listener is logged and changes nothing.
 * Implementations must be thread-safe.
 */
public interface FleetListener extends RegulatorListener {

  /** The node's view of ZooKeeper changed. */
  default void stateChanged(FleetState state) {}

  /**
   * The session expired while this node's callers held {@code slotsInUse} slots of {@code key}
   * backed by fleet leases. The servers deleted those leases, so other nodes may now be granted
   * them while these callers still use their connections: the fleet can exceed the host's limit
   * by this many until they are released. Close those connections early if that matters.
   */
  default void leasesLost(HostKey key, int slotsInUse) {}

  /**
   * ZooKeeper being unreachable, a slot of {@code key} was granted from this node's local share
   * ({@link WhenUnavailable#LOCAL_SHARE}) without a fleet lease.
   *
   * @param heldOnNode slots of the host this node holds now, this one included
   * @param share the node's share of the host's fleet limit
   */
  default void fallbackGranted(HostKey key, int heldOnNode, int share) {}
}
