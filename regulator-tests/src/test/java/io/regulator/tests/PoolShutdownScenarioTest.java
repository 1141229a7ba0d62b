package io.regulator.tests;

import static io.regulator.tests.Waits.soon;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.regulator.HostKey;
import io.regulator.HostRegulator;
import io.regulator.HostSnapshot;
import io.regulator.PoolClosedException;
import io.regulator.RegulatedPool;
import io.regulator.Slot;
import io.regulator.core.HostRegulators;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * Scenarios 1 and 12: a pool stopped with connections in flight, and a pool shut down with
 * waiters. An Erlang HTTP client leaked every in-use slot of a pool that stopped; here a closing
 * pool gives every slot back at once, fails only its own waiters, and a pool rebuilt under the
 * same name starts from zero.
 */
class PoolShutdownScenarioTest {
  private static final HostKey HOST = HostKey.of("shutdown.example", 443);
  private static final int LIMIT = 3;
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
  void closeWithSlotsInFlight_givesThemBackAtOnceToOtherPoolsWaiters() throws Exception {
    RegulatedPool a = regulator.newPool("a");
    RegulatedPool b = regulator.newPool("b");
    List<Slot> aSlots = new ArrayList<>();
    for (int i = 0; i < LIMIT; i++) {
      aSlots.add(a.acquire(HOST, LONG));
      gauge.enter();
    }
    List<Future<Slot>> bWaiters = new ArrayList<>();
    for (int i = 0; i < LIMIT; i++) {
      bWaiters.add(threads.submit(() -> {
        Slot slot = b.acquire(HOST, LONG);
        gauge.enter();
        return slot;
      }));
    }
    soon().until(() -> regulator.waiting(HOST) == LIMIT);

    // A's connections die with the pool: they hold nothing any more.
    for (int i = 0; i < LIMIT; i++) {
      gauge.exit();
    }
    a.close();

    // When close returns, B's waiters already have A's slots.
    assertTrue(a.isClosed());
    assertEquals(0, a.inUse());
    assertEquals(0, regulator.waiting(HOST));
    assertEquals(LIMIT, regulator.inUse(HOST));
    assertEquals(LIMIT, b.inUse(HOST));
    assertEquals(List.of(new PoolEvents.Closed("a", LIMIT, false)), events.all());
    for (Slot slot : aSlots) {
      assertTrue(slot.isReleased(), "a closed pool's slot reads as released");
    }
    List<Slot> bSlots = new ArrayList<>();
    for (Future<Slot> waiter : bWaiters) {
      bSlots.add(waiter.get(10, TimeUnit.SECONDS));
    }

    // A's holders finishing late change nothing.
    for (Slot slot : aSlots) {
      assertFalse(slot.release(), "a late release of a reclaimed slot gives nothing back");
      slot.close();
    }
    assertEquals(LIMIT, regulator.inUse(HOST));
    assertTrue(b.tryAcquire(HOST).isEmpty(), "late releases must not open extra slots");
    assertThrows(PoolClosedException.class, () -> a.acquire(HOST, LONG));
    assertThrows(PoolClosedException.class, () -> a.tryAcquire(HOST));

    for (Slot slot : bSlots) {
      gauge.exit();
      assertTrue(slot.release());
    }
    b.close();
    gauge.assertNeverAbove(LIMIT);
    Baseline.assertBackToBaseline(regulator, HOST);
  }

  /**
   * Close and the holders' own releases, one thread per slot, race for the same slots: each goes
   * back exactly once. The releasers contend for the pool's book, so a release that has marked
   * its slot often waits there while close takes the book: the window a double give-back needs.
   */
  @Test
  void closeRacingWithHoldersReleases_givesEverySlotBackExactlyOnce() throws Exception {
    int rounds = 3_000;
    int releasedByHolders = 0;
    int reclaimedByClose = 0;
    Staircase staircase = new Staircase();
    try (Race race = new Race()) {
      for (int round = 0; round < rounds; round++) {
        RegulatedPool a = regulator.newPool("a");
        List<Slot> slots = new ArrayList<>();
        for (int i = 0; i < LIMIT; i++) {
          slots.add(a.tryAcquire(HOST).orElseThrow());
        }
        AtomicInteger released = new AtomicInteger();
        long offset = staircase.next();
        Race.Action close = () -> {
          Waits.delay(Staircase.delayed(offset));
          a.close();
        };
        List<Race.Action> sides = new ArrayList<>(List.of(close));
        for (Slot slot : slots) {
          sides.add(() -> {
            Waits.delay(Staircase.other(offset));
            if (slot.release()) {
              released.incrementAndGet();
            }
          });
        }
        race.run(sides.toArray(new Race.Action[0]));
        PoolEvents.Closed closed = events.last("a");
        assertEquals(LIMIT, released.get() + closed.reclaimedSlots(),
            "round " + round + ": every slot goes back once, by its holder or by close");
        for (Slot slot : slots) {
          assertTrue(slot.isReleased());
        }
        releasedByHolders += released.get();
        reclaimedByClose += closed.reclaimedSlots();
        staircase.record(closed.reclaimedSlots() > 0);
        events.clear();
        assertEquals(0, regulator.inUse(HOST), "round " + round);
        Baseline.assertFullCapacity(regulator, HOST);
      }
    }
    assertTrue(staircase.wentBothWaysOften(), "the race went both ways often: " + staircase);
    assertTrue(releasedByHolders > 0 && reclaimedByClose > 0,
        "the race went both ways: " + releasedByHolders + " released by holders, "
            + reclaimedByClose + " reclaimed by close");
    Baseline.assertBackToBaseline(regulator, HOST);
  }

