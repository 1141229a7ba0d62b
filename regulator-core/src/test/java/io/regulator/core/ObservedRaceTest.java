package io.regulator.core;

import static io.regulator.core.Races.race;
import static io.regulator.core.RegulatorMeters.POOL;
import static io.regulator.core.RegulatorMeters.POOL_IN_USE;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;

import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.regulator.HostKey;
import io.regulator.HostRegulator;
import io.regulator.RegulatedPool;
import io.regulator.RegulatorListener;
import io.regulator.Slot;
import java.time.Duration;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.Test;

/** Observing stays exact when releases, closes and rebuilt pools race, in tight loops. */
class ObservedRaceTest {
  private static final HostKey HOST = HostKey.of("race.example", 80);
  private static final int ROUNDS = 1_000;

  @Test
  void poolRebuiltWhileItsOldCloseRuns_keepsItsGauge() throws Exception {
    SimpleMeterRegistry meters = new SimpleMeterRegistry();
    try (HostRegulator regulator =
        HostRegulators.builder().defaultLimit(1).meterRegistry(meters).build()) {
      for (int i = 0; i < ROUNDS; i++) {
        RegulatedPool pool = regulator.newPool("a");
        pool.tryAcquire(HOST).orElseThrow();
        var rebuilt = new AtomicReference<RegulatedPool>();
        race(pool::close, () -> {
          while (!pool.isClosed()) {
            Thread.onSpinWait();
          }
          rebuilt.set(regulator.newPool("a"));
        });
        Slot slot = rebuilt.get().acquire(HOST, Duration.ofSeconds(10));
        Gauge gauge = meters.find(POOL_IN_USE).tag(POOL, "a").gauge();
        assertNotNull(gauge, "round " + i + ": the rebuilt pool lost its gauge to the old close");
        assertEquals(1, gauge.value(), "round " + i + ": the gauge reads the rebuilt pool");
        slot.close();
        rebuilt.get().close();
        assertNull(meters.find(POOL_IN_USE).tag(POOL, "a").gauge());
      }
    }
  }

  @Test
  void releaseRacingClose_isReportedExactlyOnce() throws Exception {
    AtomicInteger acquired = new AtomicInteger();
    AtomicInteger released = new AtomicInteger();
    RegulatorListener counting = new RegulatorListener() {
      @Override
      public void acquired(HostKey key, String poolName, Duration waited) {
        acquired.incrementAndGet();
      }

      @Override
      public void released(HostKey key, String poolName, Duration held) {
        released.incrementAndGet();
      }
    };
    try (HostRegulator regulator =
        HostRegulators.builder().defaultLimit(1).listener(counting).build()) {
      for (int i = 0; i < ROUNDS; i++) {
        RegulatedPool pool = regulator.newPool("p");
        Slot slot = pool.tryAcquire(HOST).orElseThrow();
        race(pool::close, slot::release);
        assertEquals(acquired.get(), released.get(), "round " + i);
        assertEquals(0, regulator.inUse(HOST));
      }
    }
  }

  @Test
  void listenerThatClosesThePoolWhenItsSlotsComeBack_doesNotDeadlock() throws Exception {
    AtomicReference<RegulatedPool> pool = new AtomicReference<>();
    AtomicInteger closedAgain = new AtomicInteger();
    RegulatorListener closing = new RegulatorListener() {
      @Override
      public void released(HostKey key, String poolName, Duration held) {
        pool.get().close(); // a second close waits until the first gave every slot back
        closedAgain.incrementAndGet();
      }
    };
    try (HostRegulator regulator =
        HostRegulators.builder().defaultLimit(2).listener(closing).build()) {
      pool.set(regulator.newPool("p"));
      pool.get().acquire(HOST);
      pool.get().acquire(HOST);
      Thread closer = new Thread(pool.get()::close);
      closer.start();
      closer.join(10_000);
      assertFalse(closer.isAlive(), "the close waited for itself");
      assertEquals(2, closedAgain.get());
      assertEquals(0, regulator.inUse(HOST));
    }
  }
}
