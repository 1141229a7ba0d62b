package io.regulator.zookeeper.internal;

import io.regulator.HostKey;
import io.regulator.HostRegulator;
import io.regulator.HostSnapshot;
import io.regulator.RegulatedPool;
import io.regulator.zookeeper.FleetHostRegulator;
import io.regulator.zookeeper.FleetState;
import io.regulator.zookeeper.FleetStats;
import java.lang.ref.Cleaner;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentMap;
import java.util.concurrent.TimeUnit;

/**
 * The fleet regulator: the node's local regulator for the local cap, and one {@link HostLeases}
 * per host for the fleet cap. See {@link HostLeases} for the concurrency design.
 *
 * <p>Thread-safe. Opening and closing race safely with {@link #close()}: a pool registers before
 * it checks {@code runtime.isClosed()}, and close marks the runtime closed before it walks the
 * pools, so every pool is either refused or closed.
 */
public final class LeasedHostRegulator implements FleetHostRegulator {
  /** One cleaner thread for every fleet regulator's pools. */
  private static final Cleaner CLEANER = Cleaner.create(runnable -> {
    Thread thread = new Thread(runnable, "regulator-fleet-pool-cleaner");
    thread.setDaemon(true);
    return thread;
  });

  final FleetRuntime runtime;
  final HostLeaseTable table;
  private final HostRegulator local;
  private final ConcurrentMap<String, LeaseLedger> pools = new ConcurrentHashMap<>();

  /** A fleet regulator with these settings; starts following the client's connection at once. */
  public LeasedHostRegulator(FleetSettings settings) {
    this.local = settings.local();
    FleetConnection connection =
        new FleetConnection(settings.client(), settings.ticker(), this::connectionChanged);
    this.runtime = new FleetRuntime(settings, connection);
    this.table = new HostLeaseTable(runtime);
    connection.start();
    long sweepNanos = Math.max(settings.idleHostNanos() / 2, TimeUnit.MILLISECONDS.toNanos(10));
    runtime.timer.scheduleWithFixedDelay(
        table::sweep, sweepNanos, sweepNanos, TimeUnit.NANOSECONDS);
  }

  private void connectionChanged(FleetState state) {
    table.connectionChanged(state);
    runtime.events.stateChanged(state);
  }

  @Override
  public RegulatedPool newPool(String name) {
    Objects.requireNonNull(name, "name");
    if (runtime.isClosed()) {
      throw new IllegalStateException("regulator is closed; cannot open pool '" + name + "'");
    }
    RegulatedPool localPool = local.newPool(name); // validates the name and its uniqueness
    LeaseLedger ledger = new LeaseLedger(name, localPool, this);
    pools.put(name, ledger);
    if (runtime.isClosed()) {
      shutdown(ledger, false);
      throw new IllegalStateException("regulator is closed; cannot open pool '" + name + "'");
    }
    return new LeasedPool(ledger, this, CLEANER);
  }

  /** Closes a pool's ledger and tells the listeners; does nothing if it was closed already. */
  void shutdown(LeaseLedger ledger, boolean unreachable) {
    int reclaimed = ledger.close();
    if (reclaimed < 0) {
      return;
    }
    pools.remove(ledger.name, ledger);
    runtime.events.poolClosed(ledger.name, reclaimed, unreachable);
  }

  @Override
  public int limit(HostKey key) {
    return local.limit(key);
  }

  @Override
  public void setLimit(HostKey key, int limit) {
    local.setLimit(key, limit);
  }

  @Override
  public int inUse(HostKey key) {
    HostLeases host = table.find(Objects.requireNonNull(key, "key"));
    return (host == null) ? 0 : host.granted();
  }

  @Override
  public int waiting(HostKey key) {
    HostLeases host = table.find(Objects.requireNonNull(key, "key"));
    return local.waiting(key) + ((host == null) ? 0 : host.waiting());
  }

  /**
   * Every host with slots in use, waiters or a local limit of its own: the local limit, the slots
   * granted through both caps, and the callers waiting for either.
   */
  @Override
  public List<HostSnapshot> snapshot() {
    Map<HostKey, Map<String, Integer>> byPool = new HashMap<>();
    for (LeaseLedger ledger : pools.values()) {
      for (LeasedSlot slot : ledger.slots()) {
        if (!slot.isReleased()) {
          byPool.computeIfAbsent(slot.key(), k -> new TreeMap<>())
              .merge(ledger.name, 1, Integer::sum);
        }
      }
    }
    TreeSet<HostKey> keys = new TreeSet<>(byPool.keySet());
    for (HostSnapshot localHost : local.snapshot()) {
      keys.add(localHost.key());
    }
    for (HostLeases host : table.entries()) {
      if (host.granted() > 0 || host.waiting() > 0) {
        keys.add(host.key);
      }
    }
    List<HostSnapshot> hosts = new ArrayList<>(keys.size());
    for (HostKey key : keys) {
      hosts.add(new HostSnapshot(key, local.limit(key), inUse(key), waiting(key),
          byPool.getOrDefault(key, Map.of())));
    }
    return hosts;
  }

  /** Hosts with a fleet entry now: each holds a watch on its fleet limit until idle long enough. */
  @Override
  public int trackedHosts() {
    return table.size();
  }

  @Override
  public int fleetLimit(HostKey key) {
    return table.get(Objects.requireNonNull(key, "key")).fleetLimit();
  }

  @Override
  public void setFleetLimit(HostKey key, int limit) {
    Objects.requireNonNull(key, "key");
    if (limit < 1) {
      throw new IllegalArgumentException("limit < 1: " + limit);
    }
    table.get(key).setFleetLimit(limit);
  }

  @Override
  public int fleetLeases(HostKey key) {
    HostLeases host = table.find(Objects.requireNonNull(key, "key"));
    return (host == null) ? 0 : host.liveLeases();
  }

  @Override
  public int fleetInUse(HostKey key) {
    return table.get(Objects.requireNonNull(key, "key")).fleetInUse();
  }

  @Override
  public FleetState fleetState() {
    return runtime.connection.state();
  }

  @Override
  public FleetStats stats() {
    return runtime.counters.snapshot();
  }

  /**
   * Closes every pool (returning their leases), the local regulator, and the fleet entries. Does
   * not close the Curator client. A lease acquire still in flight gives its lease back when it
   * completes.
   */
  @Override
  public void close() {
    runtime.markClosed();
    for (LeaseLedger ledger : pools.values()) {
      shutdown(ledger, false);
    }
    local.close();
    runtime.connection.stop();
    runtime.timer.shutdownNow();
    runtime.zooKeeperThreads.shutdown();
    table.close();
  }

  @Override
  public String toString() {
    return "FleetHostRegulator[" + pools.size() + " open pools, " + table.size() + " hosts, "
        + runtime.connection.state() + "]";
  }
}
