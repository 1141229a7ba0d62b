package io.regulator.zookeeper;

import static io.regulator.zookeeper.ZooKeeperSupport.soon;
import static java.util.concurrent.TimeUnit.SECONDS;
import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.regulator.HostKey;
import io.regulator.HostSnapshot;
import io.regulator.PoolClosedException;
import io.regulator.RegulatedPool;
import io.regulator.Slot;
import io.regulator.SlotTimeoutException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CancellationException;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.atomic.AtomicReference;
import java.util.concurrent.locks.LockSupport;
import java.util.function.UnaryOperator;
import org.apache.curator.test.TestingServer;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** Both caps at work on a standalone in-JVM ZooKeeper: several simulated nodes share hosts. */
class FleetCapTest {
  private static final HostKey HOST = HostKey.of("partner.example", 443);
  private static final HostKey OTHER = HostKey.of("other.example", 443);
  private static final Duration LONG = Duration.ofSeconds(30);

  private static TestingServer server;

  private final String path = ZooKeeperSupport.freshPath();
  private final List<FleetNode> nodes = new ArrayList<>();

  @BeforeAll
  static void startServer() throws Exception {
    server = ZooKeeperSupport.server();
  }

  @AfterAll
  static void stopServer() throws Exception {
    server.close();
  }

  @AfterEach
  void everyNodeIsBackToBaseline() throws Exception {
    for (FleetNode node : nodes) {
      node.pool.close();
      assertEquals(0, node.regulator.inUse(HOST), node.name);
      assertEquals(0, node.regulator.fleetLeases(HOST), node.name);
    }
    if (!nodes.isEmpty()) {
      FleetHostRegulator any = nodes.get(0).regulator;
      soon().until(() -> any.fleetInUse(HOST) == 0);
    }
    for (FleetNode node : nodes) {
      node.close();
    }
  }

  private FleetNode node(String name, int localLimit, int fleetLimit) throws Exception {
    return node(name, localLimit, fleetLimit, UnaryOperator.identity());
  }

  private FleetNode node(String name, int localLimit, int fleetLimit,
      UnaryOperator<FleetHostRegulators.Builder> config) throws Exception {
    FleetNode node = FleetNode.start(name, server.getConnectString(), path, localLimit,
        builder -> config.apply(builder.defaultFleetLimit(fleetLimit)));
    nodes.add(node);
    return node;
  }

  @Test
  void slotIsGranted_onlyWhenBothTheLocalAndTheFleetCapAllow() throws Exception {
    FleetNode a = node("a", 2, 3);
    FleetNode b = node("b", 2, 3);
    Slot a1 = a.pool.acquire(HOST);
    Slot a2 = a.pool.acquire(HOST);
    // a is at its local cap of 2 although the fleet has one lease left
    SlotTimeoutException local =
        assertThrows(SlotTimeoutException.class, () -> a.pool.acquire(HOST, Duration.ZERO));
    assertEquals(2, local.limit());
    Slot b1 = b.pool.acquire(HOST);
    // b is under its local cap, but the fleet's 3 leases are out
    SlotTimeoutException fleet = assertThrows(SlotTimeoutException.class,
        () -> b.pool.acquire(HOST, Duration.ofMillis(200)));
    assertEquals(3, fleet.limit());
    assertTrue(fleet.getMessage().contains("fleet lease"), fleet.getMessage());
    assertEquals(1, b.regulator.inUse(HOST));
    // b's acquire may still sit at the head of the fleet's queue with a lease node of its own
    soon().until(() -> a.regulator.fleetInUse(HOST) == 3);
    a1.release();
    a2.release();
    b1.release();
  }