  @Test
  void closeWithWaiters_failsOnlyItsOwnPromptlyAndTheRebuiltPoolStartsFromZero()
      throws Exception {
    RegulatedPool holder = regulator.newPool("holder");
    List<Slot> held = new ArrayList<>();
    for (int i = 0; i < LIMIT; i++) {
      held.add(holder.acquire(HOST, LONG));
      gauge.enter();
    }
    RegulatedPool a = regulator.newPool("a");
    RegulatedPool b = regulator.newPool("b");
    // Arrival order a1, b1, a2, b2, then a's async waiter; each queued before the next starts.
    Future<Slot> a1 = queue(a);
    Future<Slot> b1 = queue(b);
    Future<Slot> a2 = queue(a);
    Future<Slot> b2 = queue(b);
    CompletableFuture<Slot> aAsync = a.acquireAsync(HOST, LONG);
    assertEquals(5, regulator.waiting(HOST));
    assertThrows(IllegalStateException.class, () -> regulator.newPool("a"),
        "the name is taken while the pool is open");

    a.close();

    // Close fails a's waiters and takes them out of the queue before it returns.
    assertEquals(2, regulator.waiting(HOST));
    assertEquals(new PoolEvents.Closed("a", 0, false), events.last("a"));
    assertClosedWithin(a1, "a", Duration.ofSeconds(5));
    assertClosedWithin(a2, "a", Duration.ofSeconds(5));
    ExecutionException async =
        assertThrows(ExecutionException.class, () -> aAsync.get(5, TimeUnit.SECONDS));
    assertInstanceOf(PoolClosedException.class, async.getCause());
    assertFalse(b1.isDone() || b2.isDone(), "the other pool's waiters are unaffected");

    RegulatedPool rebuilt = regulator.newPool("a");
    assertFalse(rebuilt.isClosed());
    assertEquals(0, rebuilt.inUse());
    Future<Slot> a3 = queue(rebuilt);
    assertEquals(3, regulator.waiting(HOST));

    // Each released slot goes to the next in arrival order: b1, b2, then the rebuilt pool's.
    held.get(0).release();
    gauge.exit();
    Slot b1Slot = b1.get(10, TimeUnit.SECONDS);
    gauge.enter();
    assertFalse(b2.isDone() || a3.isDone());
    held.get(1).release();
    gauge.exit();
    Slot b2Slot = b2.get(10, TimeUnit.SECONDS);
    gauge.enter();
    assertFalse(a3.isDone());
    held.get(2).release();
    gauge.exit();
    Slot a3Slot = a3.get(10, TimeUnit.SECONDS);
    gauge.enter();

    assertEquals(1, rebuilt.inUse(HOST), "the rebuilt pool counts only its own slot");
    assertEquals(2, b.inUse(HOST));
    assertEquals(LIMIT, regulator.inUse(HOST));
    HostSnapshot host = regulator.snapshot().stream()
        .filter(snapshot -> snapshot.key().equals(HOST)).findFirst().orElseThrow();
    assertEquals(Map.of("a", 1, "b", 2), host.inUseByPool());

    for (Slot slot : List.of(b1Slot, b2Slot, a3Slot)) {
      gauge.exit();
      assertTrue(slot.release());
    }
    rebuilt.close();
    assertEquals(new PoolEvents.Closed("a", 0, false), events.last("a"));
    gauge.assertNeverAbove(LIMIT);
    Baseline.assertBackToBaseline(regulator, HOST);
  }

