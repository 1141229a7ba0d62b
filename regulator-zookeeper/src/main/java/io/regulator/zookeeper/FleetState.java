package io.regulator.zookeeper;

/** How a node's regulator sees ZooKeeper now. Immutable. */
public enum FleetState {
  /** Connected with a live session: fleet leases are granted and returned through ZooKeeper. */
  CONNECTED,

  /**
   * The connection dropped; the session may still live on the servers, and with it the leases this
   * node holds. No new lease is taken from the fleet until the connection is back.
   */
  SUSPENDED,

  /**
   * The session is gone, and the servers deleted the leases this node held; callers that still hold
   * slots keep them (a connection cannot be revoked), but they no longer count in the fleet.
   */
  LOST
}
