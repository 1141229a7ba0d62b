package io.regulator.zookeeper;

/**
 * What a node does when it cannot reach ZooKeeper: refuse at once, or grant from a local share of
 * the fleet limit. Neither ever takes a fleet lease it cannot record. Immutable.
 */
public enum WhenUnavailable {
  /**
   * Acquires throw {@link FleetUnavailableException} at once, and callers queued for a fleet lease
   * fail with it as soon as the connection drops. Slots already held are kept. The default: the
   * fleet limit is never exceeded because of this node.
   */
  FAIL_FAST,

  /**
   * Callers get slots while this node holds fewer than its share of the host's fleet limit, {@code
   * floor(fleetLimit / expectedNodes)}, counting the slots it already held. Slots granted this way
   * are not recorded in ZooKeeper: if the rest of the fleet is still connected and using the whole
   * limit, the fleet can exceed it by up to this node's share until those slots are released. Each
   * such grant is reported to {@link FleetListener#fallbackGranted}.
   */
  LOCAL_SHARE
}
