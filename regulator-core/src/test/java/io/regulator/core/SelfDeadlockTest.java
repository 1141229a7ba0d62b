package io.regulator.core;

import static io.regulator.core.RegulatorMeters.ACQUIRE;
import static io.regulator.core.RegulatorMeters.OUTCOME;
import static io.regulator.core.RegulatorMeters.OUTCOME_SELF_DEADLOCK;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.micrometer.core.instrument.Timer;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.regulator.HostKey;
import io.regulator.HostRegulator;
import io.regulator.RegulatedPool;
import io.regulator.SelfDeadlockException;
import io.regulator.Slot;
import io.regulator.SlotTimeoutException;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/**
 * A blocking acquire by a thread that holds every slot of its host is refused at once (issue 17);
 * the end-to-end scenario, with a real server and virtual threads, is {@code
 * NestedCallScenarioTest} in regulator-tests.
 */
class SelfDeadlockTest {
  private static final HostKey HOST = HostKey.of("nested.example", 443);
  private static final Duration LONG = Duration.ofMinutes(1);

  @Test
  void holderOfEverySlotAskingAgain_isRefusedAtOnceFromAnyPool() throws Exception {
    SimpleMeterRegistry meters = new SimpleMeterRegistry();
    try (HostRegulator regulator = HostRegulators.builder().defaultLimit(2).acquireTimeout(LONG)
        .meterRegistry(meters).build()) {
      RegulatedPool outer = regulator.newPool("outer");
      RegulatedPool nested = regulator.newPool("nested");
      Slot first = outer.acquire(HOST);
      Slot second = outer.tryAcquire(HOST).orElseThrow(); // a tryAcquire holds as well
      long start = System.nanoTime();
      SelfDeadlockException e =
          assertThrows(SelfDeadlockException.class, () -> nested.acquire(HOST, LONG));
      assertTrue(System.nanoTime() - start < TimeUnit.SECONDS.toNanos(20), "refused at once");
      assertEquals(HOST, e.key());
      assertEquals("nested", e.poolName());
      assertEquals(2, e.limit());
      assertEquals(2, e.heldByCaller());
      assertEquals(Map.of("outer", 2), e.holders());
      assertTrue(e.getMessage().contains("oldest by 'outer'"), e.getMessage());
      assertEquals(0, regulator.waiting(HOST), "never queued");
      Timer refused = meters.find(ACQUIRE).tag(OUTCOME, OUTCOME_SELF_DEADLOCK).timer();
      assertNotNull(refused, "meter outcome " + OUTCOME_SELF_DEADLOCK);
      assertEquals(1, refused.count());
      first.close();
      Slot again = nested.acquire(HOST, LONG); // a slot is free again: no refusal
      assertEquals(2, regulator.inUse(HOST));
      again.close();
      second.close();
      assertEquals(0, regulator.inUse(HOST));
    }
  }

  @Test
  void holderOfSomeSlotsWithAnotherHolderWorking_isNotRefused() throws Exception {
    try (HostRegulator regulator = HostRegulators.builder().defaultLimit(2).build()) {
      RegulatedPool pool = regulator.newPool("a");
      Slot mine = pool.acquire(HOST);
      Thread other = new Thread(() -> {
        try {
          pool.acquire(HOST); // held by a thread that ended: nothing says it cannot be released
        } catch (InterruptedException e) {
          Thread.currentThread().interrupt();
        }
      });
      other.start();
      other.join(10_000);
      assertEquals(2, regulator.inUse(HOST));
      assertThrows(SlotTimeoutException.class, () -> pool.acquire(HOST, Duration.ofMillis(50)));
      mine.close();
      pool.close();
      assertEquals(0, regulator.inUse(HOST));
    }
  }
}
