package io.regulator.tests;

import static io.regulator.tests.Waits.afterGc;
import static io.regulator.tests.Waits.soon;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.regulator.HostKey;
import io.regulator.HostRegulator;
import io.regulator.RegulatedPool;
import io.regulator.Slot;
import io.regulator.SlotTimeoutException;
import io.regulator.core.HostRegulators;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * Scenario 2: a pool killed without close. Its owner drops it with slots out (the Erlang case of
 * a pool process killed before its terminate callback ran); once the pool is unreachable, its
 * slots come back and the regulator reports it as a leak.
 */
class UnreachablePoolScenarioTest {
  private static final HostKey HOST = HostKey.of("unreachable.example", 8443);
  private static final int LIMIT = 4;
  private static final Duration LONG = Duration.ofMinutes(1);

  private final PoolEvents events = new PoolEvents();
  private final HolderGauge gauge = new HolderGauge();
  private HostRegulator regulator;
  private ExecutorService threads;

  @BeforeEach
  void setUp() {
    regulator = HostRegulators.builder()
        .defaultLimit(LIMIT)
        .acquireTimeout(LONG)
        .listener(events)
        .build();
    threads = Executors.newCachedThreadPool();
  }

  @AfterEach
  void tearDown() {
    threads.shutdownNow();
    regulator.close();
  }

  @Test
  void poolDroppedWithSlotsOut_getsThemBackAndReportsTheLeak() throws Exception {
    List<Slot> leaked = leakPoolHolding("leaky", LIMIT);
    assertEquals(LIMIT, regulator.inUse(HOST));
    // The owner dropped the pool with its connections: none of them is used any more.
    for (int i = 0; i < LIMIT; i++) {
      gauge.exit();
    }
    RegulatedPool other = regulator.newPool("other");
    Future<Slot> waiter = threads.submit(() -> {
      Slot slot = other.acquire(HOST, LONG);
      gauge.enter();
      return slot;
    });
    soon().until(() -> regulator.waiting(HOST) == 1);
    assertNull(events.last("leaky"), "nobody closed the pool");

    afterGc().until(() -> {
      System.gc();
      return events.last("leaky") != null;
    });

    assertEquals(new PoolEvents.Closed("leaky", LIMIT, true), events.last("leaky"));
    Slot handedOn = waiter.get(10, TimeUnit.SECONDS);
    assertEquals(1, regulator.inUse(HOST), "the other pool's waiter got one of the slots");
    for (Slot slot : leaked) {
      assertTrue(slot.isReleased());
      assertFalse(slot.release(), "the leaked pool's stale slot gives nothing back twice");
    }
    assertEquals(1, regulator.inUse(HOST));

    // Its name is free again, and a pool under it starts from zero.
    try (RegulatedPool reopened = regulator.newPool("leaky")) {
      assertEquals(0, reopened.inUse());
    }
    gauge.exit();
    assertTrue(handedOn.release());
    other.close();
    gauge.assertNeverAbove(LIMIT);
    Baseline.assertBackToBaseline(regulator, HOST);
  }

  @Test
  void poolDroppedIdle_isReportedWithNothingReclaimed() {
    leakPoolHolding("idle", 0);

    afterGc().until(() -> {
      System.gc();
      return events.last("idle") != null;
    });

    assertEquals(new PoolEvents.Closed("idle", 0, true), events.last("idle"));
    Baseline.assertBackToBaseline(regulator, HOST);
  }

  /**
   * Twenty pools are dropped one after another while another pool works the same host; each
   * dropped pool's slot comes back through a collection, so the work can only finish if every
   * reclaim happens, and the host's count never goes above its limit on the way.
   */
  @Test
  void poolsDroppedWhileAnotherWorks_giveBackEverySlotWithinTheCap() throws Exception {
    int leakedPools = 20;
    AtomicInteger maxInUse = new AtomicInteger();
    RegulatedPool worker = regulator.newPool("worker");
    Future<Integer> work = threads.submit(() -> {
      int served = 0;
      while (served < 200) {
        Slot slot = worker.acquire(HOST, LONG);
        maxInUse.accumulateAndGet(regulator.inUse(HOST), Math::max);
        served++;
        slot.release();
      }
      return served;
    });
    List<Slot> leaked = new ArrayList<>();
    for (int i = 0; i < leakedPools; i++) {
      leaked.add(leakPoolWaitingForOneSlot("leaky-" + i));
      maxInUse.accumulateAndGet(regulator.inUse(HOST), Math::max);
    }

    afterGc().until(() -> {
      System.gc();
      return events.all().size() == leakedPools;
    });

    assertEquals(200, work.get(30, TimeUnit.SECONDS));
    for (PoolEvents.Closed closed : events.all()) {
      assertTrue(closed.unreachable(), closed.poolName());
      assertEquals(1, closed.reclaimedSlots(), closed.poolName());
    }
    for (Slot slot : leaked) {
      assertFalse(slot.release());
    }
    worker.close();
    assertTrue(maxInUse.get() <= LIMIT, "in use at most " + LIMIT + ", saw " + maxInUse.get());
    Baseline.assertBackToBaseline(regulator, HOST);
  }

