package io.regulator.zookeeper;

import static io.regulator.zookeeper.ZooKeeperSupport.soon;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.regulator.HostKey;
import io.regulator.Slot;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.locks.LockSupport;
import org.apache.curator.framework.CuratorFramework;
import org.apache.curator.test.InstanceSpec;
import org.apache.curator.test.TestingCluster;
import org.awaitility.core.ConditionTimeoutException;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * The fleet on a three-server in-JVM ensemble: a server killed and restarted under load, and the
 * quorum lost and restored. Sessions here last 4 s, longer than a leader election, so that they
 * survive a server's death as they would in production.
 */
class FleetClusterTest {
  private static final HostKey HOST = HostKey.of("partner.example", 443);
  private static final int SESSION_TIMEOUT_MS = 4000;

  private static TestingCluster cluster;
  private static CuratorFramework probe;

  private final String path = ZooKeeperSupport.freshPath();
  private final List<FleetNode> nodes = new ArrayList<>();

  @BeforeAll
  static void startEnsemble() throws Exception {
    cluster = ZooKeeperSupport.cluster();
    probe = ZooKeeperSupport.client(cluster.getConnectString(), SESSION_TIMEOUT_MS);
  }

  @AfterAll
  static void stopEnsemble() throws Exception {
    probe.close();
    cluster.close();
  }

  @AfterEach
  void everyNodeIsBackToBaseline() throws Exception {
    for (FleetNode node : nodes) {
      node.pool.close();
      assertEquals(0, node.regulator.inUse(HOST), node.name);
    }
    try {
      soon().until(() -> ZooKeeperSupport.leaseNodes(probe, path, HOST) == 0);
    } catch (ConditionTimeoutException e) {
      // Seen once in CI after a server kill and restart: name what was left, and whose, so that
      // the next occurrence tells a lost delete from an orphan of a create cut off mid-way.
      StringBuilder sessions = new StringBuilder();
      for (FleetNode node : nodes) {
        sessions.append(node.name).append("=0x").append(Long.toHexString(
            node.client.getZookeeperClient().getZooKeeper().getSessionId())).append(' ');
      }
      throw new AssertionError("lease nodes left after every pool closed: "
          + ZooKeeperSupport.describeLeaseNodes(probe, path, HOST) + "nodes' sessions: "
          + sessions, e);
    } finally {
      for (FleetNode node : nodes) {
        node.close();
      }
    }
  }

  private FleetNode node(String name, int localLimit, int fleetLimit) throws Exception {
    FleetNode node = FleetNode.start(name, cluster.getConnectString(), SESSION_TIMEOUT_MS, path,
        localLimit, builder -> builder.defaultFleetLimit(fleetLimit));
    nodes.add(node);
    return node;
  }

  private static long grants(List<FleetNode> fleet) {
    return fleet.stream().mapToLong(n -> n.regulator.stats().grants()).sum();
  }

  @Test
  void serverKilledAndRestarted_underLoad_neverExceedsTheFleetLimit() throws Exception {
    int fleetLimit = 4;
    List<FleetNode> fleet = List.of(node("a", 3, fleetLimit), node("b", 3, fleetLimit),
        node("c", 3, fleetLimit));
    ConcurrencyGauge holders = new ConcurrencyGauge();
    AtomicBoolean stop = new AtomicBoolean();
    AtomicInteger refused = new AtomicInteger();
    List<Throwable> errors = new CopyOnWriteArrayList<>();
    List<Thread> workers = new ArrayList<>();
    for (FleetNode node : fleet) {
      for (int w = 0; w < 4; w++) {
        workers.add(new Thread(() -> {
          while (!stop.get()) {
            try {
              node.holdOnce(HOST, holders, () -> LockSupport.parkNanos(1_000_000));
            } catch (FleetUnavailableException e) {
              refused.incrementAndGet(); // FAIL_FAST while this node's server is down
            } catch (Throwable e) {
              errors.add(e);
              return;
            }
          }
        }));
      }
    }
    workers.forEach(Thread::start);
    try {
      soon().until(() -> grants(fleet) > 100);
      InstanceSpec victim =
          cluster.findConnectionInstance(fleet.get(0).client.getZookeeperClient().getZooKeeper());
      assertTrue(cluster.killServer(victim));
      long atKill = grants(fleet);
      soon().until(() -> grants(fleet) > atKill + 100
          && fleet.get(0).regulator.fleetState() == FleetState.CONNECTED);
      assertTrue(cluster.restartServer(victim));
      long atRestart = grants(fleet);
      soon().until(() -> grants(fleet) > atRestart + 100);
    } finally {
      stop.set(true);
      for (Thread worker : workers) {
        worker.join(60_000);
      }
    }
    assertEquals(List.of(), errors);
    for (FleetNode node : fleet) {
      // the sessions outlived the server: they moved to the others with their leases
      assertEquals(0, node.regulator.stats().leasesLost(), node.name);
    }
    assertTrue(holders.max() <= fleetLimit, "max " + holders.max());
    assertTrue(holders.max() >= 2, "the test never had contention: max " + holders.max());
  }

  @Test
  void quorumLost_failFastRefusesAtOnce_thenServesAgainOnceRestored() throws Exception {
    FleetNode a = node("a", 4, 4);
    Slot held = a.pool.acquire(HOST);
    List<InstanceSpec> killed = new ArrayList<>();
    for (InstanceSpec server : cluster.getInstances()) {
      if (killed.size() < 2) {
        assertTrue(cluster.killServer(server));
        killed.add(server);
      }
    }
    try {
      soon().until(() -> a.regulator.fleetState() != FleetState.CONNECTED);
      FleetUnavailableException refused =
          assertThrows(FleetUnavailableException.class, () -> a.pool.acquire(HOST));
      assertEquals(HOST, refused.key());
      assertTrue(refused.getMessage().contains("ZooKeeper is unavailable"), refused.getMessage());
      assertEquals(1, a.regulator.inUse(HOST)); // what it held, it keeps
    } finally {
      for (InstanceSpec server : killed) {
        cluster.restartServer(server);
      }
    }
    soon().until(() -> a.regulator.fleetState() == FleetState.CONNECTED);
    held.release();
    Slot again = a.pool.acquire(HOST, Duration.ofSeconds(20));
    assertInstanceOf(Slot.class, again);
    again.release();
  }
}
