package io.regulator.zookeeper.internal;

import io.regulator.HostKey;

/**
 * What the fleet tier tells its meters. Called with no lock held. {@link #NONE} when no meter
 * registry was configured, so that no Micrometer class is ever loaded without one.
 *
 * <p>Implementations are thread-safe.
 */
interface FleetObserver {
  FleetObserver NONE = new FleetObserver() {};

  /** The table whose entries the gauges read; set once, before any host is seen. */
  default void attach(HostLeaseTable table) {}

  /** A host's entry was looked up (every acquire does); its meters exist from now on. */
  default void hostSeen(HostKey key) {}

  /** A host's idle entry left the table. */
  default void hostRemoved(HostKey key) {}

  /** A slot was granted from the local share while ZooKeeper was unavailable. */
  default void fallbackGranted(HostKey key) {}

  /** The session's loss took the leases of {@code slots} slots still in use. */
  default void leasesLost(HostKey key, int slots) {}

  /** The regulator closed: every meter goes. */
  default void close() {}
}
