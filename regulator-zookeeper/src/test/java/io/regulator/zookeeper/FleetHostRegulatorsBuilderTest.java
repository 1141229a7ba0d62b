package io.regulator.zookeeper;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import io.regulator.HostKey;
import java.time.Duration;
import org.apache.curator.framework.CuratorFramework;
import org.apache.curator.framework.CuratorFrameworkFactory;
import org.apache.curator.retry.RetryOneTime;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/** The builder validates each setting at once, naming it and its value. */
class FleetHostRegulatorsBuilderTest {
  private final CuratorFramework unstarted =
      CuratorFrameworkFactory.newClient("127.0.0.1:1", new RetryOneTime(1));

  @AfterEach
  void close() {
    unstarted.close();
  }

  private static void rejects(String message, Runnable setting) {
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class, setting::run);
    assertEquals(message, e.getMessage());
  }

  @Test
  void badSettings_areRefusedWithTheParameterAndTheValue() {
    FleetHostRegulators.Builder builder = FleetHostRegulators.builder(unstarted);
    rejects("defaultFleetLimit < 1: 0", () -> builder.defaultFleetLimit(0));
    rejects("fleetLimit < 1: -2", () -> builder.fleetLimit(HostKey.of("a.example", 80), -2));
    rejects("expectedNodes < 1: 0", () -> builder.expectedNodes(0));
    rejects("acquiresPerHost < 1: 0", () -> builder.acquiresPerHost(0));
    rejects("handoffWindow < 0: PT-0.001S", () -> builder.handoffWindow(Duration.ofMillis(-1)));
    rejects("acquireTimeout < 0: PT-1S", () -> builder.acquireTimeout(Duration.ofSeconds(-1)));
    rejects("idleHostTimeout <= 0: PT0S", () -> builder.idleHostTimeout(Duration.ZERO));
    rejects("nodeId is blank: \" \"", () -> builder.nodeId(" "));
    rejects("maxTaggedHosts < 0: -1", () -> builder.maxTaggedHosts(-1));
    rejects("path is the root: \"/\"", () -> builder.path("/"));
    IllegalArgumentException path =
        assertThrows(IllegalArgumentException.class, () -> builder.path("no-slash"));
    assertEquals("path is not a ZooKeeper path: \"no-slash\"", path.getMessage());
    assertThrows(NullPointerException.class, () -> builder.local(null));
    assertThrows(NullPointerException.class, () -> builder.meterRegistry(null));
    assertThrows(NullPointerException.class, () -> FleetHostRegulators.builder(null));
  }

  @Test
  void conflictingSettings_areRefusedAtBuild() {
    IllegalStateException noLocal = assertThrows(IllegalStateException.class,
        () -> FleetHostRegulators.builder(unstarted).build());
    assertEquals("local regulator not set: call local(HostRegulator)", noLocal.getMessage());

    IllegalStateException noNodes = assertThrows(IllegalStateException.class,
        () -> FleetHostRegulators.builder(unstarted).local(ZooKeeperSupport.local(2))
            .whenUnavailable(WhenUnavailable.LOCAL_SHARE).build());
    assertEquals("whenUnavailable LOCAL_SHARE needs expectedNodes(n) to compute the local share",
        noNodes.getMessage());

    IllegalStateException notStarted = assertThrows(IllegalStateException.class,
        () -> FleetHostRegulators.builder(unstarted).local(ZooKeeperSupport.local(2)).build());
    assertEquals("client is not started: LATENT", notStarted.getMessage());
  }
}
