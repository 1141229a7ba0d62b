package io.regulator.core;

import static io.regulator.core.Races.race;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTimeoutPreemptively;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.regulator.HostKey;
import io.regulator.HostRegulator;
import io.regulator.RegulatedPool;
import io.regulator.Slot;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.Test;

/** Races found by Lincheck in issue 7, repeated here in tight loops beside the code. */
class PoolCloseRaceTest {
  private static final HostKey HOST = HostKey.of("race.example", 80);
  private static final int ROUNDS = 2_000;

  @Test
  void everyConcurrentClose_returnsOnlyOnceTheSlotsAreBack() throws Exception {
    try (HostRegulator regulator = HostRegulators.builder().defaultLimit(1).build()) {
      for (int i = 0; i < ROUNDS; i++) {
        RegulatedPool pool = regulator.newPool("p");
        pool.tryAcquire(HOST).orElseThrow();
        Runnable closeAndCheck = () -> {
          pool.close();
          assertEquals(0, regulator.inUse(HOST), "close returned with the slot still out");
        };
        race(closeAndCheck, closeAndCheck);
      }
    }
  }

  @Test
  void releaseRacingClose_givesTheSlotBackExactlyOnceBeforeEitherReturns() throws Exception {
    try (HostRegulator regulator = HostRegulators.builder().defaultLimit(1).build()) {
      for (int i = 0; i < ROUNDS; i++) {
        RegulatedPool pool = regulator.newPool("p");
        Slot slot = pool.tryAcquire(HOST).orElseThrow();
        var released = new AtomicReference<Boolean>();
        race(pool::close, () -> released.set(slot.release()));
        assertTrue(slot.isReleased());
        assertEquals(0, regulator.inUse(HOST));
        RegulatedPool next = regulator.newPool("q" + i);
        Slot again = next.tryAcquire(HOST).orElseThrow();
        assertTrue(next.tryAcquire(HOST).isEmpty(), "a double give-back would add capacity");
        again.close();
        next.close();
      }
    }
  }

  @Test
  void aPoolSeenClosed_hasItsSlotsBackAndCanBeRebuiltUnderItsNameAtOnce() throws Exception {
    try (HostRegulator regulator = HostRegulators.builder().defaultLimit(1).build()) {
      for (int i = 0; i < ROUNDS; i++) {
        RegulatedPool pool = regulator.newPool("a");
        pool.tryAcquire(HOST).orElseThrow();
        var rebuilt = new AtomicReference<RegulatedPool>();
        race(pool::close, () -> {
          while (!pool.isClosed()) {
            Thread.onSpinWait();
          }
          assertEquals(0, regulator.inUse(HOST), "seen closed, but its slot still counted");
          rebuilt.set(regulator.newPool("a")); // must not throw: no open pool has the name
        });
        assertEquals(0, rebuilt.get().inUse());
        rebuilt.get().close();
      }
      assertEquals(0, regulator.inUse(HOST));
    }
  }

  @Test
  void continuationsRunInlineByClose_mayCloseTheSamePoolAgain() {
    assertTimeoutPreemptively(Duration.ofSeconds(20), () -> {
      try (HostRegulator regulator =
          HostRegulators.builder().defaultLimit(1).asyncExecutor(Runnable::run).build()) {
        RegulatedPool a = regulator.newPool("a");
        RegulatedPool b = regulator.newPool("b");
        a.tryAcquire(HOST).orElseThrow();
        CompletableFuture<Slot> ownWaiter = a.acquireAsync(HOST, Duration.ofMinutes(1));
        CompletableFuture<Slot> otherWaiter = b.acquireAsync(HOST, Duration.ofMinutes(1));
        // Both continuations run on the closing thread, before a.close() returns.
        ownWaiter.whenComplete((slot, failure) -> a.close());
        CompletableFuture<Void> otherRan = otherWaiter.thenAccept(slot -> {
          a.close();
          slot.close();
        });
        a.close();
        assertTrue(ownWaiter.isCompletedExceptionally());
        assertTrue(otherRan.isDone());
        assertEquals(0, regulator.inUse(HOST));
      }
    });
  }
}
