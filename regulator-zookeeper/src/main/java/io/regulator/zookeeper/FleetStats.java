package io.regulator.zookeeper;

/**
 * Counters of one fleet regulator since it was built. Immutable and thread-safe.
 *
 * @param grants slots granted with a fleet permit (a lease, or a local-share grant)
 * @param leasesAcquired leases taken from ZooKeeper: each cost the semaphore's round trips
 * @param handoffs leases passed straight from a releasing caller to a waiting one on this node,
 *     without a ZooKeeper round trip
 * @param leasesReturned leases given back to ZooKeeper (a background delete)
 * @param fallbackGrants slots granted from the local share while ZooKeeper was unreachable
 * @param unavailable acquires refused with {@link FleetUnavailableException}
 * @param leasesLost leases held by callers when their session expired
 */
public record FleetStats(
    long grants,
    long leasesAcquired,
    long handoffs,
    long leasesReturned,
    long fallbackGrants,
    long unavailable,
    long leasesLost) {}
