package io.regulator.tests;

import static io.regulator.tests.Waits.soon;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.regulator.HostKey;
import io.regulator.HostRegulator;
import io.regulator.RegulatedPool;
import io.regulator.Slot;
import io.regulator.core.HostRegulators;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.concurrent.CancellationException;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * Scenarios 7 and 9: a caller that gives up while queued (its future cancelled or completed by
 * itself, its thread interrupted) leaves the queue and is never granted a slot afterwards; and a
 * release made by an interrupted thread completes regardless.
 */
class CancelWhileQueuedScenarioTest {
  private static final HostKey HOST = HostKey.of("cancel.example", 443);
  private static final Duration LONG = Duration.ofMinutes(1);

  private final HolderGauge gauge = new HolderGauge();
  private HostRegulator regulator;
  private ExecutorService threads;

  @BeforeEach
  void setUp() {
    regulator = HostRegulators.builder().defaultLimit(2).acquireTimeout(LONG).build();
    threads = Executors.newCachedThreadPool();
  }

  @AfterEach
  void tearDown() {
    threads.shutdownNow();
    regulator.close();
  }

  @Test
  void futuresCancelledOrCompletedByTheirCallerWhileQueued_leaveTheQueueAndGetNothing()
      throws Exception {
    RegulatedPool pool = regulator.newPool("async");
    List<Slot> held = holdAll(pool);
    CompletableFuture<Slot> first = pool.acquireAsync(HOST, LONG);
    CompletableFuture<Slot> cancelled = pool.acquireAsync(HOST, LONG);
    CompletableFuture<Slot> completedByCaller = pool.acquireAsync(HOST, LONG);
    Future<Slot> last = queueThread(pool);
    assertEquals(4, regulator.waiting(HOST));

    assertTrue(cancelled.cancel(true));
    assertEquals(3, regulator.waiting(HOST), "a cancelled future leaves the queue at once");
    assertTrue(completedByCaller.completeExceptionally(new IllegalStateException("gave up")));
    assertEquals(2, regulator.waiting(HOST), "so does a future its caller completed");

    release(held.get(0));
    Slot firstSlot = first.get(10, TimeUnit.SECONDS);
    gauge.enter();
    release(held.get(1));
    Slot lastSlot = last.get(10, TimeUnit.SECONDS);
    gauge.enter();

    assertTrue(cancelled.isCancelled());
    assertThrows(CancellationException.class, cancelled::join);
    ExecutionException failure = assertThrows(ExecutionException.class, completedByCaller::get);
    assertInstanceOf(IllegalStateException.class, failure.getCause());
    assertEquals(2, regulator.inUse(HOST));
    assertEquals(2, pool.inUse(HOST), "only the two live callers hold slots");
    release(firstSlot);
    release(lastSlot);
    pool.close();
    gauge.assertNeverAbove(2);
    Baseline.assertBackToBaseline(regulator, HOST);
  }

  @Test
  void threadInterruptedWhileQueued_leavesTheQueueWithItsInterruptCleared() throws Exception {
    RegulatedPool a = regulator.newPool("a");
    RegulatedPool b = regulator.newPool("b");
    List<Slot> held = holdAll(a);
    AtomicReference<Thread> interruptedThread = new AtomicReference<>();
    Future<Boolean> interruptStatusAfter = threads.submit(() -> {
      interruptedThread.set(Thread.currentThread());
      try {
        a.acquire(HOST, LONG);
        throw new AssertionError("an interrupted acquire returned a slot");
      } catch (InterruptedException expected) {
        return Thread.currentThread().isInterrupted();
      }
    });
    soon().until(() -> regulator.waiting(HOST) == 1);
    Future<Slot> next = queueThread(b);

    interruptedThread.get().interrupt();

    assertFalse(interruptStatusAfter.get(10, TimeUnit.SECONDS),
        "InterruptedException clears the interrupt status, as the JDK's own blocking calls do");
    assertEquals(1, regulator.waiting(HOST));
    release(held.get(0));
    Slot nextSlot = next.get(10, TimeUnit.SECONDS);
    gauge.enter();
    assertEquals(1, a.inUse(HOST), "the interrupted caller of pool a got nothing");
    assertEquals(2, regulator.inUse(HOST));
    release(held.get(1));
    release(nextSlot);
    a.close();
    b.close();
    gauge.assertNeverAbove(2);
    Baseline.assertBackToBaseline(regulator, HOST);
  }

