package io.regulator.core;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;

import io.regulator.HostKey;
import io.regulator.HostRegulator;
import java.time.Duration;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.function.Executable;

class HostRegulatorsBuilderTest {
  private static final HostKey HOST = HostKey.of("example.com", 443);

  private static void assertRefused(Class<? extends Throwable> type, String message, Executable call) {
    assertEquals(message, assertThrows(type, call).getMessage());
  }

  @Test
  void badSettings_areRefusedAtOnceNamingParameterAndValue() {
    var builder = HostRegulators.builder();
    assertRefused(IllegalArgumentException.class, "defaultLimit < 1: 0", () -> builder.defaultLimit(0));
    assertRefused(IllegalArgumentException.class, "limit < 1: -3", () -> builder.limit(HOST, -3));
    assertRefused(NullPointerException.class, "key", () -> builder.limit(null, 3));
    assertRefused(IllegalArgumentException.class, "acquireTimeout < 0: PT-1S",
        () -> builder.acquireTimeout(Duration.ofSeconds(-1)));
    assertRefused(NullPointerException.class, "acquireTimeout", () -> builder.acquireTimeout(null));
    assertRefused(IllegalArgumentException.class, "maxWaitersPerHost < 0: -1",
        () -> builder.maxWaitersPerHost(-1));
    assertRefused(NullPointerException.class, "listener", () -> builder.listener(null));
    assertRefused(NullPointerException.class, "asyncExecutor", () -> builder.asyncExecutor(null));
    assertRefused(NullPointerException.class, "ticker", () -> builder.ticker(null));
    assertRefused(NullPointerException.class, "meterRegistry", () -> builder.meterRegistry(null));
    assertRefused(IllegalArgumentException.class, "maxTaggedHosts < 0: -1",
        () -> builder.maxTaggedHosts(-1));
    assertRefused(IllegalArgumentException.class, "leakThreshold <= 0: PT0S",
        () -> builder.leakThreshold(Duration.ZERO));
    assertRefused(NullPointerException.class, "leakThreshold", () -> builder.leakThreshold(null));
  }

  @Test
  void acquisitionSitesWithoutLeakDetection_areRefusedAtBuild() {
    var builder = HostRegulators.builder().recordAcquisitionSites(true);
    assertRefused(IllegalStateException.class,
        "recordAcquisitionSites needs leakThreshold or reclaimUnreachableSlots", builder::build);
    builder.reclaimUnreachableSlots(true).build().close();
    HostRegulators.builder().recordAcquisitionSites(true).leakThreshold(Duration.ofMinutes(1))
        .build().close();
  }

  @Test
  void defaultsAndOwnLimits_areWhatTheBuilderSays() {
    try (HostRegulator regulator = HostRegulators.builder().limit(HOST, 7).build();
        HostRegulator defaults = HostRegulators.builder().defaultLimit(3).build()) {
      assertEquals(7, regulator.limit(HOST));
      assertEquals(50, regulator.limit(HostKey.of("other.example", 443)));
      assertEquals(3, defaults.limit(HOST));
    }
  }

  @Test
  void nodeWide_isOneSharedInstance() {
    assertSame(HostRegulators.nodeWide(), HostRegulators.nodeWide());
    assertEquals(50, HostRegulators.nodeWide().limit(HOST));
  }
}
