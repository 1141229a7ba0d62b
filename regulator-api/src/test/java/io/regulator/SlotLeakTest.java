package io.regulator;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.time.Duration;
import org.junit.jupiter.api.Test;

class SlotLeakTest {
  private static final HostKey HOST = HostKey.of("example.com", 443);

  @Test
  void overdueLeak_readsAsOneLogLineNamingTheCallerFrame() {
    Throwable site = new Throwable("acquired here");
    site.setStackTrace(new StackTraceElement[] {
        new StackTraceElement("com.example.Client", "fetch", "Client.java", 42)});
    SlotLeak leak = new SlotLeak(HOST, "billing", Duration.ofSeconds(61), false, site);
    assertEquals("slot of example.com:443 held by pool 'billing' for 61000 ms, longer than the "
        + "leak threshold; still held (acquired at com.example.Client.fetch(Client.java:42))",
        leak.toString());
  }

  @Test
  void reclaimedLeak_withoutSite_saysSo() {
    SlotLeak leak = new SlotLeak(HOST, "billing", Duration.ofMillis(1500), true, null);
    assertEquals("slot of example.com:443 held by pool 'billing' became unreachable after "
        + "1500 ms without release(); reclaimed (acquisition site not recorded)", leak.toString());
  }

  @Test
  void missingFacts_areRefusedByName() {
    assertEquals("key", assertThrows(NullPointerException.class,
        () -> new SlotLeak(null, "p", Duration.ZERO, false, null)).getMessage());
    assertEquals("poolName", assertThrows(NullPointerException.class,
        () -> new SlotLeak(HOST, null, Duration.ZERO, false, null)).getMessage());
    assertEquals("age", assertThrows(NullPointerException.class,
        () -> new SlotLeak(HOST, "p", null, false, null)).getMessage());
  }
}