  /**
   * A pool that nothing references but the thread waiting in its own {@code acquire} is in use,
   * not leaked: once the JIT compiled {@code acquire}, the pool is dead in that frame while the
   * caller waits, and only a reachability fence keeps its cleaner from closing it then (the core's
   * {@code UnreachablePoolScenarioTest} proves the same of local pools).
   */
  @Test
  void poolReachableOnlyFromItsOwnWaitingAcquire_isNotClosedUnderIt() throws Exception {
    FleetNode a = node("a", 2, 10);
    // Get acquire compiled, its waiting path included: a free host, then a full one where a
    // nanosecond's timeout queues, gives up and leaves at once.
    for (int i = 0; i < 10_000; i++) {
      a.pool.acquire(HOST, LONG).release();
    }
    // Held by a thread of their own that then ends: were this thread the holder of every slot,
    // its acquires would be refused at once as a self-deadlock instead of queueing.
    CompletableFuture<List<Slot>> taken = new CompletableFuture<>();
    Thread holder = new Thread(() -> {
      try {
        taken.complete(List.of(a.pool.acquire(HOST, LONG), a.pool.acquire(HOST, LONG)));
      } catch (Throwable e) {
        taken.completeExceptionally(e);
      }
    });
    holder.start();
    Slot first = taken.get(10, SECONDS).get(0);
    Slot second = taken.get().get(1);
    for (int i = 0; i < 10_000; i++) {
      assertThrows(SlotTimeoutException.class, () -> a.pool.acquire(HOST, Duration.ofNanos(1)));
    }
    ExecutorService threads = Executors.newSingleThreadExecutor();
    try {
      Future<Slot> waiter = threads.submit(() -> a.regulator.newPool("in-use").acquire(HOST, LONG));
      soon().until(() -> a.regulator.waiting(HOST) == 1);
      // Two pools leaked one after the other: once both are reported, collections have run and
      // the cleaner has worked through what they found.
      for (String canary : List.of("canary-1", "canary-2")) {
        a.regulator.newPool(canary);
        await().atMost(60, SECONDS).until(() -> {
          System.gc();
          return a.events.contains("closed:" + canary + ":0:true");
        });
      }
      assertFalse(a.events.stream().anyMatch(event -> event.startsWith("closed:in-use")),
          "the pool was closed while its caller waited in acquire: " + a.events);
      assertEquals(1, a.regulator.waiting(HOST), "the waiting caller must still be waiting");
      assertTrue(first.release());
      assertTrue(waiter.get(10, SECONDS).release());
      assertTrue(second.release());
    } finally {
      threads.shutdownNow();
    }
  }

  /**
   * The async twin of the test above: a pool that nothing references but its own pending
   * {@code acquireAsync} is in use, not leaked (core's waiter holds its pool handle the same way),
   * whether the caller still waits for the local slot or already for the fleet lease.
   */
  @Test
  void poolReachableOnlyFromItsOwnPendingAcquireAsync_isNotClosedUnderIt() throws Exception {
    FleetNode a = node("a", 2, 1, builder -> builder.fleetLimit(OTHER, 10));
    Slot held = a.pool.acquire(HOST); // the fleet's one lease: the next caller waits for it
    CompletableFuture<Slot> fleetWaiter =
        a.regulator.newPool("in-use-fleet").acquireAsync(HOST, LONG);
    soon().until(() -> a.regulator.waiting(HOST) == 1);
    Slot other = a.pool.acquire(OTHER);
    Slot otherToo = a.pool.acquire(OTHER); // the local cap of OTHER is full
    CompletableFuture<Slot> localWaiter =
        a.regulator.newPool("in-use-local").acquireAsync(OTHER, LONG);
    soon().until(() -> a.regulator.waiting(OTHER) == 1);
    for (String canary : List.of("canary-1", "canary-2")) {
      a.regulator.newPool(canary);
      await().atMost(60, SECONDS).until(() -> {
        System.gc();
        return a.events.contains("closed:" + canary + ":0:true");
      });
    }
    assertFalse(a.events.stream().anyMatch(event -> event.startsWith("closed:in-use")),
        "a pool was closed while its caller waited in acquireAsync: " + a.events);
    assertFalse(fleetWaiter.isDone(), () -> "fleet waiter: " + fleetWaiter);
    assertFalse(localWaiter.isDone(), () -> "local waiter: " + localWaiter);
    assertTrue(held.release());
    assertTrue(fleetWaiter.get(10, SECONDS).release());
    assertTrue(other.release());
    assertTrue(localWaiter.get(10, SECONDS).release());
    assertTrue(otherToo.release());
  }

