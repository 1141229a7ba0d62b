package io.regulator.core;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.regulator.HostKey;
import io.regulator.HostRegulator;
import io.regulator.PoolClosedException;
import io.regulator.RegulatedPool;
import io.regulator.Slot;
import io.regulator.SlotTimeoutException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

/**
 * Virtual-thread waiters with a far deadline park untimed and are woken at their deadline by their
 * host's sweep (internal {@code DeadlineSweep}), not by a timer task of their own: such a thread
 * shows {@code WAITING}, not {@code TIMED_WAITING}. Each still times out at its own deadline,
 * whatever order the deadlines queued in. Platform threads keep their own timed park.
 *
 * <p>The virtual-thread tests (tagged {@code virtual-threads}) run on JDK 25 in their own surefire
 * execution where it is installed; on JDK 17 alone they are skipped with a message.
 */
class DeadlineSweepTest {
  private static final HostKey HOST = HostKey.of("sweep.example", 443);

  private final HostRegulator regulator = HostRegulators.builder().defaultLimit(1).build();
  private final RegulatedPool holder = regulator.newPool("holder");
  private final RegulatedPool waiters = regulator.newPool("waiters");

  @AfterEach
  void tearDown() {
    regulator.close();
  }

  /** A waiter on a thread of its own, with what its acquire ended in and when. */
  private static final class Waiter {
    final Thread thread;
    final CompletableFuture<Slot> outcome = new CompletableFuture<>();
    final AtomicReference<Long> tookNanos = new AtomicReference<>();

    Waiter(RegulatedPool pool, Duration timeout) {
      this(pool, timeout, true);
    }

    Waiter(RegulatedPool pool, Duration timeout, boolean virtual) {
      Runnable acquire = () -> {
        long start = System.nanoTime();
        try {
          Slot slot = pool.acquire(HOST, timeout);
          tookNanos.set(System.nanoTime() - start);
          outcome.complete(slot);
        } catch (Throwable e) {
          tookNanos.set(System.nanoTime() - start);
          outcome.completeExceptionally(e);
        }
      };
      thread = virtual ? VirtualThreads.unstarted(acquire) : new Thread(acquire);
      thread.start();
    }
  }

  /** What the waiter's acquire threw; fails if it returned, or had not ended within 10 s. */
  private static Throwable thrownBy(Waiter waiter) {
    return assertThrows(ExecutionException.class,
        () -> waiter.outcome.get(10, TimeUnit.SECONDS)).getCause();
  }

  /** With the queue empty, gives back the one slot held and checks both counts at baseline. */
  private void giveBackToBaseline(Slot held) {
    assertEquals(0, regulator.waiting(HOST), "waiting back to baseline");
    held.close();
    assertEquals(0, regulator.inUse(HOST), "in use back to baseline");
  }

  /** Waits until the waiter's thread shows {@code state}: WAITING parked untimed, else timed. */
  private static void awaitState(Waiter waiter, Thread.State state) {
    await().atMost(10, TimeUnit.SECONDS).until(() -> waiter.thread.getState() == state);
  }

  /** The waiter timed out, and not before {@code timeout} had passed since it asked. */
  private static void assertTimedOutNoSooner(Waiter waiter, Duration timeout, String who) {
    assertInstanceOf(SlotTimeoutException.class, thrownBy(waiter), who);
    assertTrue(waiter.tookNanos.get() >= timeout.toNanos(),
        who + " not before its deadline: " + waiter.tookNanos.get() + " ns");
  }

  private Waiter queued(Duration timeout) {
    return queued(timeout, true);
  }

  private Waiter queued(Duration timeout, boolean virtual) {
    int before = regulator.waiting(HOST);
    Waiter waiter = new Waiter(waiters, timeout, virtual);
    await().atMost(10, TimeUnit.SECONDS).until(() -> regulator.waiting(HOST) == before + 1);
    return waiter;
  }

  @Test
  @Tag("virtual-threads")
  void aFarDeadline_parksUntimed_andTimesOutAtItsDeadline() throws Exception {
    Slot held = holder.acquire(HOST);
    Waiter waiter = queued(Duration.ofMillis(300));

    awaitState(waiter, Thread.State.WAITING);

    assertTimedOutNoSooner(waiter, Duration.ofMillis(300), "the waiter");
    giveBackToBaseline(held);
  }