  /**
   * The other side of scenario 2: a pool that nothing references but the thread waiting in its
   * own {@code acquire} is in use, not leaked, and must not be closed under its caller. Once the JIT
   * has compiled {@code acquire}, the pool is no longer live in that frame while the caller waits,
   * so the garbage collector may find it unreachable; only a reachability fence in the regulator
   * keeps its cleaner from running then (see {@link java.lang.ref.Cleaner}).
   */
  @Test
  void poolReachableOnlyFromItsOwnWaitingAcquire_isNotReclaimedUnderIt() throws Exception {
    // Get acquire compiled, its waiting path included, as it is in any busy service: a free
    // host, then a full one where a nanosecond's timeout queues, gives up and leaves at once.
    RegulatedPool warm = regulator.newPool("warm");
    for (int i = 0; i < 50_000; i++) {
      warm.acquire(HOST, LONG).release();
    }
    // Held by a thread of their own that then ends: were this one (or a pooled thread that runs
    // a waiter below) the holder of every slot, its acquires would be refused at once as a
    // self-deadlock instead of queueing.
    List<Slot> held = new ArrayList<>();
    Thread holder = new Thread(() -> {
      try {
        for (int i = 0; i < LIMIT; i++) {
          held.add(warm.acquire(HOST, LONG));
        }
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      }
    });
    holder.start();
    holder.join();
    assertEquals(LIMIT, held.size());
    for (int i = 0; i < 30_000; i++) {
      assertThrows(SlotTimeoutException.class, () -> warm.acquire(HOST, Duration.ofNanos(1)));
    }
    List<Future<Slot>> waiters = new ArrayList<>();
    for (int i = 0; i < 3; i++) {
      String name = "in-use-" + i;
      waiters.add(threads.submit(() -> regulator.newPool(name).acquire(HOST, LONG)));
      int queued = i + 1;
      soon().until(() -> regulator.waiting(HOST) == queued);
    }

    // Two pools leaked one after the other: once both are reported, collections have run and the
    // cleaner has worked through what they found.
    for (String canary : List.of("canary-1", "canary-2")) {
      leakPoolHolding(canary, 0);
      afterGc().until(() -> {
        System.gc();
        return events.last(canary) != null;
      });
    }

    assertEquals(List.of(), events.all().stream()
            .filter(event -> event.poolName().startsWith("in-use")).toList(),
        "pools were closed while their callers waited in acquire");
    assertEquals(3, regulator.waiting(HOST), "the waiting callers must still be waiting");
    for (Future<Slot> waiter : waiters) {
      assertTrue(held.remove(0).release());
      assertTrue(waiter.get(10, TimeUnit.SECONDS).release());
    }
    for (Slot slot : held) {
      assertTrue(slot.release());
    }
    warm.close();
    Baseline.assertBackToBaseline(regulator, HOST);
  }

  /** Opens a pool, takes {@code slots} slots, and lets the pool itself go. */
  private List<Slot> leakPoolHolding(String name, int slots) {
    RegulatedPool pool = regulator.newPool(name);
    List<Slot> held = new ArrayList<>();
    for (int i = 0; i < slots; i++) {
      held.add(pool.tryAcquire(HOST).orElseThrow());
      gauge.enter();
    }
    return held;
  }

  /**
   * Opens a pool and waits for one slot, collecting garbage meanwhile: the host is full of slots
   * of pools leaked before, and only their reclaim frees one. Then lets the pool go.
   */
  private Slot leakPoolWaitingForOneSlot(String name) {
    RegulatedPool pool = regulator.newPool(name);
    CompletableFuture<Slot> slot = pool.acquireAsync(HOST, LONG);
    afterGc().until(() -> {
      if (!slot.isDone()) {
        System.gc();
      }
      return slot.isDone();
    });
    return slot.join();
  }
}