  /**
   * A pool closes while one of its callers is queued and a slot is being released: the caller
   * either gets the slot (and close then reclaims it) or fails with PoolClosedException; never
   * both, and the slot is never lost.
   */
  @Test
  void closeRacingWithGrantToItsWaiter_leavesNoSlotBehind() throws Exception {
    regulator.setLimit(HOST, 1);
    int rounds = 2_000;
    int granted = 0;
    int failed = 0;
    Staircase staircase = new Staircase();
    RegulatedPool holder = regulator.newPool("holder");
    ExecutorService waiterThread = Executors.newSingleThreadExecutor();
    try (Race race = new Race()) {
      for (int round = 0; round < rounds; round++) {
        Slot held = holder.tryAcquire(HOST).orElseThrow();
        RegulatedPool a = regulator.newPool("a");
        AtomicReference<Slot> got = new AtomicReference<>();
        Future<Boolean> waiter = waiterThread.submit(() -> {
          try {
            got.set(a.acquire(HOST, LONG));
            return true;
          } catch (PoolClosedException e) {
            return false;
          }
        });
        Waits.spinUntil(() -> regulator.waiting(HOST) == 1, "the waiter queues");
        long offset = staircase.next();
        race.run(
            () -> {
              Waits.delay(Staircase.other(offset));
              a.close();
            },
            () -> {
              Waits.delay(Staircase.delayed(offset));
              assertTrue(held.release());
            });
        boolean gotSlot = waiter.get(10, TimeUnit.SECONDS);
        staircase.record(gotSlot);
        PoolEvents.Closed closed = events.last("a");
        if (gotSlot) {
          granted++;
          assertEquals(1, closed.reclaimedSlots(), "close reclaims the slot its waiter got");
          assertTrue(got.get().isReleased());
          assertFalse(got.get().release());
        } else {
          failed++;
          assertEquals(0, closed.reclaimedSlots());
        }
        events.clear();
        assertEquals(0, regulator.inUse(HOST), "round " + round);
        assertEquals(0, regulator.waiting(HOST), "round " + round);
      }
    } finally {
      waiterThread.shutdownNow();
    }
    assertTrue(staircase.wentBothWaysOften(), "the race went both ways often: " + staircase);
    assertTrue(granted > 0 && failed > 0,
        "the race went both ways: " + granted + " granted, " + failed + " failed");
    holder.close();
    Baseline.assertBackToBaseline(regulator, HOST);
  }

  /**
   * Scenario 12's rebuild, raced: whoever sees the pool read closed rebuilds it under the same name
   * at once, as a supervisor restarting a stopped client does. The name is free from the instant
   * the old pool reads closed, the rebuilt pool starts from zero, and the old pool's slots are
   * gone. The old pool holds many slots, as a busy client does, so that closing takes a while.
   */
  @Test
  void poolRebuiltTheInstantTheOldOneReadsClosed_getsTheNameAndStartsFromZero()
      throws Exception {
    HostKey busy = HostKey.of("rebuild.example", 443);
    int slots = 200;
    regulator.setLimit(busy, slots);
    int rounds = 2_000;
    try (Race race = new Race()) {
      for (int round = 0; round < rounds; round++) {
        RegulatedPool old = regulator.newPool("a");
        List<Slot> oldSlots = new ArrayList<>();
        for (int i = 0; i < slots; i++) {
          oldSlots.add(old.tryAcquire(busy).orElseThrow());
        }
        AtomicReference<RegulatedPool> rebuilt = new AtomicReference<>();
        int currentRound = round;
        race.run(old::close, () -> {
          Waits.spinUntil(old::isClosed, "the old pool reads closed");
          try {
            rebuilt.set(regulator.newPool("a"));
          } catch (IllegalStateException e) {
            throw new AssertionError("round " + currentRound + ": the pool read closed, yet "
                + "rebuilding it under its name failed", e);
          }
        });
        assertEquals(0, rebuilt.get().inUse(), "round " + round);
        for (Slot slot : oldSlots) {
          assertFalse(slot.release(), "round " + round);
        }
        assertEquals(0, regulator.inUse(busy), "round " + round);
        rebuilt.get().close();
      }
    }
    Baseline.assertBackToBaseline(regulator, busy);
  }

  /** Starts a caller of {@code pool} and returns once it is queued. */
  private Future<Slot> queue(RegulatedPool pool) {
    int before = regulator.waiting(HOST);
    Future<Slot> waiter = threads.submit(() -> pool.acquire(HOST, LONG));
    soon().until(() -> regulator.waiting(HOST) == before + 1);
    return waiter;
  }

  private static void assertClosedWithin(Future<Slot> waiter, String pool, Duration bound) {
    ExecutionException failure = assertThrows(ExecutionException.class,
        () -> waiter.get(bound.toMillis(), TimeUnit.MILLISECONDS));
    PoolClosedException closed = assertInstanceOf(PoolClosedException.class, failure.getCause());
    assertEquals(pool, closed.poolName());
  }
}