  /**
   * A time-out's figures are those of the moment the caller left: it does not count itself among
   * the callers still waiting, whether it waited in {@code acquire} or {@code acquireAsync}.
   */
  @Test
  void fleetTimeOut_doesNotCountTheCallerItselfAmongTheWaiting() throws Exception {
    FleetNode a = node("a", 2, 1);
    Slot held = a.pool.acquire(HOST);
    SlotTimeoutException blocking = assertThrows(SlotTimeoutException.class,
        () -> a.pool.acquire(HOST, Duration.ofMillis(100)));
    ExecutionException async = assertThrows(ExecutionException.class,
        () -> a.pool.acquireAsync(HOST, Duration.ofMillis(100)).get(10, SECONDS));
    SlotTimeoutException asyncTimeOut =
        assertInstanceOf(SlotTimeoutException.class, async.getCause());
    assertEquals(0, blocking.waiting(), blocking.getMessage());
    assertEquals(0, asyncTimeOut.waiting(), asyncTimeOut.getMessage());
    assertTrue(asyncTimeOut.getMessage().contains(", 0 of its callers wait"),
        asyncTimeOut.getMessage());
    assertTrue(held.release());
  }

  @Test
  void release_givesBackTheLocalSlotAndTheFleetLease() throws Exception {
    FleetNode a = node("a", 4, 4);
    Slot slot = a.pool.acquire(HOST);
    assertEquals(1, a.regulator.inUse(HOST));
    assertEquals(1, a.regulator.fleetLeases(HOST));
    assertEquals(1, a.regulator.fleetInUse(HOST));
    assertTrue(slot.release());
    assertFalse(slot.release());
    assertTrue(slot.isReleased());
    assertEquals(0, a.regulator.inUse(HOST));
    assertEquals(0, a.regulator.fleetLeases(HOST));
    soon().until(() -> a.regulator.fleetInUse(HOST) == 0);
  }

  @Test
  void failedFleetAcquire_givesTheLocalSlotBack() throws Exception {
    FleetNode a = node("a", 1, 1);
    FleetNode b = node("b", 1, 1);
    Slot held = a.pool.acquire(HOST);
    assertThrows(SlotTimeoutException.class, () -> b.pool.acquire(HOST, Duration.ofMillis(150)));
    // b's only local slot came back: once the fleet lease is free, b gets it
    held.release();
    Slot slot = b.pool.acquire(HOST, LONG);
    assertEquals(HOST, slot.key());
    slot.release();
  }

  @Test
  void severalNodesSharingHosts_neverHoldMoreThanTheFleetLimit() throws Exception {
    int fleetLimit = 5;
    List<FleetNode> fleet = List.of(node("a", 4, fleetLimit), node("b", 4, fleetLimit),
        node("c", 4, fleetLimit));
    ConcurrencyGauge partner = new ConcurrencyGauge();
    ConcurrencyGauge other = new ConcurrencyGauge();
    List<Throwable> errors = new CopyOnWriteArrayList<>();
    List<Thread> workers = new ArrayList<>();
    for (FleetNode node : fleet) {
      for (int w = 0; w < 6; w++) {
        int worker = w;
        workers.add(new Thread(() -> {
          try {
            for (int i = 0; i < 40; i++) {
              boolean partnerHost = (i + worker) % 3 != 0;
              node.holdOnce(partnerHost ? HOST : OTHER, partnerHost ? partner : other,
                  () -> LockSupport.parkNanos(2_000_000));
            }
          } catch (Throwable e) {
            errors.add(e);
          }
        }));
      }
    }
    workers.forEach(Thread::start);
    for (Thread worker : workers) {
      worker.join(60_000);
    }
    assertEquals(List.of(), errors);
    assertTrue(partner.max() <= fleetLimit, "max " + partner.max());
    assertTrue(other.max() <= fleetLimit, "max " + other.max());
    assertTrue(partner.max() >= 2, "the test never had contention: max " + partner.max() + " "
        + fleet.get(0).regulator.stats() + fleet.get(1).regulator.stats());
    for (FleetNode node : fleet) {
      assertEquals(0, node.regulator.inUse(OTHER));
    }
    soon().until(() -> fleet.get(0).regulator.fleetInUse(OTHER) == 0);
  }

  @Test
  void releasedLease_goesStraightToTheNextLocalWaiter_withoutARoundTrip() throws Exception {
    FleetNode a = node("a", 8, 2, b -> b.handoffWindow(Duration.ofSeconds(30)));
    ConcurrencyGauge holders = new ConcurrencyGauge();
    List<Throwable> errors = new CopyOnWriteArrayList<>();
    List<Thread> workers = new ArrayList<>();
    for (int w = 0; w < 6; w++) {
      workers.add(new Thread(() -> {
        try {
          for (int i = 0; i < 30; i++) {
            a.holdOnce(HOST, holders, () -> LockSupport.parkNanos(100_000));
          }
        } catch (Throwable e) {
          errors.add(e);
        }
      }));
    }
    workers.forEach(Thread::start);
    for (Thread worker : workers) {
      worker.join(60_000);
    }
    assertEquals(List.of(), errors);
    assertTrue(holders.max() <= 2, "max " + holders.max());
    FleetStats stats = a.regulator.stats();
    assertEquals(180, stats.grants());
    assertTrue(stats.handoffs() > 0, stats.toString());
    assertTrue(stats.leasesAcquired() < stats.grants(), stats.toString());
    // and nothing is kept once nobody uses it or waits for it
    assertEquals(0, a.regulator.fleetLeases(HOST));
  }

