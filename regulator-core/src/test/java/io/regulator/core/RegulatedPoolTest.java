package io.regulator.core;

import static java.util.concurrent.TimeUnit.SECONDS;
import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.regulator.HostKey;
import io.regulator.HostOverloadedException;
import io.regulator.HostRegulator;
import io.regulator.HostSnapshot;
import io.regulator.PoolClosedException;
import io.regulator.RegulatedPool;
import io.regulator.RegulatorListener;
import io.regulator.Slot;
import io.regulator.SlotTimeoutException;
import java.lang.ref.WeakReference;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CancellationException;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/** Unit tests of one regulator's pools, through the public API, one behaviour each. */
class RegulatedPoolTest {
  private static final HostKey HOST = HostKey.of("example.com", 443);
  private static final Duration LONG = Duration.ofSeconds(30);

  private final List<String> closedPools = new CopyOnWriteArrayList<>();
  private final HostRegulator regulator = HostRegulators.builder()
      .defaultLimit(2)
      .asyncExecutor(Runnable::run)
      .listener(new RegulatorListener() {
        @Override
        public void poolClosed(String poolName, int reclaimedSlots, boolean unreachable) {
          closedPools.add(poolName + ":" + reclaimedSlots + ":" + unreachable);
        }
      })
      .build();

  @AfterEach
  void inUseIsBackToBaseline() {
    regulator.close();
    assertEquals(0, regulator.inUse(HOST));
    assertEquals(0, regulator.waiting(HOST));
  }

  /** Starts a thread blocked in acquire, returning once it is queued. */
  private Thread queuedAcquire(RegulatedPool pool, AtomicReference<Object> outcome) {
    int before = regulator.waiting(HOST);
    Thread thread = new Thread(() -> {
      try {
        outcome.set(pool.acquire(HOST, LONG));
      } catch (InterruptedException | RuntimeException e) {
        outcome.set(e);
      }
    });
    thread.start();
    await().atMost(10, SECONDS).until(() -> regulator.waiting(HOST) == before + 1);
    return thread;
  }

  @Test
  void slotsUpToTheLimit_areGrantedAndCounted() throws InterruptedException {
    RegulatedPool pool = regulator.newPool("a");
    Slot first = pool.acquire(HOST);
    Slot second = pool.acquire(HOST);
    assertEquals(2, regulator.inUse(HOST));
    assertEquals(2, pool.inUse(HOST));
    assertEquals(2, pool.inUse());
    assertEquals(HOST, first.key());
    assertEquals("a", first.poolName());
    assertTrue(pool.tryAcquire(HOST).isEmpty());
    first.close();
    second.close();
    assertEquals(0, pool.inUse());
  }

  @Test
  void release_isIdempotentAndGivesBackOnlyOnce() throws InterruptedException {
    RegulatedPool pool = regulator.newPool("a");
    Slot slot = pool.acquire(HOST);
    Slot other = pool.acquire(HOST);
    assertTrue(slot.release());
    assertFalse(slot.release());
    slot.close();
    assertTrue(slot.isReleased());
    assertEquals(1, regulator.inUse(HOST));
    Slot third = pool.acquire(HOST);
    assertTrue(pool.tryAcquire(HOST).isEmpty(), "a double release must not add capacity");
    third.close();
    other.close();
  }

  @Test
  void release_handsTheSlotToTheOldestWaiterOfAnyPool() throws InterruptedException {
    RegulatedPool a = regulator.newPool("a");
    RegulatedPool b = regulator.newPool("b");
    Slot held1 = a.acquire(HOST);
    Slot held2 = a.acquire(HOST);
    var first = new AtomicReference<Object>();
    var second = new AtomicReference<Object>();
    Thread t1 = queuedAcquire(b, first);
    Thread t2 = queuedAcquire(a, second);

    held1.close();
    t1.join(10_000);
    Slot granted = assertInstanceOf(Slot.class, first.get());
    assertEquals("b", granted.poolName());
    assertEquals(null, second.get(), "the younger waiter still waits");
    assertTrue(b.tryAcquire(HOST).isEmpty(), "no barging past the queue");

    held2.close();
    t2.join(10_000);
    assertInstanceOf(Slot.class, second.get()).close();
    granted.close();
  }

