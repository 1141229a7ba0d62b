package io.regulator.core.internal;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.regulator.HostKey;
import io.regulator.HostSnapshot;
import io.regulator.PoolClosedException;
import io.regulator.RegulatedPool;
import io.regulator.RegulatorListener;
import io.regulator.Slot;
import io.regulator.SlotTimeoutException;
import io.regulator.core.HostRegulators;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.CyclicBarrier;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.RepeatedTest;
import org.junit.jupiter.api.Test;

/**
 * A host whose slots fill several segments of its cells (more than the first segment's eight
 * held at once): whatever segment a slot went in, a pool's close, snapshots and the time-out
 * message find it, and churn grows the cells to the host's peak concurrency, not to its limit.
 */
class CellSegmentsTest {
  private static final HostKey HOST = HostKey.of("segments.example", 443);
  private static final int THREADS = 8;

  private final SemaphoreRegistry regulator = (SemaphoreRegistry) HostRegulators.builder()
      .defaultLimit(64).acquireTimeout(Duration.ofSeconds(10)).build();
  private final ExecutorService threads = Executors.newFixedThreadPool(THREADS);

  @AfterEach
  void tearDown() throws InterruptedException {
    threads.shutdownNow();
    assertTrue(threads.awaitTermination(10, TimeUnit.SECONDS));
    regulator.close();
  }

  /** Each of {@code THREADS} threads (so cells of several segments) takes {@code each} slots of {@code pool}. */
  private List<Slot> takeOnEveryThread(RegulatedPool pool, int each) throws Exception {
    List<Future<List<Slot>>> taken = new ArrayList<>();
    for (int t = 0; t < THREADS; t++) {
      taken.add(threads.submit(() -> {
        List<Slot> mine = new ArrayList<>();
        for (int i = 0; i < each; i++) {
          mine.add(pool.acquire(HOST));
        }
        return mine;
      }));
    }
    List<Slot> all = new ArrayList<>();
    for (Future<List<Slot>> future : taken) {
      all.addAll(future.get(10, TimeUnit.SECONDS));
    }
    return all;
  }

  private FifoHostSemaphore host() {
    return regulator.table().semaphore(HOST);
  }

  @Test
  void closingAPool_reclaimsItsSlotsInEverySegment() throws Exception {
    RegulatedPool closing = regulator.newPool("closing");
    RegulatedPool other = regulator.newPool("other");
    FifoHostSemaphore host = host();
    Slot firstTaken = closing.acquire(HOST); // in the first segment
    List<Slot> spread = takeOnEveryThread(closing, 3);
    List<Slot> others = takeOnEveryThread(other, 2);
    assertEquals(1 + 3 * THREADS + 2 * THREADS, regulator.inUse(HOST));
    assertTrue(host.cellCount() >= 1 + 5 * THREADS, "grown to " + host.cellCount() + " cells");

    closing.close();

    assertTrue(firstTaken.isReleased());
    for (Slot slot : spread) {
      assertTrue(slot.isReleased(), "reclaimed by the close: " + slot);
      assertFalse(slot.release(), "the close gave it back already");
    }
    for (Slot slot : others) {
      assertFalse(slot.isReleased(), "another pool's slot stays held");
    }
    assertEquals(2 * THREADS, regulator.inUse(HOST));
    assertEquals(2 * THREADS, host.heldBy(ledgerOf(others.get(0))));
    for (Slot slot : others) {
      assertTrue(slot.release());
    }
    assertEquals(0, regulator.inUse(HOST));
  }

  private static PoolLedger ledgerOf(Slot slot) {
    return ((LedgerSlot) slot).ledger;
  }

  @Test
  void snapshotAndTimeoutMessage_countTheSlotsOfEverySegment() throws Exception {
    regulator.setLimit(HOST, 1 + 2 * THREADS);
    RegulatedPool hog = regulator.newPool("hog");
    RegulatedPool small = regulator.newPool("small");
    FifoHostSemaphore host = host();
    Slot first = small.acquire(HOST);
    List<Slot> hogs = takeOnEveryThread(hog, 2);

    HostSnapshot snapshot = regulator.snapshot().get(0);
    assertEquals(1 + 2 * THREADS, snapshot.inUse());
    assertEquals(Map.of("hog", 2 * THREADS, "small", 1), snapshot.inUseByPool());
    SlotTimeoutException timeout =
        assertThrows(SlotTimeoutException.class, () -> small.acquire(HOST, Duration.ZERO));
    // Unstamped slots of two pools: cells are reused in no order, so no oldest is claimed.
    assertTrue(timeout.getMessage().endsWith("held by {hog=" + 2 * THREADS + ", small=1}"),
        timeout.getMessage());

    first.release();
    hogs.forEach(Slot::release);
    assertEquals(0, regulator.inUse(HOST));
    assertEquals(0, host.heldBy(ledgerOf(hogs.get(0))));
  }

