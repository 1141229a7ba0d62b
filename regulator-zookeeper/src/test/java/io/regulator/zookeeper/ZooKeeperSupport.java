package io.regulator.zookeeper;

import static java.util.concurrent.TimeUnit.SECONDS;

import io.regulator.HostKey;
import io.regulator.HostRegulator;
import io.regulator.core.HostRegulators;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.CountDownLatch;
import org.apache.curator.framework.CuratorFramework;
import org.apache.curator.framework.CuratorFrameworkFactory;
import org.apache.curator.retry.RetryNTimes;
import org.apache.curator.test.InstanceSpec;
import org.apache.curator.test.TestingCluster;
import org.apache.curator.test.TestingServer;
import org.apache.zookeeper.KeeperException;
import org.apache.zookeeper.Watcher;
import org.apache.zookeeper.ZooKeeper;
import org.apache.zookeeper.data.Stat;
import org.awaitility.Awaitility;
import org.awaitility.core.ConditionFactory;

/** In-JVM ZooKeeper servers and clients with short timeouts, for tests. */
final class ZooKeeperSupport {
  /** Short enough that session-loss tests take seconds; the servers allow 100 ms to 4 s. */
  static final int SESSION_TIMEOUT_MS = 1500;

  private ZooKeeperSupport() {}

  /**
   * Awaitility bounded at 30 s, polling every 5 ms from the start: the default 100 ms poll would
   * make tests that wait for many short events slow, and these conditions are cheap.
   */
  static ConditionFactory soon() {
    return Awaitility.await().atMost(30, SECONDS).pollDelay(Duration.ZERO)
        .pollInterval(Duration.ofMillis(5));
  }

  /** A standalone server ticking every 100 ms (sessions of 200 ms to 4 s). */
  static TestingServer server() throws Exception {
    return new TestingServer(spec(-1), true);
  }

  /** A three-server ensemble, with sync and init limits generous enough for 2 busy cores. */
  static TestingCluster cluster() throws Exception {
    TestingCluster cluster = new TestingCluster(spec(1), spec(2), spec(3));
    cluster.start();
    return cluster;
  }

  private static InstanceSpec spec(int serverId) {
    return new InstanceSpec(null, -1, -1, -1, true, serverId, 100, -1,
        Map.of("maxSessionTimeout", "4000", "syncLimit", "20", "initLimit", "40"));
  }

  /** A started Curator client, connected (or the test fails). */
  static CuratorFramework client(String connectString) throws InterruptedException {
    return client(connectString, SESSION_TIMEOUT_MS);
  }

  /** A started Curator client with this session timeout, connected (or the test fails). */
  static CuratorFramework client(String connectString, int sessionTimeoutMs)
      throws InterruptedException {
    CuratorFramework client = CuratorFrameworkFactory.builder()
        .connectString(connectString)
        .sessionTimeoutMs(sessionTimeoutMs)
        .connectionTimeoutMs(1000)
        .maxCloseWaitMs(200)
        .retryPolicy(new RetryNTimes(3, 100))
        .build();
    client.start();
    if (!client.blockUntilConnected(20, SECONDS)) {
      client.close();
      throw new AssertionError("could not connect to " + connectString);
    }
    return client;
  }

  /**
   * Lease nodes of {@code key} under {@code path} now, read through {@code probe}: the leases held
   * across the fleet, plus the node of an acquirer waiting at the head of the fleet's queue.
   */
  static int leaseNodes(CuratorFramework probe, String path, HostKey key) throws Exception {
    try {
      return probe.getChildren().forPath(leasesPath(path, key)).size();
    } catch (KeeperException.NoNodeException e) {
      return 0;
    }
  }

  /**
   * The host's lease nodes, each with its data (the holder's {@code nodeId}) and the session that
   * owns it in hex: what a failure that finds leases left over names.
   */
  static String describeLeaseNodes(CuratorFramework probe, String path, HostKey key)
      throws Exception {
    String leases = leasesPath(path, key);
    StringBuilder out = new StringBuilder();
    try {
      for (String child : probe.getChildren().forPath(leases)) {
        Stat stat = new Stat();
        byte[] data = probe.getData().storingStatIn(stat).forPath(leases + "/" + child);
        out.append(child).append(" holder=")
            .append(data == null ? "?" : new String(data, StandardCharsets.UTF_8))
            .append(" session=0x").append(Long.toHexString(stat.getEphemeralOwner())).append("; ");
      }
    } catch (KeeperException.NoNodeException e) {
      return "none";
    }
    return (out.length() == 0) ? "none" : out.toString();
  }

  /** Where the fleet at {@code path} keeps the lease nodes of {@code key}. */
  static String leasesPath(String path, HostKey key) {
    return path + "/hosts/" + key + "/leases";
  }

  /** A fresh fleet path, so that tests sharing a server share no hosts. */
  static String freshPath() {
    return "/regulator-test/" + UUID.randomUUID();
  }

  /** A local regulator for a simulated node. */
  static HostRegulator local(int limit) {
    return HostRegulators.builder().defaultLimit(limit).acquireTimeout(Duration.ofSeconds(30))
        .build();
  }

  /**
   * Expires the client's session on the servers, as a long GC pause or partition would: a second
   * handle joins the session and closes it, so the servers delete its ephemeral nodes at once.
   */
  static void expireSession(CuratorFramework client, String connectString) throws Exception {
    ZooKeeper zk = client.getZookeeperClient().getZooKeeper();
    CountDownLatch connected = new CountDownLatch(1);
    ZooKeeper twin = new ZooKeeper(connectString, SESSION_TIMEOUT_MS, event -> {
      if (event.getState() == Watcher.Event.KeeperState.SyncConnected) {
        connected.countDown();
      }
    }, zk.getSessionId(), zk.getSessionPasswd());
    try {
      if (!connected.await(20, SECONDS)) {
        throw new AssertionError("twin session did not connect");
      }
    } finally {
      twin.close();
    }
  }
}