  @Test
  @Tag("virtual-threads")
  void anEarlierDeadlineQueuedBehindALaterOne_timesOutAtItsOwn_andTheLaterOneStillGetsTheSlot()
      throws Exception {
    Slot held = holder.acquire(HOST);
    Waiter patient = queued(Duration.ofSeconds(30)); // arms the host's sweep 30 s out
    Waiter hasty = queued(Duration.ofMillis(500)); // arms an earlier one, so parks untimed too
    await().atMost(10, TimeUnit.SECONDS).until(() -> hasty.thread.getState() == Thread.State.WAITING
        || hasty.outcome.isDone());
    assertEquals(Thread.State.WAITING, hasty.thread.getState(), "parked untimed, as the sweep "
        + "armed for its deadline will wake it");

    assertInstanceOf(SlotTimeoutException.class, thrownBy(hasty));
    long took = hasty.tookNanos.get();
    assertTrue(took >= TimeUnit.MILLISECONDS.toNanos(500) && took < TimeUnit.SECONDS.toNanos(10),
        "the hasty waiter timed out at its own deadline, not the patient one's: " + took + " ns");
    assertEquals(1, regulator.waiting(HOST), "the patient waiter is still queued");
    assertEquals(Thread.State.WAITING, patient.thread.getState(), "and parked untimed");

    held.close(); // the patient waiter gets it
    Slot handed = patient.outcome.get(10, TimeUnit.SECONDS);
    assertEquals(1, regulator.inUse(HOST));
    handed.close();
    assertEquals(0, regulator.inUse(HOST), "back to baseline");
    assertEquals(0, regulator.waiting(HOST));
  }

  @Test
  @Tag("virtual-threads")
  void waitersParkedUntimed_failAtOnceWhenTheirPoolCloses() throws Exception {
    Slot held = holder.acquire(HOST);
    Waiter first = queued(Duration.ofSeconds(30));
    Waiter second = queued(Duration.ofSeconds(30));
    awaitState(first, Thread.State.WAITING);
    awaitState(second, Thread.State.WAITING);

    waiters.close();

    assertInstanceOf(PoolClosedException.class, thrownBy(first));
    assertInstanceOf(PoolClosedException.class, thrownBy(second));
    giveBackToBaseline(held);
  }

  @Test
  @Tag("virtual-threads")
  void manyWaitersWithDeadlinesQueuedInRandomOrder_eachTimesOutAtItsOwnAndNoneSleepsOn()
      throws Exception {
    Slot held = holder.acquire(HOST);
    SplittableRandom random = new SplittableRandom(7);
    List<Waiter> all = new ArrayList<>();
    List<Duration> timeouts = new ArrayList<>();
    for (int i = 0; i < 48; i++) {
      // every one long enough to be left to a sweep
      Duration timeout = Duration.ofMillis(10 + random.nextInt(150));
      timeouts.add(timeout);
      all.add(new Waiter(waiters, timeout)); // queue in no deadline order
    }
    for (int i = 0; i < all.size(); i++) {
      assertTimedOutNoSooner(all.get(i), timeouts.get(i), "waiter " + i);
    }
    giveBackToBaseline(held);
  }

  @Test
  @Tag("virtual-threads")
  void aWaiterParkedUntimed_isInterruptedAtOnce_andLeavesNothingBehind() throws Exception {
    Slot held = holder.acquire(HOST);
    Waiter waiter = queued(Duration.ofSeconds(30));
    awaitState(waiter, Thread.State.WAITING);

    waiter.thread.interrupt();

    assertInstanceOf(InterruptedException.class, thrownBy(waiter));
    giveBackToBaseline(held);
  }

  @Test
  void aPlatformThreadWithAFarDeadline_keepsItsOwnTimedPark() throws Exception {
    Slot held = holder.acquire(HOST);
    Waiter waiter = queued(Duration.ofMillis(300), false);

    awaitState(waiter, Thread.State.TIMED_WAITING);

    assertTimedOutNoSooner(waiter, Duration.ofMillis(300), "the waiter");
    giveBackToBaseline(held);
  }
}
