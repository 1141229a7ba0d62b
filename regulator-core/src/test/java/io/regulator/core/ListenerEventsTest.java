package io.regulator.core;

import static java.util.concurrent.TimeUnit.SECONDS;
import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
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
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CyclicBarrier;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.Test;

/** The events a {@link RegulatorListener} hears, their facts, and that they cannot hurt. */
class ListenerEventsTest {
  private static final HostKey HOST = HostKey.of("example.com", 443);
  private static final Duration LONG = Duration.ofSeconds(30);

  private final AtomicLong now = new AtomicLong();
  private final List<String> events = new CopyOnWriteArrayList<>();

  /** Writes every event down as one line. */
  private final RegulatorListener recorder = new RegulatorListener() {
    @Override
    public void acquired(HostKey key, String poolName, Duration waited) {
      events.add("acquired " + key + " " + poolName + " waited " + waited.toMillis());
    }

    @Override
    public void released(HostKey key, String poolName, Duration held) {
      events.add("released " + key + " " + poolName + " held " + held.toMillis());
    }

    @Override
    public void timedOut(HostKey key, String poolName, Duration waited) {
      events.add("timedOut " + key + " " + poolName + " waited " + waited.toMillis());
    }

    @Override
    public void poolClosed(String poolName, int reclaimedSlots, boolean unreachable) {
      events.add("poolClosed " + poolName + " " + reclaimedSlots + " " + unreachable);
    }

    @Override
    public void leakSuspected(SlotLeak leak) {
      events.add("leak " + leak);
    }
  };

  private HostRegulators.Builder regulator() {
    return HostRegulators.builder().defaultLimit(1).asyncExecutor(Runnable::run)
        .ticker(now::get);
  }

  private void advanceMillis(long millis) {
    now.addAndGet(Duration.ofMillis(millis).toNanos());
  }

  @Test
  void acquireAndRelease_tellWhoWaitedAndHeldHowLong() throws Exception {
    try (HostRegulator regulator = regulator().listener(recorder).build()) {
      RegulatedPool a = regulator.newPool("a");
      RegulatedPool b = regulator.newPool("b");
      Slot first = a.acquire(HOST);
      advanceMillis(5);
      CompletableFuture<Slot> queued = b.acquireAsync(HOST, LONG);
      advanceMillis(7);
      first.close();
      advanceMillis(30);
      queued.join().close();

      assertEquals(List.of(
          "acquired example.com:443 a waited 0",
          "released example.com:443 a held 12",
          "acquired example.com:443 b waited 7",
          "released example.com:443 b held 30"), events);
    }
  }

  @Test
  void timeoutsAndFailedTryAcquires_tellTimedOut() throws Exception {
    try (HostRegulator regulator = regulator().listener(recorder).build()) {
      RegulatedPool pool = regulator.newPool("a");
      Slot held = pool.acquire(HOST);
      assertTrue(pool.tryAcquire(HOST).isEmpty());
      assertThrows(SlotTimeoutException.class, () -> pool.acquire(HOST, Duration.ZERO));
      var outcome = new AtomicReference<Object>();
      Thread waiter = new Thread(() -> {
        try {
          outcome.set(pool.acquire(HOST, Duration.ofMillis(40)));
        } catch (InterruptedException | RuntimeException e) {
          outcome.set(e);
        }
      });
      waiter.start();
      await().atMost(10, SECONDS).until(() -> regulator.waiting(HOST) == 1);
      advanceMillis(40); // the waiter's deadline is on our ticker: it cannot time out before this
      waiter.join(10_000);
      assertInstanceOf(SlotTimeoutException.class, outcome.get());
      held.close();

      assertEquals(List.of(
          "acquired example.com:443 a waited 0",
          "timedOut example.com:443 a waited 0",
          "timedOut example.com:443 a waited 0",
          "timedOut example.com:443 a waited 40",
          "released example.com:443 a held 40"), events);
    }
  }

  @Test
  void poolClose_tellsEachReclaimedSlotThenThePool() throws Exception {
    try (HostRegulator regulator = regulator().defaultLimit(2).listener(recorder).build()) {
      RegulatedPool pool = regulator.newPool("a");
      pool.acquire(HOST);
      advanceMillis(3);
      pool.acquire(HOST);
      advanceMillis(4);
      events.clear();
      pool.close();

      assertEquals(3, events.size(), events.toString());
      assertEquals(Set.of("released example.com:443 a held 7", "released example.com:443 a held 4"),
          Set.copyOf(events.subList(0, 2)));
      assertEquals("poolClosed a 2 false", events.get(2), "the pool after its slots");
    }
  }