  @Test
  void zeroHandoffWindow_returnsEveryLeaseToZooKeeper() throws Exception {
    FleetNode a = node("a", 4, 2, b -> b.handoffWindow(Duration.ZERO));
    ConcurrencyGauge holders = new ConcurrencyGauge();
    List<Thread> workers = new ArrayList<>();
    List<Throwable> errors = new CopyOnWriteArrayList<>();
    for (int w = 0; w < 3; w++) {
      workers.add(new Thread(() -> {
        try {
          for (int i = 0; i < 10; i++) {
            a.holdOnce(HOST, holders, () -> LockSupport.parkNanos(100_000));
          }
        } catch (Throwable e) {
          errors.add(e);
        }
      }));
    }
    workers.forEach(Thread::start);
    for (Thread worker : workers) {
      worker.join(60_000);
    }
    assertEquals(List.of(), errors);
    FleetStats stats = a.regulator.stats();
    assertEquals(0, stats.handoffs(), stats.toString());
    assertTrue(stats.leasesAcquired() >= stats.grants(), stats.toString());
    assertTrue(holders.max() <= 2);
  }

  @Test
  void busyNode_doesNotStarveAnotherNodeOfTheFleetLimit() throws Exception {
    FleetNode busy = node("busy", 8, 2, b -> b.handoffWindow(Duration.ofMillis(20)));
    FleetNode quiet = node("quiet", 8, 2);
    ConcurrencyGauge holders = new ConcurrencyGauge();
    AtomicReference<Boolean> stop = new AtomicReference<>(false);
    List<Throwable> errors = new CopyOnWriteArrayList<>();
    List<Thread> workers = new ArrayList<>();
    for (int w = 0; w < 6; w++) {
      workers.add(new Thread(() -> {
        try {
          while (!stop.get()) {
            busy.holdOnce(HOST, holders, () -> LockSupport.parkNanos(200_000));
          }
        } catch (Throwable e) {
          errors.add(e);
        }
      }));
    }
    workers.forEach(Thread::start);
    soon().until(() -> busy.regulator.stats().handoffs() > 20);
    try (Slot slot = quiet.pool.acquire(HOST, Duration.ofSeconds(20))) {
      holders.enter();
      holders.exit();
      assertEquals(HOST, slot.key());
    } finally {
      stop.set(true);
      for (Thread worker : workers) {
        worker.join(60_000);
      }
    }
    assertEquals(List.of(), errors);
    assertTrue(holders.max() <= 2, "max " + holders.max());
  }

  @Test
  void tryAcquire_neverWaitsAndNeverBargesPastALocalWaiter() throws Exception {
    FleetNode a = node("a", 4, 1, b -> b.handoffWindow(Duration.ofSeconds(30)));
    Slot held = a.pool.tryAcquire(HOST).orElseThrow();
    assertEquals(Optional.empty(), a.pool.tryAcquire(HOST));
    AtomicReference<Object> outcome = new AtomicReference<>();
    Thread waiter = new Thread(() -> {
      try {
        outcome.set(a.pool.acquire(HOST, LONG));
      } catch (Throwable e) {
        outcome.set(e);
      }
    });
    waiter.start();
    soon().until(() -> a.regulator.waiting(HOST) == 1);
    held.release(); // handed to the waiter, never to a tryAcquire racing it
    assertEquals(Optional.empty(), a.pool.tryAcquire(HOST));
    waiter.join(10_000);
    Slot handed = assertInstanceOf(Slot.class, outcome.get());
    assertEquals(1, a.regulator.stats().handoffs());
    handed.release();
  }

