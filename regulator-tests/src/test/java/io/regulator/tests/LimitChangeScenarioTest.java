package io.regulator.tests;

import static io.regulator.tests.Waits.soon;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.regulator.HostKey;
import io.regulator.HostRegulator;
import io.regulator.RegulatedPool;
import io.regulator.Slot;
import io.regulator.core.HostRegulators;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * Scenario 13: the limit changed under load. Shrinking revokes nothing and admits nobody until
 * in-use falls under the new limit; growing admits waiters at once; the count never goes over
 * whichever limit rules.
 */
class LimitChangeScenarioTest {
  private static final HostKey HOST = HostKey.of("limits.example", 443);
  private static final Duration LONG = Duration.ofMinutes(1);

  private final HolderGauge gauge = new HolderGauge();
  private HostRegulator regulator;
  private ExecutorService threads;

  @BeforeEach
  void setUp() {
    regulator = HostRegulators.builder().limit(HOST, 10).acquireTimeout(LONG).build();
    threads = Executors.newCachedThreadPool();
  }

  @AfterEach
  void tearDown() {
    threads.shutdownNow();
    regulator.close();
  }

  @Test
  void shrinkingThenGrowing_admitsExactlyWhatEachLimitAllowsAndRevokesNothing()
      throws Exception {
    RegulatedPool holders = regulator.newPool("holders");
    RegulatedPool waiters = regulator.newPool("waiters");
    List<Slot> held = new ArrayList<>();
    for (int i = 0; i < 10; i++) {
      held.add(holders.tryAcquire(HOST).orElseThrow());
    }
    List<CompletableFuture<Slot>> queued = new ArrayList<>();
    for (int i = 0; i < 15; i++) {
      queued.add(waiters.acquireAsync(HOST, LONG));
    }
    assertEquals(15, regulator.waiting(HOST));

    regulator.setLimit(HOST, 2);
    assertEquals(2, regulator.limit(HOST));
    assertEquals(10, regulator.inUse(HOST), "lowering the limit revokes nothing");
    assertTrue(held.stream().noneMatch(Slot::isReleased));
    for (int i = 0; i < 8; i++) {
      assertTrue(held.remove(0).release());
    }
    assertEquals(2, regulator.inUse(HOST), "nobody admitted while in-use is at the new limit");
    assertEquals(15, regulator.waiting(HOST));
    assertTrue(held.remove(0).release());
    assertEquals(2, regulator.inUse(HOST), "one admitted once in-use fell under it");
    assertEquals(14, regulator.waiting(HOST));
    assertTrue(queued.get(0).get(10, TimeUnit.SECONDS) != null);
    assertFalse(queued.get(1).isDone());

    regulator.setLimit(HOST, 20);
    assertEquals(0, regulator.waiting(HOST), "raising the limit admits every waiter at once");
    assertEquals(16, regulator.inUse(HOST));
    assertTrue(waiters.tryAcquire(HOST).map(Slot::release).orElse(false),
        "the raised limit has room left");

    regulator.setLimit(HOST, 10);
    assertEquals(16, regulator.inUse(HOST), "lowering again revokes nothing");
    assertTrue(waiters.tryAcquire(HOST).isEmpty());
    held.remove(0).release();
    for (CompletableFuture<Slot> future : queued) {
      assertTrue(future.get(10, TimeUnit.SECONDS).release());
    }
    holders.close();
    waiters.close();
    Baseline.assertBackToBaseline(regulator, HOST);
    assertEquals(10, regulator.limit(HOST));
  }

  /**
   * Twenty-four workers loop on the host while its limit goes 10, 2, 20, 5, 20, 2, 10. In each
   * phase, once the count is within the new limit, the holders never exceed it; each raise lets
   * the count reach the new limit.
   */
  @Test
  void limitShrunkAndGrownWhileWorkersRun_isNeverExceededOnceInForce() throws Exception {
    AtomicBoolean stop = new AtomicBoolean();
    List<Future<?>> workers = new ArrayList<>();
    for (int w = 0; w < 24; w++) {
      RegulatedPool pool = regulator.newPool("worker-" + w);
      workers.add(threads.submit(() -> {
        while (!stop.get()) {
          Slot slot = pool.acquire(HOST, LONG);
          gauge.enter();
          Thread.yield();
          gauge.exit();
          slot.release();
        }
        pool.close();
        return null;
      }));
    }
    int previous = 10;
    runPhase(10);
    for (int limit : new int[] {2, 20, 5, 20, 2, 10}) {
      regulator.setLimit(HOST, limit);
      if (limit < previous) {
        // Nothing is revoked: the phase starts once releases brought the count under it.
        soon().until(() -> regulator.inUse(HOST) <= limit);
      } else {
        soon().until(() -> regulator.inUse(HOST) == limit);
      }
      gauge.resetMax();
      runPhase(limit);
      previous = limit;
    }
    stop.set(true);
    for (Future<?> worker : workers) {
      worker.get(30, TimeUnit.SECONDS);
    }
    Baseline.assertBackToBaseline(regulator, HOST);
  }

  private void runPhase(int limit) {
    int start = gauge.grants();
    soon().until(() -> gauge.grants() >= start + 3_000);
    gauge.assertNeverAbove(limit);
  }
}
