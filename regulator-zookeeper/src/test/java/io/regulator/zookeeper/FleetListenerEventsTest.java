package io.regulator.zookeeper;

import static io.regulator.zookeeper.ZooKeeperSupport.soon;
import static java.util.concurrent.TimeUnit.SECONDS;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.regulator.HostKey;
import io.regulator.HostRegulator;
import io.regulator.RegulatedPool;
import io.regulator.RegulatorListener;
import io.regulator.Slot;
import io.regulator.SlotLeak;
import io.regulator.SlotTimeoutException;
import io.regulator.core.HostRegulators;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.locks.LockSupport;
import java.util.function.UnaryOperator;
import org.apache.curator.framework.CuratorFramework;
import org.apache.curator.test.TestingServer;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * What a fleet regulator's listeners hear of its slots (acquired once both caps granted, released
 * once both halves went back, timed out when either wait ran out), and what the local regulator's
 * own listeners hear of the same calls.
 */
class FleetListenerEventsTest {
  private static final HostKey HOST = HostKey.of("partner.example", 443);
  private static final Duration LONG = Duration.ofSeconds(30);

  private static TestingServer server;

  private final String path = ZooKeeperSupport.freshPath();
  private final List<Node> nodes = new ArrayList<>();

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
    for (Node node : nodes) {
      node.pool.close();
      assertEquals(0, node.regulator.inUse(HOST), node.name);
      assertEquals(0, node.regulator.fleetLeases(HOST), node.name);
      assertEquals(node.fleet.count("acquired"), node.fleet.count("released"), node.fleet.events
          .toString());
    }
    if (!nodes.isEmpty()) {
      FleetHostRegulator any = nodes.get(0).regulator;
      soon().until(() -> any.fleetInUse(HOST) == 0);
    }
    for (Node node : nodes) {
      node.close();
    }
  }

  /** A simulated node whose local and fleet regulators each have a recording listener. */
  private Node node(String name, int localLimit, int fleetLimit,
      UnaryOperator<FleetHostRegulators.Builder> config) throws Exception {
    return node(name, localLimit, fleetLimit, config, UnaryOperator.identity());
  }

  private Node node(String name, int localLimit, int fleetLimit,
      UnaryOperator<FleetHostRegulators.Builder> config,
      UnaryOperator<HostRegulators.Builder> localConfig) throws Exception {
    Recorder local = new Recorder();
    Recorder fleet = new Recorder();
    AtomicLong clockOffset = new AtomicLong();
    CuratorFramework client = ZooKeeperSupport.client(server.getConnectString());
    HostRegulator localRegulator = localConfig.apply(HostRegulators.builder()
        .defaultLimit(localLimit).acquireTimeout(LONG).listener(local)).build();
    FleetHostRegulators.Builder builder = FleetHostRegulators.builder(client)
        .local(localRegulator)
        .path(path)
        .nodeId(name)
        .defaultFleetLimit(fleetLimit)
        .ticker(() -> System.nanoTime() + clockOffset.get())
        .listener(fleet);
    Node node = new Node(name, client, config.apply(builder).build(), local, fleet, clockOffset);
    nodes.add(node);
    return node;
  }

  private Node node(String name, int localLimit, int fleetLimit) throws Exception {
    return node(name, localLimit, fleetLimit, UnaryOperator.identity());
  }

  @Test
  void slotThroughBothCaps_isReportedAcquiredThenReleased_withItsWaitAndHoldTime()
      throws Exception {
    Node a = node("a", 4, 1);
    Slot first = a.pool.acquire(HOST);
    CompletableFuture<Slot> queued = CompletableFuture.supplyAsync(() -> acquire(a.pool, LONG));
    soon().until(() -> a.regulator.waiting(HOST) == 1);
    a.clockOffset.addAndGet(Duration.ofSeconds(5).toNanos()); // first held 5 s, queued waited 5 s
    first.release();
    Slot second = queued.get(10, SECONDS);
    second.release();

    assertEquals(List.of("acquired a-pool", "released a-pool", "acquired a-pool",
        "released a-pool"), a.fleet.events);
    assertTrue(a.fleet.durations.get(0).compareTo(Duration.ofSeconds(5)) < 0,
        "a free slot waited " + a.fleet.durations.get(0));
    assertTrue(a.fleet.durations.get(1).compareTo(Duration.ofSeconds(5)) >= 0,
        "held " + a.fleet.durations.get(1));
    assertTrue(a.fleet.durations.get(2).compareTo(Duration.ofSeconds(5)) >= 0,
        "waited " + a.fleet.durations.get(2));
    // The local regulator's own listener heard the local halves: the second granted at once,
    // while the first still held its slot.
    assertEquals(List.of("acquired a-pool", "acquired a-pool", "released a-pool",
        "released a-pool"), a.local.events);
    assertEquals(Duration.ZERO, a.local.durations.get(1));
  }

  @Test
  void released_isReportedOnceBothHalvesAreBack_outsideEveryLock() throws Exception {
    List<String> seen = new CopyOnWriteArrayList<>();
    ExecutorService other = Executors.newSingleThreadExecutor();
    Node[] self = new Node[1];
    RegulatorListener probe = new RegulatorListener() {
      @Override
      public void acquired(HostKey key, String poolName, Duration waited) {
        seen.add("acquired inUse=" + fromAnotherThread());
      }

      @Override
      public void released(HostKey key, String poolName, Duration held) {
        seen.add("released inUse=" + fromAnotherThread() + " leases="
            + self[0].regulator.fleetLeases(key));
      }

      @Override
      public void timedOut(HostKey key, String poolName, Duration waited) {
        seen.add("timedOut inUse=" + fromAnotherThread());
      }

      /** Reads the host's counts on another thread: blocks if this thread held a host lock. */
      private String fromAnotherThread() {
        try {
          return other.submit(() -> self[0].regulator.inUse(HOST) + "/"
              + self[0].regulator.waiting(HOST)).get(10, SECONDS);
        } catch (InterruptedException | ExecutionException | TimeoutException e) {
          return "blocked: " + e;
        }
      }
    };
    try {
      Node a = node("a", 4, 1, b -> b.listener(probe));
      self[0] = a;
      Slot slot = a.pool.acquire(HOST);
      assertEquals(Optional.empty(), a.pool.tryAcquire(HOST));
      slot.release();
      assertEquals(List.of("acquired inUse=1/0", "timedOut inUse=1/0",
          "released inUse=0/0 leases=0"), seen);
    } finally {
      other.shutdownNow();
    }
  }

  @Test
  void fleetCapTimeout_isTimedOutForTheFleet_andAGrantedThenReleasedLocalHalfLocally()
      throws Exception {
    Node a = node("a", 4, 1);
    Slot held = a.pool.acquire(HOST);

    SlotTimeoutException sync = assertThrows(SlotTimeoutException.class,
        () -> a.pool.acquire(HOST, Duration.ofMillis(150)));
    assertTrue(sync.getMessage().contains("fleet lease"), sync.getMessage());
    ExecutionException async = assertThrows(ExecutionException.class,
        () -> a.pool.acquireAsync(HOST, Duration.ofMillis(150)).get(10, SECONDS));
    assertInstanceOf(SlotTimeoutException.class, async.getCause());
    assertEquals(Optional.empty(), a.pool.tryAcquire(HOST));
    held.release();

    assertEquals(List.of("acquired a-pool", "timedOut a-pool", "timedOut a-pool",
        "timedOut a-pool", "released a-pool"), a.fleet.events);
    assertTrue(a.fleet.durations.get(1).compareTo(Duration.ofMillis(150)) >= 0,
        "waited " + a.fleet.durations.get(1));
    assertTrue(a.fleet.durations.get(2).compareTo(Duration.ofMillis(150)) >= 0,
        "waited " + a.fleet.durations.get(2));
    assertEquals(Duration.ZERO, a.fleet.durations.get(3));
    // Locally, each of the three had its slot at once and gave it back when the fleet refused.
    assertEquals(List.of("acquired a-pool", "acquired a-pool", "released a-pool",
        "acquired a-pool", "released a-pool", "acquired a-pool", "released a-pool",
        "released a-pool"), a.local.events);
  }

  @Test
  void localCapTimeout_isTimedOutForBothListeners() throws Exception {
    Node a = node("a", 1, 4);
    // Held by a thread of its own: were this thread the holder of the host's only slot, its
    // blocking acquire would be refused at once as a self-deadlock instead of timing out.
    CompletableFuture<Slot> taken = new CompletableFuture<>();
    Thread holder = new Thread(() -> {
      try {
        taken.complete(a.pool.acquire(HOST));
      } catch (Throwable e) {
        taken.completeExceptionally(e);
      }
    });
    holder.start();
    Slot held = taken.get(10, SECONDS);

    SlotTimeoutException sync = assertThrows(SlotTimeoutException.class,
        () -> a.pool.acquire(HOST, Duration.ofMillis(100)));
    assertEquals(1, sync.limit());
    assertThrows(SlotTimeoutException.class, () -> a.pool.acquire(HOST, Duration.ZERO));
    ExecutionException async = assertThrows(ExecutionException.class,
        () -> a.pool.acquireAsync(HOST, Duration.ofMillis(100)).get(10, SECONDS));
    assertInstanceOf(SlotTimeoutException.class, async.getCause());
    assertEquals(Optional.empty(), a.pool.tryAcquire(HOST));
    held.release();

    List<String> expected = List.of("acquired a-pool", "timedOut a-pool", "timedOut a-pool",
        "timedOut a-pool", "timedOut a-pool", "released a-pool");
    assertEquals(expected, a.fleet.events);
    assertEquals(expected, a.local.events);
    assertTrue(a.fleet.durations.get(1).compareTo(Duration.ofMillis(100)) >= 0,
        "waited " + a.fleet.durations.get(1));
    assertEquals(Duration.ZERO, a.fleet.durations.get(2));
    assertTrue(a.fleet.durations.get(3).compareTo(Duration.ofMillis(100)) >= 0,
        "waited " + a.fleet.durations.get(3));
    assertEquals(Duration.ZERO, a.fleet.durations.get(4));
  }

  @Test
  void closingAPool_reportsEachReclaimedSlotReleased_thenThePoolClosed() throws Exception {
    Node a = node("a", 4, 4);
    RegulatedPool closing = a.regulator.newPool("closing");
    closing.acquire(HOST);
    closing.acquireAsync(HOST, LONG).get(10, SECONDS);
    closing.close();

    assertEquals(List.of("acquired closing", "acquired closing", "released closing",
        "released closing", "poolClosed closing 2"), a.fleet.events);
    // The fleet gave the local halves back before closing the local pool: it reclaimed none.
    assertEquals(List.of("acquired closing", "acquired closing", "released closing",
        "released closing", "poolClosed closing 0"), a.local.events);
  }

  @Test
  void listenerThatThrows_changesNothing_andTheOthersStillHear() throws Exception {
    RegulatorListener throwing = new RegulatorListener() {
      @Override
      public void acquired(HostKey key, String poolName, Duration waited) {
        throw new IllegalStateException("listener failure, expected by the test");
      }

      @Override
      public void released(HostKey key, String poolName, Duration held) {
        throw new AssertionError("listener error, expected by the test");
      }

      @Override
      public void timedOut(HostKey key, String poolName, Duration waited) {
        throw new IllegalStateException("listener failure, expected by the test");
      }
    };
    Node a = node("a", 4, 1, b -> b.listener(throwing));
    Slot slot = a.pool.acquire(HOST);
    assertEquals(Optional.empty(), a.pool.tryAcquire(HOST));
    assertTrue(slot.release());
    Slot again = a.pool.acquireAsync(HOST, LONG).get(10, SECONDS);
    again.close();

    assertEquals(List.of("acquired a-pool", "timedOut a-pool", "released a-pool",
        "acquired a-pool", "released a-pool"), a.fleet.events);
    assertEquals(0, a.regulator.inUse(HOST));
  }

  @Test
  void localLeakThreshold_reportsAFleetSlotHeldTooLong_toTheLocalListenersOnly() throws Exception {
    Node a = node("a", 4, 4, UnaryOperator.identity(),
        local -> local.leakThreshold(Duration.ofMillis(100)));
    Slot slot = a.pool.acquire(HOST);
    soon().until(() -> a.local.events.contains("leakSuspected a-pool"));
    slot.release();
    assertEquals(List.of("acquired a-pool", "leakSuspected a-pool", "released a-pool"),
        a.local.events);
    assertEquals(List.of("acquired a-pool", "released a-pool"), a.fleet.events);
  }

  @Test
  void underConcurrentLoad_everyGrantIsReportedAcquiredOnceAndReleasedOnce() throws Exception {
    int fleetLimit = 3;
    List<Node> fleet = List.of(node("a", 2, fleetLimit), node("b", 2, fleetLimit));
    ConcurrencyGauge holders = new ConcurrencyGauge();
    List<Throwable> errors = new CopyOnWriteArrayList<>();
    AtomicLong timeouts = new AtomicLong();
    List<Thread> workers = new ArrayList<>();
    for (Node node : fleet) {
      for (int w = 0; w < 4; w++) {
        workers.add(new Thread(() -> {
          ThreadLocalRandom random = ThreadLocalRandom.current();
          try {
            for (int i = 0; i < 25; i++) {
              Slot slot = null;
              switch (random.nextInt(4)) {
                case 0 -> slot = node.pool.tryAcquire(HOST).orElse(null);
                case 1 -> {
                  CompletableFuture<Slot> future = node.pool.acquireAsync(HOST, LONG);
                  if (random.nextBoolean() && future.cancel(false)) {
                    continue; // cancelled while queued, or at the instant of its grant
                  }
                  slot = future.get(30, SECONDS);
                }
                case 2 -> slot = acquireOrNull(node.pool, Duration.ofMillis(5), timeouts);
                default -> slot = node.pool.acquire(HOST, LONG);
              }
              if (slot == null) {
                continue;
              }
              holders.enter();
              LockSupport.parkNanos(200_000);
              holders.exit();
              slot.release();
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
    assertTrue(holders.max() <= fleetLimit, "max " + holders.max());
    for (Node node : fleet) {
      soon().until(() -> node.regulator.inUse(HOST) == 0 && node.regulator.waiting(HOST) == 0);
      soon().until(() -> node.fleet.count("acquired") == node.fleet.count("released"));
      assertEquals(node.regulator.stats().grants(), node.fleet.count("acquired"), node.name);
    }
  }

  private static Slot acquireOrNull(RegulatedPool pool, Duration timeout, AtomicLong timeouts)
      throws InterruptedException {
    try {
      return pool.acquire(HOST, timeout);
    } catch (SlotTimeoutException e) {
      timeouts.incrementAndGet();
      return null;
    }
  }

  private static Slot acquire(RegulatedPool pool, Duration timeout) {
    try {
      return pool.acquire(HOST, timeout);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException(e);
    }
  }

  /** Records each event as "event pool", with its duration. */
  private static final class Recorder implements FleetListener {
    final List<String> events = new CopyOnWriteArrayList<>();
    final List<Duration> durations = new CopyOnWriteArrayList<>();

    @Override
    public void acquired(HostKey key, String poolName, Duration waited) {
      record("acquired", key, poolName, waited);
    }

    @Override
    public void released(HostKey key, String poolName, Duration held) {
      record("released", key, poolName, held);
    }

    @Override
    public void timedOut(HostKey key, String poolName, Duration waited) {
      record("timedOut", key, poolName, waited);
    }

    @Override
    public void poolClosed(String poolName, int reclaimedSlots, boolean unreachable) {
      events.add("poolClosed " + poolName + " " + reclaimedSlots);
    }

    @Override
    public void leakSuspected(SlotLeak leak) {
      record("leakSuspected", leak.key(), leak.poolName(), leak.age());
    }

    private void record(String event, HostKey key, String poolName, Duration duration) {
      assertEquals(HOST, key);
      durations.add(duration);
      events.add(event + " " + poolName);
    }

    long count(String event) {
      return events.stream().filter(e -> e.startsWith(event + " ")).count();
    }
  }

  private static final class Node implements AutoCloseable {
    final String name;
    final CuratorFramework client;
    final FleetHostRegulator regulator;
    final RegulatedPool pool;
    final Recorder local;
    final Recorder fleet;
    final AtomicLong clockOffset;

    Node(String name, CuratorFramework client, FleetHostRegulator regulator, Recorder local,
        Recorder fleet, AtomicLong clockOffset) {
      this.name = name;
      this.client = client;
      this.regulator = regulator;
      this.pool = regulator.newPool(name + "-pool");
      this.local = local;
      this.fleet = fleet;
      this.clockOffset = clockOffset;
    }

    @Override
    public void close() {
      try {
        regulator.close();
      } finally {
        client.close();
      }
    }
  }
}
