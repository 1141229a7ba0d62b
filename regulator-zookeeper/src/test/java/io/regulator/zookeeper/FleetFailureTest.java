package io.regulator.zookeeper;

import static io.regulator.zookeeper.ZooKeeperSupport.soon;
import static java.util.concurrent.TimeUnit.SECONDS;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.regulator.HostKey;
import io.regulator.RegulatedPool;
import io.regulator.Slot;
import io.regulator.SlotTimeoutException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.UnaryOperator;
import org.apache.curator.framework.CuratorFramework;
import org.apache.curator.test.TestingServer;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * What each ZooKeeper failure does: a session expired under held slots, a node lost for good, a
 * node partitioned from the ensemble under either {@link WhenUnavailable} policy. Nodes cut off
 * talk to the server through a {@link TcpProxy} that the test cuts.
 */
class FleetFailureTest {
  private static final HostKey HOST = HostKey.of("partner.example", 443);
  private static final Duration LONG = Duration.ofSeconds(60);

  private static TestingServer server;
  private static CuratorFramework probe;

  private final String path = ZooKeeperSupport.freshPath();
  private final List<FleetNode> nodes = new ArrayList<>();

  @BeforeAll
  static void startServer() throws Exception {
    server = ZooKeeperSupport.server();
    probe = ZooKeeperSupport.client(server.getConnectString());
  }

  @AfterAll
  static void stopServer() throws Exception {
    probe.close();
    server.close();
  }

  @AfterEach
  void everyNodeIsBackToBaseline() throws Exception {
    for (FleetNode node : nodes) {
      if (node.proxy != null) {
        node.proxy.restore();
      }
      node.pool.close();
      assertEquals(0, node.regulator.inUse(HOST), node.name);
    }
    soon().until(() -> ZooKeeperSupport.leaseNodes(probe, path, HOST) == 0);
    for (FleetNode node : nodes) {
      node.close();
    }
  }

  private FleetNode direct(String name, int localLimit, int fleetLimit) throws Exception {
    FleetNode node = FleetNode.start(name, server.getConnectString(), path, localLimit,
        builder -> builder.defaultFleetLimit(fleetLimit));
    nodes.add(node);
    return node;
  }

  private FleetNode behindProxy(String name, int localLimit, int fleetLimit,
      UnaryOperator<FleetHostRegulators.Builder> config) throws Exception {
    FleetNode node = FleetNode.startBehindProxy(name, server.getPort(), path, localLimit,
        builder -> config.apply(builder.defaultFleetLimit(fleetLimit)));
    nodes.add(node);
    return node;
  }

  private int leaseNodes() throws Exception {
    return ZooKeeperSupport.leaseNodes(probe, path, HOST);
  }

  private static Thread acquireInBackground(RegulatedPool pool, Duration timeout,
      AtomicReference<Object> outcome) {
    Thread thread = new Thread(() -> {
      try {
        outcome.set(pool.acquire(HOST, timeout));
      } catch (Throwable e) {
        outcome.set(e);
      }
    });
    thread.start();
    return thread;
  }

  @Test
  void sessionExpiredMidFlight_reportsTheLostLeases_andTheNewSessionRegulatesAgain()
      throws Exception {
    FleetNode a = direct("a", 4, 2);
    FleetNode b = direct("b", 4, 2);
    Slot first = a.pool.acquire(HOST);
    Slot second = a.pool.acquire(HOST);
    assertEquals(2, a.regulator.fleetLeases(HOST));

    ZooKeeperSupport.expireSession(a.client, server.getConnectString());

    soon().until(() -> a.events.contains("lost:" + HOST + ":2"));
    soon().until(() -> a.regulator.fleetState() == FleetState.CONNECTED);
    assertTrue(a.events.contains("state:LOST"), a.events.toString());
    assertEquals(2, a.regulator.stats().leasesLost());
    // a's callers still hold their slots, but the servers deleted their leases
    assertEquals(2, a.regulator.inUse(HOST));
    assertEquals(0, a.regulator.fleetLeases(HOST));
    assertEquals(0, leaseNodes());

    // so the fleet grants them to b, and a's new session takes none while b holds them
    Slot b1 = b.pool.acquire(HOST, LONG);
    Slot b2 = b.pool.acquire(HOST, LONG);
    assertThrows(SlotTimeoutException.class, () -> a.pool.acquire(HOST, Duration.ofMillis(200)));

    // releasing the void leases frees nothing of b's
    first.release();
    second.release();
    assertEquals(0, a.regulator.inUse(HOST));
    soon().until(() -> leaseNodes() == 2);
    assertEquals(2, b.regulator.fleetLeases(HOST));

    b1.release();
    Slot again = a.pool.acquire(HOST, LONG);
    assertEquals(1, a.regulator.fleetLeases(HOST));
    again.release();
    b2.release();
  }

  @Test
  void lostNode_freesItsLeasesWithinTheSessionTimeout() throws Exception {
    FleetNode lost = behindProxy("lost", 4, 2, UnaryOperator.identity());
    FleetNode survivor = direct("survivor", 4, 2);
    Slot first = lost.pool.acquire(HOST);
    Slot second = lost.pool.acquire(HOST);
    AtomicReference<Object> outcome = new AtomicReference<>();
    Thread waiter = acquireInBackground(survivor.pool, LONG, outcome);
    soon().until(() -> survivor.regulator.waiting(HOST) == 1);

    long cutAt = System.nanoTime();
    lost.proxy.cut(); // the node is gone as far as the ensemble can tell

    waiter.join(20_000);
    long freedAfterMs = (System.nanoTime() - cutAt) / 1_000_000;
    Slot taken = assertInstanceOf(Slot.class, outcome.get(), () -> "freed after " + freedAfterMs);
    // the lost node learns it too, and refuses rather than guesses
    soon().until(() -> lost.events.contains("lost:" + HOST + ":2"));
    assertThrows(FleetUnavailableException.class, () -> lost.pool.acquire(HOST));
    taken.release();
    first.release();
    second.release();
  }