  @Test
  void tryAcquire_neverBargesPastAQueuedWaiter() throws InterruptedException {
    regulator.setLimit(HOST, 1);
    RegulatedPool pool = regulator.newPool("a");
    Slot held = pool.acquire(HOST);
    var waiter = new AtomicReference<Object>();
    Thread thread = queuedAcquire(pool, waiter);
    held.close();
    thread.join(10_000);
    assertTrue(pool.tryAcquire(HOST).isEmpty());
    assertInstanceOf(Slot.class, waiter.get()).close();
    assertTrue(pool.tryAcquire(HOST).isPresent(), "free again once the waiter released");
    pool.close();
  }

  @Test
  void timeout_throwsWithTheHostsFiguresAndHolders() throws Exception {
    RegulatedPool pool = regulator.newPool("hog");
    // Taken on another thread: were this thread the holder of every slot, its own acquire would
    // be refused at once as a self-deadlock (SelfDeadlockTest) instead of timing out.
    CompletableFuture<Slot> first = new CompletableFuture<>();
    CompletableFuture<Slot> second = new CompletableFuture<>();
    Thread holder = new Thread(() -> {
      try {
        first.complete(pool.acquire(HOST));
        second.complete(pool.acquire(HOST));
      } catch (InterruptedException e) {
        first.completeExceptionally(e);
      }
    });
    holder.start();
    holder.join(10_000);
    Slot a = first.get();
    Slot b = second.get();
    SlotTimeoutException e = assertThrows(SlotTimeoutException.class,
        () -> regulator.newPool("victim").acquire(HOST, Duration.ofMillis(20)));
    assertEquals(HOST, e.key());
    assertEquals(2, e.limit());
    assertEquals(2, e.inUse());
    assertEquals(0, e.waiting());
    assertTrue(e.waited().toMillis() >= 20, e.waited().toString());
    assertTrue(e.getMessage().contains("{hog=2}"), e.getMessage());
    assertTrue(e.getMessage().contains("oldest by 'hog'"), e.getMessage());
    assertEquals(0, regulator.waiting(HOST), "the timed-out waiter left the queue");
    a.close();
    b.close();
  }

  @Test
  void zeroTimeout_neverWaits() throws InterruptedException {
    RegulatedPool pool = regulator.newPool("a");
    pool.acquire(HOST);
    pool.acquire(HOST);
    assertThrows(SlotTimeoutException.class, () -> pool.acquire(HOST, Duration.ZERO));
    assertEquals(0, regulator.waiting(HOST));
    pool.close();
  }

  @Test
  void negativeTimeoutAndNulls_areRefusedWithTheirNames() {
    RegulatedPool pool = regulator.newPool("a");
    var e = assertThrows(IllegalArgumentException.class,
        () -> pool.acquire(HOST, Duration.ofMillis(-5)));
    assertEquals("timeout < 0: PT-0.005S", e.getMessage());
    assertEquals("key", assertThrows(NullPointerException.class, () -> pool.acquire(null)).getMessage());
    assertEquals("timeout",
        assertThrows(NullPointerException.class, () -> pool.acquireAsync(HOST, null)).getMessage());
    assertEquals("limit < 1: 0",
        assertThrows(IllegalArgumentException.class, () -> regulator.setLimit(HOST, 0)).getMessage());
    assertEquals("name is blank: \" \"",
        assertThrows(IllegalArgumentException.class, () -> regulator.newPool(" ")).getMessage());
    assertEquals("name",
        assertThrows(NullPointerException.class, () -> regulator.newPool(null)).getMessage());
  }