  @Test
  void closingAPool_failsItsFleetWaitersAndGivesItsLeasesToOtherNodes() throws Exception {
    FleetNode a = node("a", 4, 2);
    FleetNode b = node("b", 4, 2);
    RegulatedPool closing = a.regulator.newPool("closing");
    Slot first = closing.acquire(HOST);
    Slot second = closing.acquire(HOST);
    AtomicReference<Object> aWaiter = new AtomicReference<>();
    AtomicReference<Object> bWaiter = new AtomicReference<>();
    Thread aThread = new Thread(() -> capture(closing, aWaiter));
    Thread bThread = new Thread(() -> capture(b.pool, bWaiter));
    aThread.start();
    soon().until(() -> a.regulator.waiting(HOST) == 1);
    bThread.start();
    soon().until(() -> b.regulator.waiting(HOST) == 1);
    closing.close();
    aThread.join(10_000);
    bThread.join(10_000);
    assertInstanceOf(PoolClosedException.class, aWaiter.get());
    Slot bSlot = assertInstanceOf(Slot.class, bWaiter.get());
    assertTrue(first.isReleased());
    assertFalse(second.release());
    assertEquals(0, a.regulator.inUse(HOST));
    assertTrue(a.events.contains("closed:closing:2:false"), a.events.toString());
    assertThrows(PoolClosedException.class, () -> closing.acquire(HOST));
    bSlot.release();
  }

  private static void capture(RegulatedPool pool, AtomicReference<Object> outcome) {
    try {
      outcome.set(pool.acquire(HOST, LONG));
    } catch (Throwable e) {
      outcome.set(e);
    }
  }

  @Test
  void interruptWhileWaitingForAFleetLease_givesTheLocalSlotBack() throws Exception {
    FleetNode a = node("a", 4, 1);
    Slot held = a.pool.acquire(HOST);
    AtomicReference<Object> outcome = new AtomicReference<>();
    Thread waiter = new Thread(() -> capture(a.pool, outcome));
    waiter.start();
    soon().until(() -> a.regulator.waiting(HOST) == 1);
    waiter.interrupt();
    waiter.join(10_000);
    assertInstanceOf(InterruptedException.class, outcome.get());
    assertEquals(0, a.regulator.waiting(HOST));
    held.release();
  }

  @Test
  void acquireAsync_completesWithBothHalves_andCancelWhileQueuedTakesNothing() throws Exception {
    FleetNode a = node("a", 4, 1);
    Slot held = a.pool.acquireAsync(HOST, LONG).get(10, SECONDS);
    CompletableFuture<Slot> queued = a.pool.acquireAsync(HOST, LONG);
    soon().until(() -> a.regulator.waiting(HOST) == 1);
    assertTrue(queued.cancel(false));
    soon().until(() -> a.regulator.waiting(HOST) == 0);
    CompletableFuture<Slot> timesOut = a.pool.acquireAsync(HOST, Duration.ofMillis(100));
    ExecutionException timeout =
        assertThrows(ExecutionException.class, () -> timesOut.get(10, SECONDS));
    assertInstanceOf(SlotTimeoutException.class, timeout.getCause());
    held.release();
    Slot next = a.pool.acquireAsync(HOST, LONG).get(10, SECONDS);
    assertEquals(1, a.regulator.inUse(HOST));
    next.release();
  }

  @Test
  void cancelAtTheInstantOfTheGrant_eitherTheCallerGetsTheSlotOrBothHalvesGoBack()
      throws Exception {
    FleetNode a = node("a", 4, 1, b -> b.asyncExecutor(Runnable::run));
    for (int i = 0; i < 150; i++) {
      Slot held = a.pool.acquire(HOST);
      CompletableFuture<Slot> queued = a.pool.acquireAsync(HOST, LONG);
      soon().until(() -> a.regulator.waiting(HOST) == 1);
      Thread releaser = new Thread(held::release);
      releaser.start();
      boolean cancelled = queued.cancel(false);
      releaser.join(10_000);
      if (!cancelled) {
        queued.get(10, SECONDS).release();
      } else {
        assertThrows(CancellationException.class, queued::join);
      }
      soon().until(() -> a.regulator.inUse(HOST) == 0
          && a.regulator.waiting(HOST) == 0);
    }
    assertEquals(0, a.regulator.fleetLeases(HOST));
  }

