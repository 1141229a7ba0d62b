package io.regulator.tests;

import static io.regulator.tests.Waits.soon;
import static org.junit.jupiter.api.Assertions.assertEquals;

import io.regulator.HostKey;
import io.regulator.HostRegulator;
import io.regulator.HostSnapshot;
import io.regulator.RegulatedPool;
import io.regulator.Slot;
import io.regulator.core.HostRegulators;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.stream.IntStream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * Scenario 11: several pools, one host. Four pools, sixteen workers, limit five: never more than
 * five slots held together, and every waiter served in arrival order whichever pool it is in.
 */
class SeveralPoolsOneHostScenarioTest {
  private static final HostKey HOST = HostKey.of("shared.example", 443);
  private static final int LIMIT = 5;
  private static final int POOLS = 4;
  private static final int WORKERS = 16;
  private static final Duration LONG = Duration.ofMinutes(1);

  private final HolderGauge gauge = new HolderGauge();
  private final List<RegulatedPool> pools = new ArrayList<>();
  private HostRegulator regulator;
  private ExecutorService threads;

  @BeforeEach
  void setUp() {
    regulator = HostRegulators.builder().defaultLimit(LIMIT).acquireTimeout(LONG).build();
    for (int p = 0; p < POOLS; p++) {
      pools.add(regulator.newPool("pool-" + p));
    }
    threads = Executors.newFixedThreadPool(WORKERS);
  }

  @AfterEach
  void tearDown() {
    threads.shutdownNow();
    regulator.close();
  }

  @Test
  void sixteenWorkersOfFourPools_neverHoldMoreThanFive() throws Exception {
    int perWorker = 2_000;
    List<Future<?>> workers = new ArrayList<>();
    for (int w = 0; w < WORKERS; w++) {
      RegulatedPool pool = pools.get(w % POOLS);
      workers.add(threads.submit(() -> {
        for (int i = 0; i < perWorker; i++) {
          Slot slot = pool.acquire(HOST, LONG);
          gauge.enter();
          Thread.yield(); // hold it across a scheduling point, as a real request would
          gauge.exit();
          slot.release();
        }
        return null;
      }));
    }
    for (Future<?> worker : workers) {
      worker.get(60, TimeUnit.SECONDS);
    }
    assertEquals(WORKERS * perWorker, gauge.grants());
    gauge.assertNeverAbove(LIMIT);
    closePools();
    Baseline.assertBackToBaseline(regulator, HOST);
  }

  /**
   * Five slots are held, sixteen workers of four pools queue one after another (sync and async
   * mixed), then slots are freed one at a time: each frees exactly the next worker in arrival
   * order, never one of another pool that came later.
   */
  @Test
  void waitersOfFourPools_areServedInArrivalOrder() throws Exception {
    List<Slot> freeable = new ArrayList<>();
    for (int i = 0; i < LIMIT; i++) {
      freeable.add(pools.get(i % POOLS).tryAcquire(HOST).orElseThrow());
      gauge.enter();
    }
    ConcurrentLinkedQueue<Integer> served = new ConcurrentLinkedQueue<>();
    ConcurrentHashMap<Integer, Slot> slots = new ConcurrentHashMap<>();
    List<Future<?>> workers = new ArrayList<>();
    for (int w = 0; w < WORKERS; w++) {
      int worker = w;
      RegulatedPool pool = pools.get(w % POOLS);
      if (w % 3 == 2) {
        CompletableFuture<Slot> future = pool.acquireAsync(HOST, LONG);
        future.thenAccept(slot -> {
          gauge.enter();
          slots.put(worker, slot);
          served.add(worker);
        });
      } else {
        CountDownLatch started = new CountDownLatch(1);
        Thread[] thread = new Thread[1];
        workers.add(threads.submit(() -> {
          thread[0] = Thread.currentThread();
          started.countDown();
          Slot slot = pool.acquire(HOST, LONG);
          gauge.enter();
          slots.put(worker, slot);
          served.add(worker);
          return null;
        }));
        started.await();
        // Queued: parked in acquire, and counted.
        soon().until(() -> Waits.isParked(thread[0]));
      }
      int queued = w + 1;
      soon().until(() -> regulator.waiting(HOST) == queued);
    }

    for (int step = 0; step < WORKERS; step++) {
      Slot toFree = (step < LIMIT) ? freeable.get(step) : slots.get(step - LIMIT);
      gauge.exit();
      toFree.release();
      List<Integer> expected = IntStream.rangeClosed(0, step).boxed().toList();
      soon().until(() -> served.size() == expected.size());
      assertEquals(expected, List.copyOf(served), "served in arrival order after step " + step);
      assertEquals(WORKERS - 1 - step, regulator.waiting(HOST));
      assertEquals(LIMIT, regulator.inUse(HOST));
    }
    HostSnapshot host = regulator.snapshot().get(0);
    assertEquals(LIMIT, host.inUse());
    assertEquals(LIMIT, host.inUseByPool().values().stream().mapToInt(Integer::intValue).sum());
    for (Future<?> worker : workers) {
      worker.get(10, TimeUnit.SECONDS);
    }
    for (int w = WORKERS - LIMIT; w < WORKERS; w++) {
      gauge.exit();
      slots.get(w).release();
    }
    gauge.assertNeverAbove(LIMIT);
    closePools();
    Baseline.assertBackToBaseline(regulator, HOST);
  }

  private void closePools() {
    for (RegulatedPool pool : pools) {
      pool.close();
    }
  }
}