  @Test
  void fullWaiterQueue_refusesAtOnceWithHostOverloaded() throws InterruptedException {
    try (HostRegulator small =
        HostRegulators.builder().defaultLimit(1).maxWaitersPerHost(0).build()) {
      RegulatedPool pool = small.newPool("a");
      Slot held = pool.acquire(HOST);
      HostOverloadedException e =
          assertThrows(HostOverloadedException.class, () -> pool.acquire(HOST, LONG));
      assertEquals(HOST, e.key());
      assertEquals(0, e.waiting());
      held.close();
      assertEquals(0, small.inUse(HOST));
    }
  }

  @Test
  void interruptWhileQueued_throwsClearsStatusAndLeavesTheQueue() throws InterruptedException {
    RegulatedPool pool = regulator.newPool("a");
    Slot a = pool.acquire(HOST);
    Slot b = pool.acquire(HOST);
    var outcome = new AtomicReference<Object>();
    var statusAfter = new AtomicReference<Boolean>();
    Thread thread = new Thread(() -> {
      try {
        pool.acquire(HOST, LONG);
      } catch (InterruptedException e) {
        outcome.set(e);
        statusAfter.set(Thread.currentThread().isInterrupted());
      }
    });
    thread.start();
    await().atMost(10, SECONDS).until(() -> regulator.waiting(HOST) == 1);
    thread.interrupt();
    thread.join(10_000);
    assertInstanceOf(InterruptedException.class, outcome.get());
    assertFalse(statusAfter.get());
    assertEquals(0, regulator.waiting(HOST));
    a.close();
    assertEquals(1, regulator.inUse(HOST), "nothing was granted to the interrupted waiter");
    b.close();
  }

  @Test
  void close_givesBackHeldSlotsToOtherPoolsWaitersBeforeItReturns() throws InterruptedException {
    RegulatedPool a = regulator.newPool("a");
    RegulatedPool b = regulator.newPool("b");
    Slot held1 = a.acquire(HOST);
    Slot held2 = a.acquire(HOST);
    var waiter = new AtomicReference<Object>();
    Thread thread = queuedAcquire(b, waiter);

    a.close();
    assertEquals(1, regulator.inUse(HOST), "b's waiter already holds one of a's slots");
    assertTrue(held1.isReleased());
    assertTrue(held2.isReleased());
    assertFalse(held1.release(), "a late release by a's holder changes nothing");
    thread.join(10_000);
    assertEquals("b", assertInstanceOf(Slot.class, waiter.get()).poolName());
    assertEquals(List.of("a:2:false"), closedPools);
    assertThrows(PoolClosedException.class, () -> a.acquire(HOST));
    assertThrows(PoolClosedException.class, () -> a.tryAcquire(HOST));
    ExecutionException failed =
        assertThrows(ExecutionException.class, () -> a.acquireAsync(HOST, LONG).get());
    assertInstanceOf(PoolClosedException.class, failed.getCause());
    assertTrue(a.isClosed());
    a.close(); // idempotent
    assertEquals(1, closedPools.size());
    ((Slot) waiter.get()).close();
  }

  @Test
  void close_failsOwnWaitersPromptlyAndSparesOthers() throws InterruptedException {
    RegulatedPool a = regulator.newPool("a");
    RegulatedPool b = regulator.newPool("b");
    Slot held1 = b.acquire(HOST);
    Slot held2 = b.acquire(HOST);
    var aWaiter = new AtomicReference<Object>();
    var bWaiter = new AtomicReference<Object>();
    Thread ta = queuedAcquire(a, aWaiter);
    Thread tb = queuedAcquire(b, bWaiter);
    CompletableFuture<Slot> aAsync = a.acquireAsync(HOST, LONG);

    a.close();
    ta.join(10_000);
    PoolClosedException e = assertInstanceOf(PoolClosedException.class, aWaiter.get());
    assertEquals("a", e.poolName());
    ExecutionException async = assertThrows(ExecutionException.class, aAsync::get);
    assertInstanceOf(PoolClosedException.class, async.getCause());
    assertEquals(1, regulator.waiting(HOST), "b's waiter still queues");

    held1.close();
    tb.join(10_000);
    assertInstanceOf(Slot.class, bWaiter.get()).close();
    held2.close();
  }

