package io.regulator.tests;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.regulator.HostKey;
import io.regulator.HostRegulator;
import io.regulator.RegulatedPool;
import io.regulator.Slot;
import io.regulator.SlotTimeoutException;
import io.regulator.core.HostRegulators;
import java.time.Duration;
import java.util.concurrent.CancellationException;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * Scenario 8: a caller gives up (times out, is cancelled, completed by itself, or interrupted) at
 * the instant its slot is granted. Exactly one of "the caller got the slot" and "the slot went
 * back to the host" happens, never both and never neither. Each race runs thousands of rounds,
 * its two sides offset by a {@link Staircase} that keeps it at the point where either may win,
 * and each round ends with the host back at zero.
 */
class GrantRaceScenarioTest {
  private static final HostKey HOST = HostKey.of("grant-race.example", 443);
  private static final Duration LONG = Duration.ofMinutes(1);
  private static final int ROUNDS = 4_000;

  private final HolderGauge gauge = new HolderGauge();
  /** Offsets each round's release so that about half the rounds grant and half give up. */
  private final Staircase staircase = new Staircase();
  /** Completes the futures of acquireAsync: one thread, so a marker task proves it idle. */
  private ExecutorService completions;
  private HostRegulator regulator;
  private RegulatedPool holders;
  private RegulatedPool waiters;

  @BeforeEach
  void setUp() {
    completions = Executors.newSingleThreadExecutor();
    regulator = HostRegulators.builder()
        .defaultLimit(1)
        .acquireTimeout(LONG)
        .asyncExecutor(completions)
        .build();
    holders = regulator.newPool("holders");
    waiters = regulator.newPool("waiters");
  }

  @AfterEach
  void tearDown() {
    regulator.close();
    completions.shutdownNow();
  }

  @Test
  void syncAcquireTimingOutAsTheSlotIsGranted_eitherGetsItOrLeavesItToTheHost()
      throws Exception {
    try (Race race = new Race()) {
      for (int round = 0; round < ROUNDS; round++) {
        Slot held = hold();
        // Deadlines from a few microseconds (the waiter gives up without parking) to a few
        // dozen (it parks and wakes); the release comes when the staircase says.
        long timeoutNanos = ThreadLocalRandom.current().nextLong(1_000, 30_000);
        long offset = staircase.next();
        race.run(
            () -> {
              Waits.delay(Staircase.other(offset));
              try {
                use(waiters.acquire(HOST, Duration.ofNanos(timeoutNanos)));
                granted();
              } catch (SlotTimeoutException e) {
                gaveUp();
              }
            },
            () -> {
              Waits.delay(Staircase.delayed(offset));
              release(held);
            });
        assertRoundEndsAtBaseline(round);
      }
    }
    assertBothOutcomesSeen();
  }

  @Test
  void asyncAcquireTimingOutAsTheSlotIsGranted_eitherGetsItOrLeavesItToTheHost()
      throws Exception {
    try (Race race = new Race()) {
      for (int round = 0; round < ROUNDS; round++) {
        Slot held = hold();
        long timeoutNanos = ThreadLocalRandom.current().nextLong(1_000, 30_000);
        long offset = staircase.next();
        AtomicReference<CompletableFuture<Slot>> future = new AtomicReference<>();
        race.run(
            () -> {
              Waits.delay(Staircase.other(offset));
              future.set(waiters.acquireAsync(HOST, Duration.ofNanos(timeoutNanos)));
            },
            () -> {
              Waits.delay(Staircase.delayed(offset));
              release(held);
            });
        try {
          use(future.get().get(10, TimeUnit.SECONDS));
          granted();
        } catch (ExecutionException e) {
          assertInstanceOf(SlotTimeoutException.class, e.getCause());
          gaveUp();
        }
        quiesceCompletions();
        assertRoundEndsAtBaseline(round);
      }
    }
    assertBothOutcomesSeen();
  }

  @Test
  void futureCancelledAsTheSlotIsGranted_eitherGetsItOrLeavesItToTheHost() throws Exception {
    raceCallerCompletingTheFuture(future -> future.cancel(false));
  }

  @Test
  void futureCompletedByItsCallerAsTheSlotIsGranted_eitherGetsItOrLeavesItToTheHost()
      throws Exception {
    raceCallerCompletingTheFuture(
        future -> future.completeExceptionally(new IllegalStateException("caller gave up")));
  }