  @Test
  void throwingListener_isLoggedAndChangesNothing() throws Exception {
    RegulatorListener throwing = new RegulatorListener() {
      @Override
      public void acquired(HostKey key, String poolName, Duration waited) {
        throw new IllegalStateException("acquired");
      }

      @Override
      public void released(HostKey key, String poolName, Duration held) {
        throw new AssertionError("released"); // even an Error must not escape into close()
      }

      @Override
      public void timedOut(HostKey key, String poolName, Duration waited) {
        throw new IllegalStateException("timedOut");
      }

      @Override
      public void poolClosed(String poolName, int reclaimedSlots, boolean unreachable) {
        throw new IllegalStateException("poolClosed");
      }
    };
    try (HostRegulator regulator = regulator().listener(throwing).listener(recorder).build()) {
      RegulatedPool pool = regulator.newPool("a");
      Slot slot = pool.acquire(HOST);
      assertEquals(1, regulator.inUse(HOST));
      assertTrue(pool.tryAcquire(HOST).isEmpty());
      assertTrue(slot.release());
      assertEquals(0, regulator.inUse(HOST));
      pool.acquire(HOST);
      pool.close();
      assertEquals(0, regulator.inUse(HOST));
      assertTrue(pool.isClosed());

      assertEquals(List.of(
          "acquired example.com:443 a waited 0",
          "timedOut example.com:443 a waited 0",
          "released example.com:443 a held 0",
          "acquired example.com:443 a waited 0",
          "released example.com:443 a held 0",
          "poolClosed a 1 false"), events, "the next listener still hears everything");
    }
  }

  @Test
  void listeners_runOutsideEveryLock() throws Exception {
    // Inside each event, another thread takes the host's and the pool's locks. Were the event
    // raised under either lock, that thread would block and the bounded get would time out.
    List<String> blocked = new CopyOnWriteArrayList<>();
    AtomicInteger checked = new AtomicInteger();
    HostRegulator[] holder = new HostRegulator[1];
    RegulatedPool[] pool = new RegulatedPool[1];
    Runnable probe = () -> {
      try {
        CompletableFuture.runAsync(() -> {
          holder[0].inUse(HOST);
          holder[0].snapshot();
          pool[0].inUse();
        }).get(5, SECONDS);
        checked.incrementAndGet();
      } catch (TimeoutException e) {
        blocked.add(new Throwable().getStackTrace()[2].toString());
      } catch (Exception e) {
        throw new AssertionError(e);
      }
    };
    RegulatorListener probing = new RegulatorListener() {
      @Override
      public void acquired(HostKey key, String poolName, Duration waited) {
        probe.run();
      }

      @Override
      public void released(HostKey key, String poolName, Duration held) {
        probe.run();
      }

      @Override
      public void timedOut(HostKey key, String poolName, Duration waited) {
        probe.run();
      }

      @Override
      public void poolClosed(String poolName, int reclaimedSlots, boolean unreachable) {
        probe.run();
      }
    };
    try (HostRegulator regulator = regulator().listener(probing).build()) {
      holder[0] = regulator;
      pool[0] = regulator.newPool("a");
      Slot slot = pool[0].acquire(HOST);
      CompletableFuture<Slot> queued = pool[0].acquireAsync(HOST, LONG); // granted on release
      assertTrue(pool[0].tryAcquire(HOST).isEmpty());
      slot.close();
      queued.join();
      pool[0].close();
    }
    assertEquals(List.of(), blocked);
    // acquired, timedOut, released, acquired, released (reclaimed), poolClosed
    assertEquals(6, checked.get());
  }

  @Test
  void everyAcquiredSlot_isReleasedOnceInTheEvents_underConcurrency() throws Exception {
    AtomicInteger acquired = new AtomicInteger();
    AtomicInteger released = new AtomicInteger();
    AtomicInteger holders = new AtomicInteger();
    AtomicInteger maxHolders = new AtomicInteger();
    RegulatorListener counting = new RegulatorListener() {
      @Override
      public void acquired(HostKey key, String poolName, Duration waited) {
        acquired.incrementAndGet();
      }

      @Override
      public void released(HostKey key, String poolName, Duration held) {
        released.incrementAndGet();
      }
    };
    int workers = 8;
    int rounds = 400;
    try (HostRegulator regulator = HostRegulators.builder().defaultLimit(3)
        .listener(counting).build()) {
      CyclicBarrier start = new CyclicBarrier(workers);
      List<Thread> threads = new ArrayList<>();
      for (int w = 0; w < workers; w++) {
        RegulatedPool pool = regulator.newPool("p" + w);
        Thread thread = new Thread(() -> {
          try {
            start.await();
            for (int i = 0; i < rounds; i++) {
              try (Slot slot = (i % 2 == 0) ? pool.acquire(HOST) : pool.acquireAsync(HOST, LONG).join()) {
                maxHolders.accumulateAndGet(holders.incrementAndGet(), Math::max);
                holders.decrementAndGet();
                assertFalse(slot.isReleased());
              }
            }
          } catch (Exception e) {
            throw new AssertionError(e);
          }
        });
        threads.add(thread);
        thread.start();
      }
      for (Thread thread : threads) {
        thread.join(60_000);
        assertFalse(thread.isAlive());
      }
      assertEquals(0, regulator.inUse(HOST));
      assertTrue(maxHolders.get() <= 3, "cap exceeded: " + maxHolders.get());
      assertEquals(workers * rounds, acquired.get());
      await().atMost(10, SECONDS).until(() -> released.get() == workers * rounds);
    }
  }
}