  /**
   * A queue of 200 callers, sync and async, of whom a random half give up in every way there is;
   * the rest are served one at a time in their arrival order, and nobody who gave up is served.
   */
  @Test
  void manyCallersGivingUpAnywhereInTheQueue_leaveTheRestServedInArrivalOrder() throws Exception {
    regulator.setLimit(HOST, 1);
    Random random = new Random(7);
    RegulatedPool pool = regulator.newPool("queue");
    Slot held = pool.tryAcquire(HOST).orElseThrow();
    gauge.enter();
    ConcurrentLinkedQueue<Integer> served = new ConcurrentLinkedQueue<>();
    List<Integer> expected = new ArrayList<>();
    List<Runnable> giveUps = new ArrayList<>();
    List<Future<?>> threadCallers = new ArrayList<>();
    for (int id = 0; id < 200; id++) {
      int caller = id;
      boolean sync = random.nextInt(4) == 0;
      boolean givesUp = random.nextBoolean();
      if (sync) {
        AtomicReference<Thread> thread = new AtomicReference<>();
        CountDownLatch started = new CountDownLatch(1);
        threadCallers.add(threads.submit(() -> {
          thread.set(Thread.currentThread());
          started.countDown();
          try {
            Slot slot = pool.acquire(HOST, LONG);
            holdBriefly(served, caller, slot);
          } catch (InterruptedException e) {
            if (!givesUp) {
              throw new AssertionError("caller " + caller + " was not interrupted", e);
            }
          }
          return null;
        }));
        started.await();
        if (givesUp) {
          giveUps.add(() -> thread.get().interrupt());
        }
      } else {
        CompletableFuture<Slot> future = pool.acquireAsync(HOST, LONG);
        future.thenAccept(slot -> holdBriefly(served, caller, slot));
        if (givesUp) {
          giveUps.add(random.nextBoolean()
              ? () -> future.cancel(false)
              : () -> future.completeExceptionally(new IllegalStateException("gave up")));
        }
      }
      if (!givesUp) {
        expected.add(caller);
      }
      int queued = caller + 1;
      soon().until(() -> regulator.waiting(HOST) == queued);
    }
    for (Runnable giveUp : giveUps) {
      giveUp.run();
    }
    soon().until(() -> regulator.waiting(HOST) == expected.size());

    release(held);

    soon().until(() -> served.size() == expected.size() && regulator.inUse(HOST) == 0);
    for (Future<?> caller : threadCallers) {
      caller.get(10, TimeUnit.SECONDS);
    }
    assertEquals(expected, List.copyOf(served), "served in arrival order, skipping who gave up");
    pool.close();
    gauge.assertNeverAbove(1);
    Baseline.assertBackToBaseline(regulator, HOST);
  }

  @Test
  void releaseByAnInterruptedThread_completesAndHandsTheSlotOn() throws Exception {
    RegulatedPool a = regulator.newPool("a");
    RegulatedPool b = regulator.newPool("b");
    List<Slot> held = holdAll(a);
    Future<Slot> waiter = queueThread(b);

    Future<Boolean> stillInterrupted = threads.submit(() -> {
      Thread.currentThread().interrupt();
      gauge.exit();
      assertTrue(held.get(0).release(), "release by an interrupted thread gives the slot back");
      return Thread.interrupted();
    });

    assertTrue(stillInterrupted.get(10, TimeUnit.SECONDS),
        "release neither fails on nor swallows the releasing thread's interrupt");
    Slot handedOn = waiter.get(10, TimeUnit.SECONDS);
    gauge.enter();
    assertEquals(2, regulator.inUse(HOST));
    release(held.get(1));
    release(handedOn);
    a.close();
    b.close();
    gauge.assertNeverAbove(2);
    Baseline.assertBackToBaseline(regulator, HOST);
  }

  /** The holder releases while another thread interrupts it, thousands of times. */
  @Test
  void releaseRacingWithAnInterruptOfTheReleasingThread_alwaysCompletes() throws Exception {
    regulator.setLimit(HOST, 1);
    RegulatedPool holders = regulator.newPool("holders");
    RegulatedPool waiters = regulator.newPool("waiters");
    int rounds = 3_000;
    try (Race race = new Race()) {
      for (int round = 0; round < rounds; round++) {
        Slot held = holders.tryAcquire(HOST).orElseThrow();
        CompletableFuture<Slot> waiter = waiters.acquireAsync(HOST, LONG);
        assertEquals(1, regulator.waiting(HOST));
        AtomicReference<Thread> releaser = new AtomicReference<>();
        CountDownLatch interrupted = new CountDownLatch(1);
        race.run(
            () -> {
              releaser.set(Thread.currentThread());
              assertTrue(held.release(), "the release completes");
              Waits.spinUntil(() -> interrupted.getCount() == 0, "the interrupt lands");
              Thread.interrupted(); // the race thread is reused next round
            },
            () -> {
              Waits.spinUntil(() -> releaser.get() != null, "the releaser runs");
              Waits.jitter(20);
              releaser.get().interrupt();
              interrupted.countDown();
            });
        Slot handedOn = waiter.get(10, TimeUnit.SECONDS);
        gauge.enter();
        assertEquals(1, regulator.inUse(HOST), "round " + round);
        gauge.exit();
        assertTrue(handedOn.release());
      }
    }
    holders.close();
    waiters.close();
    gauge.assertNeverAbove(1);
    Baseline.assertBackToBaseline(regulator, HOST);
  }

  private List<Slot> holdAll(RegulatedPool pool) {
    List<Slot> held = new ArrayList<>();
    for (int i = 0; i < regulator.limit(HOST); i++) {
      held.add(pool.tryAcquire(HOST).orElseThrow());
      gauge.enter();
    }
    return held;
  }

  private void release(Slot slot) {
    gauge.exit();
    assertTrue(slot.release());
  }

  private Future<Slot> queueThread(RegulatedPool pool) {
    int before = regulator.waiting(HOST);
    Future<Slot> waiter = threads.submit(() -> pool.acquire(HOST, LONG));
    soon().until(() -> regulator.waiting(HOST) == before + 1);
    return waiter;
  }

  private void holdBriefly(ConcurrentLinkedQueue<Integer> served, int caller, Slot slot) {
    gauge.enter();
    served.add(caller);
    gauge.exit();
    slot.release();
  }
}
