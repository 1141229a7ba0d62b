package io.regulator.zookeeper;

import static io.regulator.zookeeper.ZooKeeperSupport.soon;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.regulator.HostKey;
import io.regulator.Slot;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.CompletableFuture;
import java.util.function.UnaryOperator;
import org.apache.curator.test.TestingServer;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** The fleet tier's own Micrometer meters, read from a {@link SimpleMeterRegistry}. */
class FleetMetersTest {
  private static final HostKey HOST = HostKey.of("partner.example", 443);
  private static final HostKey OTHER = HostKey.of("other.example", 443);
  private static final HostKey THIRD = HostKey.of("third.example", 443);
  private static final Duration LONG = Duration.ofSeconds(30);

  private static TestingServer server;

  private final String path = ZooKeeperSupport.freshPath();
  private final SimpleMeterRegistry registry = new SimpleMeterRegistry();
  private final List<FleetNode> nodes = new ArrayList<>();

  @BeforeAll
  static void startServer() throws Exception {
    server = ZooKeeperSupport.server();
  }

  @AfterAll
  static void stopServer() throws Exception {
    server.close();
  }

  @AfterEach
  void closeNodes() throws Exception {
    for (FleetNode node : nodes) {
      node.close();
    }
  }

  private FleetNode node(UnaryOperator<FleetHostRegulators.Builder> config) throws Exception {
    FleetNode node = FleetNode.start("metered", server.getConnectString(), path, 4,
        builder -> config.apply(builder.defaultFleetLimit(2).meterRegistry(registry)));
    nodes.add(node);
    return node;
  }

  private FleetNode behindProxy(UnaryOperator<FleetHostRegulators.Builder> config)
      throws Exception {
    FleetNode node = FleetNode.startBehindProxy("metered", server.getPort(), path, 4,
        builder -> config.apply(builder.defaultFleetLimit(2).meterRegistry(registry)));
    nodes.add(node);
    return node;
  }

  private double gauge(String name, String host) {
    Gauge gauge = registry.find(name).tag(FleetMeters.HOST, host).gauge();
    return (gauge == null) ? Double.NaN : gauge.value();
  }

  private double connection(FleetState state) {
    return registry.find(FleetMeters.CONNECTION)
        .tag(FleetMeters.STATE, state.name().toLowerCase(Locale.ROOT)).gauge().value();
  }

  @Test
  void gauges_countLeasesHeldAndWaitedForPerHost_andTheFleetLimit() throws Exception {
    FleetNode a = node(UnaryOperator.identity());
    Slot first = a.pool.acquire(HOST);
    Slot second = a.pool.acquire(HOST);
    CompletableFuture<Slot> third = a.pool.acquireAsync(HOST, LONG);
    soon().until(() -> a.regulator.waiting(HOST) == 1);

    assertEquals(2, gauge(FleetMeters.LEASES_HELD, HOST.toString()));
    assertEquals(1, gauge(FleetMeters.LEASES_WAITING, HOST.toString()));
    assertEquals(2, gauge(FleetMeters.LIMIT, HOST.toString()));
    assertEquals(1, connection(FleetState.CONNECTED));
    assertEquals(0, connection(FleetState.SUSPENDED));
    a.regulator.setFleetLimit(HOST, 3);
    soon().until(() -> gauge(FleetMeters.LIMIT, HOST.toString()) == 3);

    assertTrue(first.release());
    assertTrue(second.release());
    assertTrue(third.get().release());
    // Back to baseline: nothing held or waited for; a lease may still be on its way back.
    assertEquals(0, gauge(FleetMeters.LEASES_WAITING, HOST.toString()));
    soon().until(() -> gauge(FleetMeters.LEASES_HELD, HOST.toString()) == 0);

    a.regulator.close();
    assertNull(registry.find(FleetMeters.LEASES_HELD).gauge(), "meters removed at close");
    assertNull(registry.find(FleetMeters.CONNECTION).gauge(), "meters removed at close");
  }

  @Test
  void hostsBeyondMaxTaggedHosts_shareTheOtherTag() throws Exception {
    FleetNode a = node(builder -> builder.maxTaggedHosts(1));
    Slot mine = a.pool.acquire(HOST);
    Slot other = a.pool.acquire(OTHER);
    Slot third = a.pool.acquire(THIRD);
    assertEquals(1, gauge(FleetMeters.LEASES_HELD, HOST.toString()));
    assertEquals(2, gauge(FleetMeters.LEASES_HELD, FleetMeters.OTHER_HOSTS));
    assertTrue(Double.isNaN(gauge(FleetMeters.LEASES_HELD, OTHER.toString())));
    assertNull(registry.find(FleetMeters.LIMIT).tag(FleetMeters.HOST, FleetMeters.OTHER_HOSTS)
        .gauge());
    assertTrue(mine.release());
    assertTrue(other.release());
    assertTrue(third.release());
    soon().until(() -> gauge(FleetMeters.LEASES_HELD, FleetMeters.OTHER_HOSTS) == 0);
  }

  @Test
  void localShareGrants_areCountedAsOverGrants_whileTheConnectionIsDown() throws Exception {
    FleetNode cut = behindProxy(
        builder -> builder.whenUnavailable(WhenUnavailable.LOCAL_SHARE).expectedNodes(1));
    Slot held = cut.pool.acquire(HOST);
    cut.proxy.cut();
    soon().until(() -> cut.regulator.fleetState() != FleetState.CONNECTED);
    soon().until(() -> connection(FleetState.CONNECTED) == 0);

    Slot fromShare = cut.pool.acquire(HOST, LONG); // 1 held + 1 = the share of 2
    Counter grants = registry.find(FleetMeters.LOCAL_SHARE_GRANTS)
        .tag(FleetMeters.HOST, HOST.toString()).counter();
    assertEquals(1, grants.count());
    assertEquals(cut.regulator.stats().fallbackGrants(), (long) grants.count());
    assertEquals(0, registry.find(FleetMeters.LEASES_LOST).tag(FleetMeters.HOST, HOST.toString())
        .counter().count());

    assertTrue(fromShare.release());
    cut.proxy.restore();
    soon().until(() -> connection(FleetState.CONNECTED) == 1);
    assertTrue(held.release());
  }
}
