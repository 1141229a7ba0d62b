package io.regulator.zookeeper.internal;

/**
 * The fleet half of a slot: a lease node in ZooKeeper, or a grant from the node's local share
 * while ZooKeeper was unreachable. A lease passes unchanged from a releasing caller to a waiting
 * one (handoff), keeping the age that bounds how long it may circulate on this node.
 *
 * <p>Immutable and thread-safe.
 */
final class FleetPermit {
  /** The lease node's full path, or null for a local-share grant. */
  final String leasePath;

  /** The session epoch the lease was taken in; a lease of an older epoch died with its session. */
  final int epoch;

  /** When the lease was taken from ZooKeeper, on the regulator's ticker. */
  final long leasedAt;

  private FleetPermit(String leasePath, int epoch, long leasedAt) {
    this.leasePath = leasePath;
    this.epoch = epoch;
    this.leasedAt = leasedAt;
  }

  static FleetPermit lease(String leasePath, int epoch, long leasedAt) {
    return new FleetPermit(leasePath, epoch, leasedAt);
  }

  static FleetPermit localShare(int epoch, long grantedAt) {
    return new FleetPermit(null, epoch, grantedAt);
  }

  boolean isLease() {
    return leasePath != null;
  }

  @Override
  public String toString() {
    return isLease() ? "lease " + leasePath + " (epoch " + epoch + ")" : "local-share grant";
  }
}