  @Test
  void threadInterruptedAsTheSlotIsGranted_eitherGetsItOrLeavesItToTheHost() throws Exception {
    ExecutorService waiterThread = Executors.newSingleThreadExecutor();
    try (Race race = new Race()) {
      for (int round = 0; round < ROUNDS; round++) {
        Slot held = hold();
        AtomicReference<Thread> thread = new AtomicReference<>();
        AtomicBoolean interruptDelivered = new AtomicBoolean();
        Future<Boolean> waiter = waiterThread.submit(() -> {
          thread.set(Thread.currentThread());
          try {
            use(waiters.acquire(HOST, LONG));
            return true;
          } catch (InterruptedException e) {
            assertFalse(Thread.currentThread().isInterrupted(), "interrupt status cleared");
            return false;
          } finally {
            Waits.spinUntil(interruptDelivered::get, "the interrupt lands");
            Thread.interrupted(); // the thread is reused next round
          }
        });
        Waits.spinUntil(() -> regulator.waiting(HOST) == 1, "the waiter queues");
        long offset = staircase.next();
        race.run(
            () -> {
              Waits.delay(Staircase.other(offset));
              thread.get().interrupt();
              interruptDelivered.set(true);
            },
            () -> {
              Waits.delay(Staircase.delayed(offset));
              release(held);
            });
        if (waiter.get(10, TimeUnit.SECONDS)) {
          granted();
        } else {
          gaveUp();
        }
        assertRoundEndsAtBaseline(round);
      }
    } finally {
      waiterThread.shutdownNow();
    }
    assertBothOutcomesSeen();
  }

  /** How a caller completes its own future. */
  @FunctionalInterface
  private interface GiveUp {
    boolean apply(CompletableFuture<Slot> future);
  }

  private void raceCallerCompletingTheFuture(GiveUp giveUp) throws Exception {
    try (Race race = new Race()) {
      for (int round = 0; round < ROUNDS; round++) {
        Slot held = hold();
        CompletableFuture<Slot> future = waiters.acquireAsync(HOST, LONG);
        assertEquals(1, regulator.waiting(HOST));
        AtomicBoolean gaveUpFirst = new AtomicBoolean();
        long offset = staircase.next();
        race.run(
            () -> {
              Waits.delay(Staircase.other(offset));
              gaveUpFirst.set(giveUp.apply(future));
            },
            () -> {
              Waits.delay(Staircase.delayed(offset));
              release(held);
            });
        quiesceCompletions();
        if (gaveUpFirst.get()) {
          gaveUp();
          assertTrue(future.isCompletedExceptionally());
        } else {
          use(future.join());
          granted();
        }
        assertRoundEndsAtBaseline(round);
      }
    } catch (CancellationException | CompletionException e) {
      throw new AssertionError("a future that its caller could not complete failed", e);
    }
    assertBothOutcomesSeen();
  }

  /** The caller got the slot: the release, which the staircase delays, came first. */
  private void granted() {
    staircase.record(true);
  }

  /** The caller gave up first. */
  private void gaveUp() {
    staircase.record(false);
  }

  private Slot hold() {
    Slot held = holders.tryAcquire(HOST).orElseThrow(
        () -> new AssertionError("the host's one slot is not free at the round's start"));
    gauge.enter();
    return held;
  }

  private void release(Slot held) {
    gauge.exit();
    assertTrue(held.release());
  }

  /** Holds a granted slot for a moment, as a caller would, and gives it back. */
  private void use(Slot slot) {
    gauge.enter();
    assertEquals(1, regulator.inUse(HOST));
    release(slot);
  }

  /** Returns once every completion the regulator handed to the executor so far has run. */
  private void quiesceCompletions() throws Exception {
    completions.submit(() -> { }).get(10, TimeUnit.SECONDS);
  }

  private void assertRoundEndsAtBaseline(int round) {
    assertEquals(0, regulator.waiting(HOST), () -> "round " + round + ": a waiter stayed queued");
    assertEquals(0, regulator.inUse(HOST), () -> "round " + round + ": a slot was lost");
    assertEquals(0, waiters.inUse(), () -> "round " + round + ": the waiters' pool holds a slot");
  }

  private void assertBothOutcomesSeen() {
    gauge.assertNeverAbove(1);
    assertTrue(staircase.wentBothWaysOften(),
        "the race went both ways often over " + ROUNDS + " rounds: " + staircase);
    holders.close();
    waiters.close();
    Baseline.assertBackToBaseline(regulator, HOST);
  }
}
