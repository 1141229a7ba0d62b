package io.regulator.zookeeper;

import io.regulator.HostKey;
import io.regulator.HostRegulator;

/**
 * A node's regulator whose slots count against two caps: the node's own per-host limit, held by a
 * local {@link HostRegulator}, and the fleet's per-host limit, held by a Curator {@code
 * InterProcessSemaphoreV2} on ZooKeeper that every node of the fleet shares. A slot is granted only
 * when both allow it, and its release gives back both. Pools and library code use it through the
 * plain {@link HostRegulator} and {@link io.regulator.RegulatedPool} API and do not change.
 *
 * <p>The {@link HostRegulator} methods speak of this node: {@link #limit} and {@link #setLimit}
 * are the local limit, {@link #inUse} counts slots this node granted (both caps passed), and
 * {@link #waiting} counts this node's callers waiting for either cap. The fleet methods below
 * speak of the fleet.
 *
 * <p>Thread-safe.
 */
public interface FleetHostRegulator extends HostRegulator {

  /**
   * The host's fleet limit as this node last read it from ZooKeeper; the first call for a host
   * reads it (and seeds it from the builder if the fleet has none yet).
   *
   * @throws FleetUnavailableException if the host was never read and ZooKeeper is unreachable
   */
  int fleetLimit(HostKey key);

  /**
   * Sets the host's fleet limit in ZooKeeper, live for every node. Raising it admits waiters on
   * every node at once; lowering it admits none until the fleet's leases fall under it, and
   * revokes nothing.
   *
   * @throws IllegalArgumentException if {@code limit} is below 1
   * @throws FleetUnavailableException if ZooKeeper is unreachable
   */
  void setFleetLimit(HostKey key, int limit);

  /** Slots of {@code key} this node holds now that are backed by a live fleet lease. */
  int fleetLeases(HostKey key);

  /**
   * Lease nodes of {@code key} in ZooKeeper now, across the whole fleet (one round trip). A
   * diagnostic: besides the leases held, it counts a lease being returned at that instant and the
   * node of the one acquirer waiting at the head of the fleet's queue (Curator's semaphore creates
   * its lease node before it waits for a free one), so it can exceed the limit by one.
   *
   * @throws FleetUnavailableException if ZooKeeper is unreachable
   */
  int fleetInUse(HostKey key);

  /** This node's view of ZooKeeper now. */
  FleetState fleetState();

  /** Counters since the regulator was built. */
  FleetStats stats();
}