  @Test
  void unstampedSlotsOfOnePool_nameThatPoolTheOldest_withNoAge() throws Exception {
    RegulatedPool hog = regulator.newPool("hog");
    takeOnEveryThread(hog, 8); // 64: the limit
    SlotTimeoutException timeout =
        assertThrows(SlotTimeoutException.class, () -> hog.acquire(HOST, Duration.ZERO));
    assertTrue(timeout.getMessage().endsWith("held by {hog=64}, oldest by 'hog'"),
        timeout.getMessage());
    hog.close();
    assertEquals(0, regulator.inUse(HOST));
  }

  @Test
  void stampedSlots_nameTheOldestByTime_whateverCellItIsIn() throws Exception {
    AtomicLong now = new AtomicLong();
    SemaphoreRegistry stamping = (SemaphoreRegistry) HostRegulators.builder()
        .defaultLimit(1 + THREADS).ticker(now::get)
        .listener(new RegulatorListener() {}) // something reads hold times, so slots are stamped
        .build();
    try {
      RegulatedPool later = stamping.newPool("later");
      RegulatedPool early = stamping.newPool("early");
      now.set(1_000_000_000L);
      List<Future<Slot>> laterSlots = new ArrayList<>();
      for (int t = 0; t < THREADS - 1; t++) {
        laterSlots.add(threads.submit(() -> later.acquire(HOST)));
      }
      for (Future<Slot> slot : laterSlots) {
        slot.get(10, TimeUnit.SECONDS);
      }
      now.set(0); // a slot stamped earlier, taken last into some cell
      threads.submit(() -> early.acquire(HOST)).get(10, TimeUnit.SECONDS);
      now.set(1_000_000_000L + 2_000_000L);
      later.acquire(HOST); // the limit, 1 + THREADS, reached
      SlotTimeoutException timeout =
          assertThrows(SlotTimeoutException.class, () -> later.acquire(HOST, Duration.ZERO));
      assertTrue(timeout.getMessage().endsWith(
          "held by {later=" + THREADS + ", early=1}, oldest by 'early' for 1002 ms"),
          timeout.getMessage());
    } finally {
      stamping.close();
    }
  }

  @Test
  void churnOnEveryThread_growsTheCellsToThePeakConcurrency_notToTheLimit() throws Exception {
    RegulatedPool pool = regulator.newPool("churn");
    FifoHostSemaphore host = host();
    Slot kept = pool.acquire(HOST); // held throughout
    List<Future<?>> workers = new ArrayList<>();
    for (int t = 0; t < THREADS; t++) {
      workers.add(threads.submit(() -> {
        for (int i = 0; i < 20_000; i++) {
          Slot a = pool.acquire(HOST);
          Slot b = pool.acquire(HOST);
          a.release();
          b.release();
        }
        return null;
      }));
    }
    for (Future<?> worker : workers) {
      worker.get(60, TimeUnit.SECONDS);
    }
    assertEquals(1, regulator.inUse(HOST));
    // At most 1 + 2 * THREADS = 17 held at once: 24 cells (two segments) hold them, and a third
    // segment (56) is the most a scan racing the releases can add. The limit, 64, would need 120.
    int cells = host.cellCount();
    assertTrue(cells <= 56, "cells after churn: " + cells);
    kept.release();
    assertEquals(0, regulator.inUse(HOST));
  }

  /** Takes racing the pool's close across segments: each slot is reclaimed or refused, none kept. */
  @RepeatedTest(20)
  void takesRacingTheClose_leaveNothingCounted() throws Exception {
    RegulatedPool pool = regulator.newPool("racing");
    CyclicBarrier start = new CyclicBarrier(THREADS + 1);
    ConcurrentLinkedQueue<Slot> taken = new ConcurrentLinkedQueue<>();
    List<Future<?>> takers = new ArrayList<>();
    for (int t = 0; t < THREADS; t++) {
      takers.add(threads.submit(() -> {
        start.await(10, TimeUnit.SECONDS);
        try {
          for (int i = 0; i < 1_000; i++) {
            Optional<Slot> slot = pool.tryAcquire(HOST);
            if (slot.isPresent()) {
              taken.add(slot.get());
              if (i % 2 == 0) {
                slot.get().release(); // a give-back racing the close's claim, too
              }
            }
          }
        } catch (PoolClosedException expected) {
          // the close came first for the rest
        }
        return null;
      }));
    }
    start.await(10, TimeUnit.SECONDS);
    pool.close();
    for (Future<?> taker : takers) {
      taker.get(10, TimeUnit.SECONDS);
    }
    assertEquals(0, regulator.inUse(HOST), "the close reclaimed every slot taken before it");
    for (Slot slot : taken) {
      assertTrue(slot.isReleased());
    }
  }
}