  @Test
  void fleetLimitChangedUnderLoad_lowerAdmitsNoneUntilUnderIt_higherAdmitsAtOnce()
      throws Exception {
    FleetNode a = node("a", 10, 6);
    FleetNode b = node("b", 10, 6);
    ConcurrencyGauge holders = new ConcurrencyGauge();
    AtomicReference<Boolean> stop = new AtomicReference<>(false);
    List<Throwable> errors = new CopyOnWriteArrayList<>();
    List<Thread> workers = new ArrayList<>();
    for (FleetNode node : List.of(a, b)) {
      for (int w = 0; w < 8; w++) {
        workers.add(new Thread(() -> {
          try {
            while (!stop.get()) {
              node.holdOnce(HOST, holders, () -> LockSupport.parkNanos(300_000));
            }
          } catch (Throwable e) {
            errors.add(e);
          }
        }));
      }
    }
    workers.forEach(Thread::start);
    try {
      soon().until(() -> holders.max() >= 4);
      assertTrue(holders.max() <= 6, "max " + holders.max());

      a.regulator.setFleetLimit(HOST, 2);
      soon().until(() -> b.regulator.fleetLimit(HOST) == 2);
      // Handoffs keep a lease circulating on its node until it ages out; what bounds the holders
      // is the number of lease nodes, which only falls now.
      soon().until(() -> a.regulator.fleetInUse(HOST) <= 2);
      holders.resetMax();
      long grants = a.regulator.stats().grants() + b.regulator.stats().grants();
      soon().until(
          () -> a.regulator.stats().grants() + b.regulator.stats().grants() > grants + 50);
      assertTrue(holders.max() <= 2, "max after lowering " + holders.max());

      b.regulator.setFleetLimit(HOST, 10);
      soon().until(() -> holders.max() > 2);
      assertTrue(holders.max() <= 10, "max after raising " + holders.max());
    } finally {
      stop.set(true);
      for (Thread worker : workers) {
        worker.join(60_000);
      }
    }
    assertEquals(List.of(), errors);
  }

  @Test
  void figures_countSlotsThroughBothCapsAndWaitersForEither() throws Exception {
    FleetNode a = node("a", 3, 1);
    Slot held = a.pool.acquire(HOST);
    AtomicReference<Object> outcome = new AtomicReference<>();
    Thread waiter = new Thread(() -> capture(a.pool, outcome));
    waiter.start();
    soon().until(() -> a.regulator.waiting(HOST) == 1);
    assertEquals(1, a.regulator.inUse(HOST));
    assertEquals(1, a.pool.inUse(HOST));
    assertEquals(3, a.regulator.limit(HOST));
    assertEquals(1, a.regulator.fleetLimit(HOST));
    HostSnapshot host = a.regulator.snapshot().stream()
        .filter(s -> s.key().equals(HOST)).findFirst().orElseThrow();
    assertEquals(1, host.inUse());
    assertEquals(1, host.waiting());
    assertEquals(java.util.Map.of("a-pool", 1), host.inUseByPool());
    held.release();
    waiter.join(10_000);
    assertInstanceOf(Slot.class, outcome.get()).release();
  }

  @Test
  void idleHost_isDroppedAfterTheIdleTimeout_butNeverWhileASlotIsOut() throws Exception {
    FleetNode a = node("a", 4, 2, b -> b.idleHostTimeout(Duration.ofMillis(100)));
    a.pool.acquire(HOST).release();
    soon().until(() -> a.regulator.trackedHosts() == 0);
    Slot slot = a.pool.acquire(HOST); // a fresh entry, which reads the fleet limit again
    assertEquals(1, a.regulator.trackedHosts());
    await().during(Duration.ofMillis(400)).atMost(5, SECONDS)
        .until(() -> a.regulator.trackedHosts() == 1 && a.regulator.fleetLeases(HOST) == 1);
    slot.release();
    soon().until(() -> a.regulator.trackedHosts() == 0);
  }

  @Test
  void poolDroppedWithoutClose_givesBackItsSlotsAndLeases() throws Exception {
    FleetNode a = node("a", 4, 2);
    holdAndDrop(a.regulator);
    soon().until(() -> {
      System.gc();
      return a.events.contains("closed:dropped:2:true");
    });
    assertEquals(0, a.regulator.inUse(HOST));
    soon().until(() -> a.regulator.fleetInUse(HOST) == 0);
  }

  private static void holdAndDrop(FleetHostRegulator regulator) throws InterruptedException {
    RegulatedPool dropped = regulator.newPool("dropped");
    dropped.acquire(HOST);
    dropped.acquire(HOST);
  }
}