  @Test
  void partitionedNode_failFast_failsItsWaitersAndRefusesAtOnce_neverTakingMoreLeases()
      throws Exception {
    FleetNode cut = behindProxy("cut", 4, 4, UnaryOperator.identity());
    FleetNode other = direct("other", 4, 4);
    Slot held = cut.pool.acquire(HOST);
    List<Slot> othersSlots = new ArrayList<>();
    for (int i = 0; i < 3; i++) {
      othersSlots.add(other.pool.acquire(HOST));
    }
    AtomicReference<Object> outcome = new AtomicReference<>();
    Thread waiter = acquireInBackground(cut.pool, LONG, outcome);
    soon().until(() -> cut.regulator.waiting(HOST) == 1);

    cut.proxy.cut();

    // the waiter learns at once, long before its 60 s timeout
    waiter.join(20_000);
    FleetUnavailableException failed = assertInstanceOf(FleetUnavailableException.class,
        outcome.get());
    assertEquals(HOST, failed.key());
    assertEquals(0, cut.regulator.waiting(HOST));
    assertThrows(FleetUnavailableException.class, () -> cut.pool.acquire(HOST, LONG));
    assertThrows(FleetUnavailableException.class, () -> cut.pool.tryAcquire(HOST));
    CompletableFuture<Slot> async = cut.pool.acquireAsync(HOST, LONG);
    ExecutionException asyncFailure =
        assertThrows(ExecutionException.class, () -> async.get(10, SECONDS));
    assertInstanceOf(FleetUnavailableException.class, asyncFailure.getCause());
    assertTrue(cut.regulator.fleetLeases(HOST) <= 1);
    assertTrue(cut.regulator.stats().unavailable() >= 4, cut.regulator.stats().toString());

    cut.proxy.restore();
    soon().until(() -> cut.regulator.fleetState() == FleetState.CONNECTED);
    held.release();
    othersSlots.forEach(Slot::release);
    Slot again = cut.pool.acquire(HOST, LONG);
    again.release();
  }

  @Test
  void partitionedNode_localShare_grantsUpToItsShareCountingWhatItHeld_andReportsEachGrant()
      throws Exception {
    // fleet limit 4 over 2 nodes: a share of 2
    FleetNode cut = behindProxy("cut", 8, 4,
        b -> b.whenUnavailable(WhenUnavailable.LOCAL_SHARE).expectedNodes(2));
    Slot held = cut.pool.acquire(HOST);
    assertEquals(1, cut.regulator.fleetLeases(HOST));

    cut.proxy.cut();
    soon().until(() -> cut.regulator.fleetState() != FleetState.CONNECTED);

    Slot fromShare = cut.pool.acquire(HOST, LONG); // 1 held + 1 = the share of 2
    assertTrue(cut.events.contains("fallback:" + HOST + ":2/2"), cut.events.toString());
    SlotTimeoutException full = assertThrows(SlotTimeoutException.class,
        () -> cut.pool.acquire(HOST, Duration.ofMillis(200)));
    assertEquals(4, full.limit());
    assertEquals(2, cut.regulator.inUse(HOST));

    // a released share grant makes room for exactly one more
    fromShare.release();
    Slot next = cut.pool.tryAcquire(HOST).orElseThrow();
    assertEquals(java.util.Optional.empty(), cut.pool.tryAcquire(HOST));
    assertEquals(2, cut.regulator.stats().fallbackGrants());
    assertEquals(2, cut.events.stream().filter(e -> e.startsWith("fallback:")).count());
    assertTrue(cut.regulator.fleetLeases(HOST) <= 1);

    cut.proxy.restore();
    soon().until(() -> cut.regulator.fleetState() == FleetState.CONNECTED);
    next.release();
    held.release();
    // connected again, grants are fleet leases again
    Slot leased = cut.pool.acquire(HOST, LONG);
    assertEquals(1, cut.regulator.fleetLeases(HOST));
    leased.release();
  }

  @Test
  void localShare_servesCallersQueuedWhenTheConnectionDrops() throws Exception {
    FleetNode cut = behindProxy("cut", 8, 2,
        b -> b.whenUnavailable(WhenUnavailable.LOCAL_SHARE).expectedNodes(1));
    FleetNode other = direct("other", 8, 2);
    Slot o1 = other.pool.acquire(HOST);
    Slot o2 = other.pool.acquire(HOST);
    AtomicReference<Object> outcome = new AtomicReference<>();
    Thread waiter = acquireInBackground(cut.pool, LONG, outcome);
    soon().until(() -> cut.regulator.waiting(HOST) == 1);

    cut.proxy.cut();

    // its share is the whole limit (one expected node), and it holds nothing: granted locally
    waiter.join(20_000);
    Slot granted = assertInstanceOf(Slot.class, outcome.get());
    assertEquals(0, cut.regulator.fleetLeases(HOST));
    assertEquals(1, cut.regulator.stats().fallbackGrants());
    cut.proxy.restore();
    granted.release();
    o1.release();
    o2.release();
  }
}
