package io.regulator.zookeeper;

import io.regulator.HostKey;
import io.regulator.RegulatedPool;
import io.regulator.Slot;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.function.UnaryOperator;
import org.apache.curator.framework.CuratorFramework;

/**
 * One simulated node of a fleet: its own ZooKeeper session (optionally through a {@link TcpProxy}
 * that can cut it off), its own local regulator, a fleet regulator over both, and one pool.
 */
final class FleetNode implements AutoCloseable {
  final String name;
  final CuratorFramework client;
  final FleetHostRegulator regulator;
  final RegulatedPool pool;
  final TcpProxy proxy;
  final List<String> events;

  private FleetNode(String name, CuratorFramework client, FleetHostRegulator regulator,
      TcpProxy proxy, List<String> events) {
    this.name = name;
    this.events = events;
    this.client = client;
    this.regulator = regulator;
    this.pool = regulator.newPool(name + "-pool");
    this.proxy = proxy;
  }

  /** A node connected straight to {@code connectString}. */
  static FleetNode start(String name, String connectString, String path, int localLimit,
      UnaryOperator<FleetHostRegulators.Builder> config) throws Exception {
    return start(name, ZooKeeperSupport.client(connectString), null, path, localLimit, config);
  }

  /** A node connected straight to {@code connectString} with its own session timeout. */
  static FleetNode start(String name, String connectString, int sessionTimeoutMs, String path,
      int localLimit, UnaryOperator<FleetHostRegulators.Builder> config) throws Exception {
    return start(name, ZooKeeperSupport.client(connectString, sessionTimeoutMs), null, path,
        localLimit, config);
  }

  /** A node whose ZooKeeper traffic goes through a proxy to the server's port. */
  static FleetNode startBehindProxy(String name, int serverPort, String path, int localLimit,
      UnaryOperator<FleetHostRegulators.Builder> config) throws Exception {
    TcpProxy proxy = new TcpProxy(serverPort);
    return start(name, ZooKeeperSupport.client(proxy.connectString()), proxy, path, localLimit,
        config);
  }

  private static FleetNode start(String name, CuratorFramework client, TcpProxy proxy,
      String path, int localLimit, UnaryOperator<FleetHostRegulators.Builder> config) {
    List<String> events = new CopyOnWriteArrayList<>();
    FleetHostRegulators.Builder builder = FleetHostRegulators.builder(client)
        .local(ZooKeeperSupport.local(localLimit))
        .path(path)
        .nodeId(name)
        .listener(new FleetListener() {
          @Override
          public void stateChanged(FleetState state) {
            events.add("state:" + state);
          }

          @Override
          public void leasesLost(HostKey key, int slotsInUse) {
            events.add("lost:" + key + ":" + slotsInUse);
          }

          @Override
          public void fallbackGranted(HostKey key, int heldOnNode, int share) {
            events.add("fallback:" + key + ":" + heldOnNode + "/" + share);
          }

          @Override
          public void poolClosed(String poolName, int reclaimedSlots, boolean unreachable) {
            events.add("closed:" + poolName + ":" + reclaimedSlots + ":" + unreachable);
          }
        });
    return new FleetNode(name, client, config.apply(builder).build(), proxy, events);
  }

  /** Acquires, counts the holder in {@code holders} while it holds, and releases. */
  void holdOnce(HostKey key, ConcurrencyGauge holders, Runnable whileHeld)
      throws InterruptedException {
    Slot slot = pool.acquire(key);
    holders.enter();
    try {
      whileHeld.run();
    } finally {
      holders.exit();
      slot.release();
    }
  }

  @Override
  public void close() throws java.io.IOException {
    try {
      regulator.close();
    } finally {
      client.close();
      if (proxy != null) {
        proxy.close();
      }
    }
  }
}
