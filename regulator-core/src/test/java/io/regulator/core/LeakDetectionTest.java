package io.regulator.core;

import static java.util.concurrent.TimeUnit.SECONDS;
import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.regulator.HostKey;
import io.regulator.HostRegulator;
import io.regulator.RegulatedPool;
import io.regulator.RegulatorListener;
import io.regulator.Slot;
import io.regulator.SlotLeak;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;

/** Leak detection: slots held past the threshold, and slots dropped without release. */
class LeakDetectionTest {
  private static final HostKey HOST = HostKey.of("example.com", 443);
  private static final Duration THRESHOLD = Duration.ofMillis(100);

  private final AtomicLong now = new AtomicLong();
  private final List<SlotLeak> leaks = new CopyOnWriteArrayList<>();
  private final List<String> released = new CopyOnWriteArrayList<>();
  private final RegulatorListener recorder = new RegulatorListener() {
    @Override
    public void leakSuspected(SlotLeak leak) {
      leaks.add(leak);
    }

    @Override
    public void released(HostKey key, String poolName, Duration held) {
      released.add(key + " " + poolName);
    }
  };

  private HostRegulators.Builder regulator() {
    return HostRegulators.builder().defaultLimit(2).ticker(now::get).listener(recorder);
  }

  private void advance(Duration duration) {
    now.addAndGet(duration.toNanos());
  }

  @Test
  void slotHeldPastTheThreshold_isReportedOnceWithPoolHostAgeAndSite() throws Exception {
    try (HostRegulator regulator =
        regulator().leakThreshold(THRESHOLD).recordAcquisitionSites(true).build()) {
      RegulatedPool pool = regulator.newPool("billing");
      Slot hog = pool.acquire(HOST);
      advance(Duration.ofSeconds(1));
      await().atMost(10, SECONDS).until(() -> leaks.size() == 1);

      SlotLeak leak = leaks.get(0);
      assertEquals(HOST, leak.key());
      assertEquals("billing", leak.poolName());
      assertEquals(Duration.ofSeconds(1), leak.age());
      assertFalse(leak.reclaimed());
      StackTraceElement caller = leak.acquisitionSite().getStackTrace()[0];
      assertEquals(LeakDetectionTest.class.getName(), caller.getClassName());
      assertEquals("slotHeldPastTheThreshold_isReportedOnceWithPoolHostAgeAndSite",
          caller.getMethodName(), "the regulator's own frames are cut from the site");
      assertFalse(hog.isReleased(), "a report revokes nothing");

      // More sweeps run until a second slot is reported: the first is not reported again.
      Slot later = pool.acquire(HOST);
      advance(Duration.ofSeconds(1));
      await().atMost(10, SECONDS).until(() -> leaks.size() >= 2);
      assertEquals(2, leaks.size(), leaks.toString());
      assertEquals(Duration.ofSeconds(1), leaks.get(1).age());
      hog.close();
      later.close();
      assertEquals(0, regulator.inUse(HOST));
    }
  }

  @Test
  void slotReleasedInTime_isNeverReported() throws Exception {
    try (HostRegulator regulator = regulator().leakThreshold(THRESHOLD).build()) {
      RegulatedPool pool = regulator.newPool("a");
      pool.acquire(HOST).close();
      advance(Duration.ofSeconds(1));
      Slot kept = pool.acquire(HostKey.of("kept.example", 80));
      advance(Duration.ofSeconds(1));
      await().atMost(10, SECONDS).until(() -> !leaks.isEmpty());
      assertEquals(1, leaks.size(), leaks.toString());
      assertEquals(HostKey.of("kept.example", 80), leaks.get(0).key());
      assertNull(leaks.get(0).acquisitionSite(), "sites were not recorded");
      assertTrue(leaks.get(0).toString().endsWith("(acquisition site not recorded)"));
      kept.close();
    }
  }

