package io.regulator;

import java.util.List;

/**
 * The node-wide registry of per-host slot counts, shared by independent pools.
 *
 * <p>At no instant do its pools together hold more than {@link #limit(HostKey)} slots of a host.
 * Released slots go straight to the host's longest waiter, from whichever pool.
 *
 * <p>Thread-safe.
 */
public interface HostRegulator extends AutoCloseable {

  /**
   * Opens a pool under {@code name}.
   *
   * @throws NullPointerException if {@code name} is null
   * @throws IllegalArgumentException if {@code name} is blank
   * @throws IllegalStateException while an open pool has that name, or once the regulator closed
   */
  RegulatedPool newPool(String name);

  /** The host's limit: its own if one was set, else the default. */
  int limit(HostKey key);

  /**
   * Sets the host's limit, live. Raising it admits waiters at once; lowering it admits none until
   * in-use falls under the new limit and revokes nothing already held.
   *
   * @throws IllegalArgumentException if {@code limit} is below 1
   * @throws IllegalStateException if the regulator is closed, as {@link #newPool} does
   */
  void setLimit(HostKey key, int limit);

  /** Slots of {@code key} held now, across all pools. */
  int inUse(HostKey key);

  /** Callers waiting now for a slot of {@code key}, across all pools. */
  int waiting(HostKey key);

  /**
   * Every host with slots in use, waiters or a limit of its own, sorted by key. A diagnostic view:
   * each host's figures are consistent with each other, not with other hosts'.
   */
  List<HostSnapshot> snapshot();

  /**
   * How many host entries the registry holds now, idle ones included, once entries that nothing
   * references any more were dropped. A diagnostic for memory: idle hosts do not stay forever,
   * and a host with slots out or waiters is never dropped.
   */
  int trackedHosts();

  /** Closes every pool, then refuses new ones. Idempotent. */
  @Override
  void close();
}
