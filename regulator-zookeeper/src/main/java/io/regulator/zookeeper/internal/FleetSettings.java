package io.regulator.zookeeper.internal;

import io.regulator.HostKey;
import io.regulator.HostRegulator;
import io.regulator.RegulatorListener;
import io.regulator.zookeeper.WhenUnavailable;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.Executor;
import java.util.function.LongSupplier;
import org.apache.curator.framework.CuratorFramework;

/**
 * The validated, immutable configuration of one fleet regulator, as its builder left it.
 *
 * @param client the started Curator client; not owned
 * @param local the node's own regulator; owned
 * @param path the fleet's root path in ZooKeeper
 * @param defaultFleetLimit the seed of a host's fleet limit
 * @param fleetLimits hosts' own seeds
 * @param whenUnavailable what to do while ZooKeeper is unreachable
 * @param expectedNodes the divisor of the local share
 * @param handoffWindowNanos how long a lease may pass from caller to caller on this node
 * @param acquireTimeout how long {@code acquire(key)} waits for both caps
 * @param acquiresPerHost how many leases of one host this node takes from ZooKeeper at once
 * @param idleHostNanos how long an idle host keeps its fleet entry
 * @param listeners listeners, called outside every lock
 * @param asyncExecutor where futures from {@code acquireAsync} are completed
 * @param ticker the nano clock of deadlines and ages
 * @param nodeId this node's name, written into its lease nodes
 * @param meterRegistry a Micrometer {@code MeterRegistry}, or null; typed {@code Object} so that
 *     no Micrometer class loads unless one was configured
 * @param maxTaggedHosts how many hosts at a time get meters tagged with their own name
 */
public record FleetSettings(
    CuratorFramework client,
    HostRegulator local,
    String path,
    int defaultFleetLimit,
    Map<HostKey, Integer> fleetLimits,
    WhenUnavailable whenUnavailable,
    int expectedNodes,
    long handoffWindowNanos,
    Duration acquireTimeout,
    int acquiresPerHost,
    long idleHostNanos,
    List<RegulatorListener> listeners,
    Executor asyncExecutor,
    LongSupplier ticker,
    String nodeId,
    Object meterRegistry,
    int maxTaggedHosts) {

  /** Copies the collections; immutable and thread-safe. */
  public FleetSettings {
    Objects.requireNonNull(client, "client");
    Objects.requireNonNull(local, "local");
    Objects.requireNonNull(path, "path");
    fleetLimits = Map.copyOf(fleetLimits);
    Objects.requireNonNull(whenUnavailable, "whenUnavailable");
    Objects.requireNonNull(acquireTimeout, "acquireTimeout");
    listeners = List.copyOf(listeners);
    Objects.requireNonNull(asyncExecutor, "asyncExecutor");
    Objects.requireNonNull(ticker, "ticker");
    Objects.requireNonNull(nodeId, "nodeId");
  }

  /** The fleet limit to seed for {@code key} when the fleet has none. */
  int seedLimit(HostKey key) {
    return fleetLimits.getOrDefault(key, defaultFleetLimit);
  }
}
