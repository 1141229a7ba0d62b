package io.regulator.tests;

import static io.regulator.tests.Waits.soon;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.regulator.HostKey;
import io.regulator.HostRegulator;
import io.regulator.RegulatedPool;
import io.regulator.Slot;
import io.regulator.core.HostRegulators;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * Scenario 10: barging. A fresh {@code tryAcquire} never gets ahead of callers already queued,
 * and never pushes the count over the limit, however it is timed against releases.
 */
class BargingScenarioTest {
  private static final HostKey HOST = HostKey.of("barging.example", 443);
  private static final Duration LONG = Duration.ofMinutes(1);

  private final HolderGauge gauge = new HolderGauge();
  private HostRegulator regulator;
  private ExecutorService threads;

  @BeforeEach
  void setUp() {
    regulator = HostRegulators.builder().defaultLimit(4).acquireTimeout(LONG).build();
    threads = Executors.newCachedThreadPool();
  }

  @AfterEach
  void tearDown() {
    threads.shutdownNow();
    regulator.close();
  }

  /**
   * Two threads spin on {@code tryAcquire} while eight queued callers are served in two batches;
   * not one try succeeds until the queue is empty and a slot is actually free.
   */
  @Test
  void spinningTryAcquires_neverGetAheadOfQueuedCallers() throws Exception {
    RegulatedPool holders = regulator.newPool("holders");
    RegulatedPool queued = regulator.newPool("queued");
    RegulatedPool bargers = regulator.newPool("bargers");
    List<Slot> held = new ArrayList<>();
    for (int i = 0; i < 4; i++) {
      held.add(holders.tryAcquire(HOST).orElseThrow());
      gauge.enter();
    }
    AtomicBoolean stop = new AtomicBoolean();
    AtomicInteger barged = new AtomicInteger();
    AtomicInteger tries = new AtomicInteger();
    List<Future<?>> barging = new ArrayList<>();
    for (int i = 0; i < 2; i++) {
      barging.add(threads.submit(() -> {
        while (!stop.get()) {
          tries.incrementAndGet();
          Optional<Slot> slot = bargers.tryAcquire(HOST);
          if (slot.isPresent()) {
            gauge.enter();
            barged.incrementAndGet();
            gauge.exit();
            slot.get().release();
          }
          Thread.onSpinWait();
        }
        return null;
      }));
    }
    AtomicInteger granted = new AtomicInteger();
    CountDownLatch firstBatchDone = new CountDownLatch(1);
    CountDownLatch secondBatchDone = new CountDownLatch(1);
    List<Future<?>> callers = new ArrayList<>();
    for (int i = 0; i < 8; i++) {
      CountDownLatch done = (i < 4) ? firstBatchDone : secondBatchDone;
      int before = regulator.waiting(HOST);
      callers.add(threads.submit(() -> {
        Slot slot = queued.acquire(HOST, LONG);
        gauge.enter();
        granted.incrementAndGet();
        done.await();
        gauge.exit();
        slot.release();
        return null;
      }));
      soon().until(() -> regulator.waiting(HOST) == before + 1);
    }
    soon().until(() -> tries.get() > 1_000);

    for (Slot slot : held) {
      gauge.exit();
      slot.release();
    }
    soon().until(() -> granted.get() == 4);
    assertEquals(0, barged.get(), "a try got a slot while callers were queued");
    firstBatchDone.countDown();
    soon().until(() -> granted.get() == 8);
    assertEquals(0, barged.get(), "a try got a slot while callers were queued");
    int triesBeforeFree = tries.get();
    secondBatchDone.countDown();
    soon().until(() -> barged.get() > 0);

    stop.set(true);
    for (Future<?> future : barging) {
      future.get(10, TimeUnit.SECONDS);
    }
    for (Future<?> future : callers) {
      future.get(10, TimeUnit.SECONDS);
    }
    assertTrue(triesBeforeFree > 1_000, "the tries ran all along: " + triesBeforeFree);
    holders.close();
    queued.close();
    bargers.close();
    gauge.assertNeverAbove(4);
    Baseline.assertBackToBaseline(regulator, HOST);
  }

  /** A release and a fresh try race, thousands of times; the queued caller gets it every time. */
  @Test
  void tryAcquireRacingWithTheReleaseOfTheOnlySlot_neverTakesItFromTheQueuedCaller()
      throws Exception {
    regulator.setLimit(HOST, 1);
    RegulatedPool holders = regulator.newPool("holders");
    RegulatedPool queued = regulator.newPool("queued");
    RegulatedPool bargers = regulator.newPool("bargers");
    int rounds = 5_000;
    try (Race race = new Race()) {
      for (int round = 0; round < rounds; round++) {
        Slot held = holders.tryAcquire(HOST).orElseThrow();
        gauge.enter();
        CompletableFuture<Slot> waiter = queued.acquireAsync(HOST, LONG);
        AtomicReference<Optional<Slot>> barge = new AtomicReference<>();
        race.run(
            () -> {
              Waits.jitter(20);
              gauge.exit();
              held.release();
            },
            () -> {
              Waits.jitter(20);
              barge.set(bargers.tryAcquire(HOST));
            });
        int currentRound = round;
        barge.get().ifPresent(slot -> {
          throw new AssertionError("round " + currentRound + ": a try barged past the queue");
        });
        Slot handedOn = waiter.get(10, TimeUnit.SECONDS);
        gauge.enter();
        assertEquals(1, regulator.inUse(HOST));
        gauge.exit();
        handedOn.release();
      }
    }
    holders.close();
    queued.close();
    bargers.close();
    gauge.assertNeverAbove(1);
    Baseline.assertBackToBaseline(regulator, HOST);
  }

  /**
   * Blocking, async and try acquires of six threads mixed on one host of limit three: the count
   * never goes over the limit, and every blocking caller is served.
   */
  @Test
  void mixedBlockingAsyncAndTryAcquiresUnderLoad_neverExceedTheLimit() throws Exception {
    regulator.setLimit(HOST, 3);
    int perWaitingThread = 4_000;
    int perTryingThread = 1_000;
    AtomicInteger tried = new AtomicInteger();
    List<Future<?>> workers = new ArrayList<>();
    for (int t = 0; t < 6; t++) {
      RegulatedPool pool = regulator.newPool("mixed-" + t);
      int kind = t % 3;
      workers.add(threads.submit(() -> {
        int got = 0;
        while (got < ((kind == 2) ? perTryingThread : perWaitingThread)) {
          Slot slot;
          if (kind == 0) {
            slot = pool.acquire(HOST, LONG);
          } else if (kind == 1) {
            slot = pool.acquireAsync(HOST, LONG).get(10, TimeUnit.SECONDS);
          } else {
            tried.incrementAndGet();
            Optional<Slot> free = pool.tryAcquire(HOST);
            if (free.isEmpty()) {
              Thread.yield();
              continue;
            }
            slot = free.get();
          }
          got++;
          gauge.enter();
          if (ThreadLocalRandom.current().nextBoolean()) {
            Thread.yield();
          }
          gauge.exit();
          assertTrue(slot.release());
        }
        pool.close();
        return null;
      }));
    }
    for (Future<?> worker : workers) {
      worker.get(60, TimeUnit.SECONDS);
    }
    assertEquals(4 * perWaitingThread + 2 * perTryingThread, gauge.grants());
    assertTrue(tried.get() >= 2 * perTryingThread);
    gauge.assertNeverAbove(3);
    Baseline.assertBackToBaseline(regulator, HOST);
  }
}