  @Test
  void unreachableSlot_isReclaimedAndReportedWithWhereItWasAcquired() throws Exception {
    // Scenario 6: a caller drops a response without closing it.
    try (HostRegulator regulator = regulator().defaultLimit(1).reclaimUnreachableSlots(true)
        .recordAcquisitionSites(true).build()) {
      RegulatedPool pool = regulator.newPool("client");
      acquireAndDrop(pool, Duration.ofMillis(1500));
      RegulatedPool other = regulator.newPool("other");
      CompletableFuture<Slot> waiter = other.acquireAsync(HOST, Duration.ofSeconds(30));

      await().atMost(30, SECONDS).until(() -> {
        System.gc();
        return waiter.isDone() && !leaks.isEmpty();
      });
      SlotLeak leak = leaks.get(0);
      assertTrue(leak.reclaimed());
      assertEquals(HOST, leak.key());
      assertEquals("client", leak.poolName());
      assertEquals(Duration.ofMillis(1500), leak.age());
      assertEquals("acquireAndDrop", leak.acquisitionSite().getStackTrace()[0].getMethodName());
      assertTrue(leak.toString().startsWith(
          "slot of example.com:443 held by pool 'client' became unreachable after 1500 ms"),
          leak.toString());
      assertEquals(List.of("example.com:443 client"), released, "the reclaim is a release");
      assertEquals("other", waiter.join().poolName(), "the reclaimed slot went to the waiter");
      waiter.join().close();
      assertEquals(0, regulator.inUse(HOST));
      assertEquals(0, pool.inUse());
      assertFalse(other.isClosed());
    }
  }

  /** Takes a slot, holds it for {@code age} on the ticker, and drops it unreleased. */
  private void acquireAndDrop(RegulatedPool pool, Duration age) throws InterruptedException {
    Slot slot = pool.acquire(HOST);
    advance(age);
    assertNotNull(slot);
  }

  @Test
  void releasedTrackedSlot_isNeverReportedWhenCollected() throws Exception {
    try (HostRegulator regulator = regulator().reclaimUnreachableSlots(true).build()) {
      RegulatedPool pool = regulator.newPool("client");
      pool.acquire(HostKey.of("released.example", 80)).close(); // dropped, but released
      acquireAndDrop(pool, Duration.ZERO);
      await().atMost(30, SECONDS).until(() -> {
        System.gc();
        return !leaks.isEmpty();
      });
      assertEquals(1, leaks.size(), leaks.toString());
      assertEquals(HOST, leaks.get(0).key());
      assertNull(leaks.get(0).acquisitionSite());
    }
  }

  @Test
  void trackedSlot_keepsTheSlotContract() throws Exception {
    try (HostRegulator regulator = regulator().reclaimUnreachableSlots(true).build()) {
      RegulatedPool pool = regulator.newPool("client");
      Slot slot = pool.acquire(HOST);
      assertEquals("TrackedSlot", slot.getClass().getSimpleName());
      assertEquals(HOST, slot.key());
      assertEquals("client", slot.poolName());
      assertTrue(slot.release());
      assertFalse(slot.release());
      assertTrue(slot.isReleased());
      Slot reclaimed = pool.tryAcquire(HOST).orElseThrow();
      pool.close();
      assertTrue(reclaimed.isReleased(), "its pool's close took it back");
      assertFalse(reclaimed.release());
      assertEquals(0, regulator.inUse(HOST));
      assertEquals(List.of(), leaks);
    }
  }

  @Test
  void withoutReclaim_callersGetTheSlotItselfWithNoCleanerRegistration() throws Exception {
    try (HostRegulator plain = HostRegulators.builder().build();
        HostRegulator thresholdOnly = regulator().leakThreshold(THRESHOLD).build()) {
      Slot slot = plain.newPool("a").acquire(HOST);
      assertEquals("LedgerSlot", slot.getClass().getSimpleName());
      slot.close();
      Slot swept = thresholdOnly.newPool("a").acquire(HOST);
      assertEquals("LedgerSlot", swept.getClass().getSimpleName());
      swept.close();
    }
  }
}