  @Test
  void samePoolName_isRefusedWhileOpenAndReusableAfterClose() throws InterruptedException {
    RegulatedPool first = regulator.newPool("shared");
    first.acquire(HOST);
    assertThrows(IllegalStateException.class, () -> regulator.newPool("shared"));
    first.close();
    RegulatedPool again = regulator.newPool("shared");
    assertEquals(0, again.inUse(), "a rebuilt pool starts from zero");
    again.acquire(HOST).close();
    assertEquals(0, regulator.inUse(HOST));
  }

  @Test
  void asyncAcquire_isGrantedInFifoOrderWhenASlotIsReleased() throws Exception {
    RegulatedPool pool = regulator.newPool("a");
    Slot a = pool.acquire(HOST);
    Slot b = pool.acquire(HOST);
    CompletableFuture<Slot> first = pool.acquireAsync(HOST, LONG);
    CompletableFuture<Slot> second = pool.acquireAsync(HOST, LONG);
    assertFalse(first.isDone());
    assertEquals(2, regulator.waiting(HOST));
    a.close();
    assertTrue(first.isDone());
    assertFalse(second.isDone());
    b.close();
    first.get().close();
    second.get().close();
  }

  @Test
  void cancelledAsyncAcquire_leavesTheQueueAndIsGrantedNothing() throws InterruptedException {
    RegulatedPool pool = regulator.newPool("a");
    Slot a = pool.acquire(HOST);
    Slot b = pool.acquire(HOST);
    CompletableFuture<Slot> future = pool.acquireAsync(HOST, LONG);
    assertTrue(future.cancel(false));
    assertEquals(0, regulator.waiting(HOST));
    assertThrows(CancellationException.class, future::join);
    a.close();
    assertEquals(1, regulator.inUse(HOST));
    b.close();
  }

  @Test
  void asyncTimeout_completesExceptionallyWithSlotTimeout() {
    RegulatedPool pool = regulator.newPool("a");
    pool.tryAcquire(HOST).orElseThrow();
    pool.tryAcquire(HOST).orElseThrow();
    CompletableFuture<Slot> future = pool.acquireAsync(HOST, Duration.ofMillis(10));
    ExecutionException e = assertThrows(ExecutionException.class, () -> future.get(10, SECONDS));
    assertInstanceOf(SlotTimeoutException.class, e.getCause());
    assertEquals(0, regulator.waiting(HOST));
    pool.close();
  }

  @Test
  void raisingTheLimit_admitsWaitersAtOnce() throws InterruptedException {
    RegulatedPool pool = regulator.newPool("a");
    List<Slot> held = new ArrayList<>(List.of(pool.acquire(HOST), pool.acquire(HOST)));
    CompletableFuture<Slot> waiting = pool.acquireAsync(HOST, LONG);
    regulator.setLimit(HOST, 3);
    assertTrue(waiting.isDone());
    held.add(waiting.join());
    assertEquals(3, regulator.inUse(HOST));
    held.forEach(Slot::close);
  }

  @Test
  void loweringTheLimit_revokesNothingAndAdmitsNobodyUntilUnderIt() throws InterruptedException {
    regulator.setLimit(HOST, 3);
    RegulatedPool pool = regulator.newPool("a");
    Slot a = pool.acquire(HOST);
    Slot b = pool.acquire(HOST);
    Slot c = pool.acquire(HOST);
    regulator.setLimit(HOST, 1);
    assertEquals(3, regulator.inUse(HOST));
    CompletableFuture<Slot> waiting = pool.acquireAsync(HOST, LONG);
    a.close();
    b.close();
    assertFalse(waiting.isDone(), "in use is 1, at the new limit");
    c.close();
    assertTrue(waiting.isDone());
    assertEquals(1, regulator.limit(HOST));
    waiting.join().close();
  }

