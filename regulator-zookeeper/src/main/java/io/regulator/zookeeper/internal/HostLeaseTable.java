package io.regulator.zookeeper.internal;

import io.regulator.HostKey;
import io.regulator.zookeeper.FleetState;
import java.util.Collection;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentMap;

/**
 * The fleet entries of this node's hosts, created on demand and retired once idle for the idle
 * timeout (see {@link HostLeases}). A retired entry is replaced on the next lookup; one with
 * permits out is never retired, so there is never a second live entry counting a host's permits.
 *
 * <p>Thread-safe.
 */
final class HostLeaseTable {
  private final FleetRuntime runtime;
  private final ConcurrentMap<HostKey, HostLeases> entries = new ConcurrentHashMap<>();

  HostLeaseTable(FleetRuntime runtime) {
    this.runtime = runtime;
    runtime.observer.attach(this);
  }

  /** The host's live entry, created if absent or retired. */
  HostLeases get(HostKey key) {
    runtime.observer.hostSeen(key);
    HostLeases entry = entries.computeIfAbsent(key, k -> new HostLeases(k, runtime));
    if (entry.isRetired()) {
      entries.remove(key, entry);
      return entries.computeIfAbsent(key, k -> new HostLeases(k, runtime));
    }
    return entry;
  }

  /** The host's entry, or null if it has none; maybe retired. */
  HostLeases find(HostKey key) {
    return entries.get(key);
  }

  Collection<HostLeases> entries() {
    return entries.values();
  }

  int size() {
    return entries.size();
  }

  void connectionChanged(FleetState state) {
    for (HostLeases entry : entries.values()) {
      entry.connectionChanged(state);
    }
  }

  /** Retires and drops entries idle for the idle timeout. */
  void sweep() {
    long now = runtime.now();
    for (HostLeases entry : entries.values()) {
      if (entry.retireIfIdle(now)) {
        entries.remove(entry.key, entry);
        runtime.observer.hostRemoved(entry.key);
      }
    }
  }

  void close() {
    for (HostLeases entry : entries.values()) {
      entry.closeRecipes();
    }
    runtime.observer.close();
  }
}