  @Test
  void snapshot_showsBusyHostsAndOwnLimitsWithHoldersByPool() throws InterruptedException {
    HostKey idleWithLimit = HostKey.of("limited.example", 80);
    regulator.setLimit(idleWithLimit, 9);
    RegulatedPool a = regulator.newPool("a");
    RegulatedPool b = regulator.newPool("b");
    Slot s1 = a.acquire(HOST);
    Slot s2 = b.acquire(HOST);
    CompletableFuture<Slot> queued = b.acquireAsync(HOST, LONG);
    a.acquire(HostKey.of("quiet.example", 80)).close();

    List<HostSnapshot> hosts = regulator.snapshot();
    assertEquals(List.of(HOST, idleWithLimit), hosts.stream().map(HostSnapshot::key).toList());
    assertEquals(new HostSnapshot(HOST, 2, 2, 1, Map.of("a", 1, "b", 1)), hosts.get(0));
    assertEquals(new HostSnapshot(idleWithLimit, 9, 0, 0, Map.of()), hosts.get(1));
    queued.cancel(false);
    s1.close();
    s2.close();
  }

  @Test
  void closedRegulator_closesItsPoolsAndRefusesNewOnes() throws InterruptedException {
    RegulatedPool pool = regulator.newPool("a");
    Slot slot = pool.acquire(HOST);
    regulator.close();
    assertTrue(pool.isClosed());
    assertTrue(slot.isReleased());
    assertThrows(IllegalStateException.class, () -> regulator.newPool("b"));
  }

  @Test
  void poolDroppedWithoutClose_isReclaimedByTheCleanerAndReported() throws InterruptedException {
    HostKey host = HostKey.of("leaky.example", 80);
    Slot leaked = openAndLeak(host);
    assertEquals(1, regulator.inUse(host));
    await().atMost(30, SECONDS).until(() -> {
      System.gc();
      return !closedPools.isEmpty(); // the listener hears of it after the slots are back
    });
    assertEquals(0, regulator.inUse(host));
    assertTrue(leaked.isReleased());
    assertEquals(List.of("leaky:1:true"), closedPools);
    assertNotNull(regulator.newPool("leaky"), "its name is free again");
  }

  @Test
  void slotDroppedWithoutRelease_keepsItsHostCountedThroughGcsUntilItsPoolCloses()
      throws InterruptedException {
    HostKey host = HostKey.of("dropped.example", 80);
    RegulatedPool pool = regulator.newPool("dropper");
    pool.acquire(host); // and dropped: nothing outside the regulator references the slot now
    WeakReference<Object> canary = new WeakReference<>(new Object());
    await().atMost(30, SECONDS).until(() -> {
      System.gc();
      return canary.get() == null; // a GC ran that would have cleared an unpinned host
    });
    assertEquals(1, regulator.inUse(host), "the busy host is pinned, so the leak still counts");
    assertEquals(1, pool.inUse());
    assertEquals(1, regulator.trackedHosts());
    pool.close();
    assertEquals(0, regulator.inUse(host), "close found the dropped slot in its host's list");
    assertEquals(0, pool.inUse());
  }

  @Test
  void poolThatUsedAHostLongAgo_stillSharesThatHostsCountWithEveryOtherPool() throws Exception {
    HostKey host = HostKey.of("cached.example", 80);
    RegulatedPool early = regulator.newPool("early");
    early.acquire(host).release(); // the host is idle now; `early` used it last
    WeakReference<Object> canary = new WeakReference<>(new Object());
    await().atMost(30, SECONDS).until(() -> {
      System.gc();
      return canary.get() == null; // a GC ran that collects idle hosts nobody references
    });
    RegulatedPool late = regulator.newPool("late");
    Slot first = late.acquire(host);
    Slot second = late.acquire(host); // the limit is 2
    assertTrue(early.tryAcquire(host).isEmpty(),
        "the pool's remembered host is the one in the table, so it sees the other pool's slots");
    assertEquals(2, regulator.inUse(host));
    first.release();
    Slot third = early.acquire(host, Duration.ZERO);
    assertEquals(2, regulator.inUse(host));
    second.release();
    third.release();
    assertEquals(0, regulator.inUse(host));
  }

  private Slot openAndLeak(HostKey host) throws InterruptedException {
    return regulator.newPool("leaky").acquire(host);
  }
}
