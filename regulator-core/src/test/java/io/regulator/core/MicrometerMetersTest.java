package io.regulator.core;

import static io.regulator.core.RegulatorMeters.ACQUIRE;
import static io.regulator.core.RegulatorMeters.HOLD;
import static io.regulator.core.RegulatorMeters.HOST;
import static io.regulator.core.RegulatorMeters.OUTCOME;
import static io.regulator.core.RegulatorMeters.POOL;
import static io.regulator.core.RegulatorMeters.POOL_IN_USE;
import static io.regulator.core.RegulatorMeters.SLOTS_IN_USE;
import static io.regulator.core.RegulatorMeters.SLOTS_LIMIT;
import static io.regulator.core.RegulatorMeters.SLOTS_WAITING;
import static java.util.concurrent.TimeUnit.MILLISECONDS;
import static java.util.concurrent.TimeUnit.SECONDS;
import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.Meter;
import io.micrometer.core.instrument.Timer;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.regulator.HostKey;
import io.regulator.HostOverloadedException;
import io.regulator.HostRegulator;
import io.regulator.PoolClosedException;
import io.regulator.RegulatedPool;
import io.regulator.Slot;
import io.regulator.SlotTimeoutException;
import java.time.Duration;
import java.util.List;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;

/** The Micrometer meters of a regulator, read from a {@link SimpleMeterRegistry}. */
class MicrometerMetersTest {
  private static final HostKey KEY = HostKey.of("example.com", 443);
  private static final String TAG = "example.com:443";
  private static final Duration LONG = Duration.ofSeconds(30);

  private final SimpleMeterRegistry meters = new SimpleMeterRegistry();
  private final AtomicLong now = new AtomicLong();

  private HostRegulators.Builder regulator() {
    return HostRegulators.builder().defaultLimit(2).meterRegistry(meters)
        .asyncExecutor(Runnable::run).ticker(now::get);
  }

  private double gauge(String name, String host) {
    Gauge gauge = meters.find(name).tag(HOST, host).gauge();
    assertNotNull(gauge, name + " of " + host);
    return gauge.value();
  }

  private Timer acquires(String host, String outcome) {
    return meters.find(ACQUIRE).tag(HOST, host).tag(OUTCOME, outcome).timer();
  }

  private long count(String host, String outcome) {
    Timer timer = acquires(host, outcome);
    return (timer == null) ? 0 : timer.count();
  }

  @Test
  void hostGauges_showInUseWaitingAndLimitLive() throws Exception {
    try (HostRegulator regulator = regulator().build()) {
      RegulatedPool a = regulator.newPool("a");
      RegulatedPool b = regulator.newPool("b");
      Slot first = a.acquire(KEY);
      Slot second = a.acquire(KEY);
      CompletableFuture<Slot> queued = b.acquireAsync(KEY, LONG);

      assertEquals(2, gauge(SLOTS_IN_USE, TAG));
      assertEquals(1, gauge(SLOTS_WAITING, TAG));
      assertEquals(2, gauge(SLOTS_LIMIT, TAG));
      assertEquals(2, meters.find(POOL_IN_USE).tag(POOL, "a").gauge().value());
      assertEquals(0, meters.find(POOL_IN_USE).tag(POOL, "b").gauge().value());

      regulator.setLimit(KEY, 5);
      assertEquals(5, gauge(SLOTS_LIMIT, TAG));
      assertEquals(3, gauge(SLOTS_IN_USE, TAG), "raising the limit admitted the waiter");
      assertEquals(0, gauge(SLOTS_WAITING, TAG));
      assertEquals(1, meters.find(POOL_IN_USE).tag(POOL, "b").gauge().value());
      first.close();
      second.close();
      queued.join().close();
      assertEquals(0, gauge(SLOTS_IN_USE, TAG));
    }
  }

  @Test
  void acquireTimer_countsEveryOutcomeWithItsWait() throws Exception {
    try (HostRegulator regulator = regulator().maxWaitersPerHost(1).build()) {
      RegulatedPool pool = regulator.newPool("a");
      Slot first = pool.acquire(KEY);
      Slot second = pool.tryAcquire(KEY).orElseThrow();
      assertTrue(pool.tryAcquire(KEY).isEmpty());
      assertThrows(SlotTimeoutException.class, () -> pool.acquire(KEY, Duration.ZERO));

      CompletableFuture<Slot> cancelled = pool.acquireAsync(KEY, LONG);
      now.addAndGet(MILLISECONDS.toNanos(15));
      assertThrows(HostOverloadedException.class, () -> pool.acquire(KEY, LONG));
      cancelled.cancel(false);

      var outcome = new AtomicReference<Object>();
      Thread waiter = new Thread(() -> {
        try {
          outcome.set(pool.acquire(KEY, LONG));
        } catch (InterruptedException | RuntimeException e) {
          outcome.set(e);
        }
      });
      waiter.start();
      await().atMost(10, SECONDS).until(() -> regulator.waiting(KEY) == 1);
      waiter.interrupt();
      waiter.join(10_000);
      assertTrue(outcome.get() instanceof InterruptedException);

      CompletableFuture<Slot> granted = pool.acquireAsync(KEY, LONG);
      now.addAndGet(MILLISECONDS.toNanos(40));
      first.close();
      granted.join().close();
      second.close();
      pool.close();
      assertThrows(PoolClosedException.class, () -> pool.acquire(KEY));

      assertEquals(3, count(TAG, "granted"));
      assertEquals(2, count(TAG, "timeout"), "tryAcquire without a slot, and a zero timeout");
      assertEquals(1, count(TAG, "overloaded"));
      assertEquals(1, count(TAG, "cancelled"));
      assertEquals(1, count(TAG, "interrupted"));
      assertEquals(1, count(TAG, "closed"));
      assertEquals(40, acquires(TAG, "granted").max(MILLISECONDS), 0.001, "the queued grant");
      assertEquals(15, acquires(TAG, "cancelled").totalTime(MILLISECONDS), 0.001);
    }
  }

  @Test
  void holdTimer_recordsHowLongEachSlotWasHeld() throws Exception {
    try (HostRegulator regulator = regulator().build()) {
      RegulatedPool pool = regulator.newPool("a");
      Slot slot = pool.acquire(KEY);
      now.addAndGet(MILLISECONDS.toNanos(250));
      slot.close();
      pool.acquire(KEY);
      now.addAndGet(MILLISECONDS.toNanos(50));
      pool.close(); // a reclaimed slot's hold counts too

      Timer hold = meters.find(HOLD).tag(HOST, TAG).timer();
      assertEquals(2, hold.count());
      assertEquals(300, hold.totalTime(MILLISECONDS), 0.001);
      assertEquals(250, hold.max(MILLISECONDS), 0.001);
    }
  }

  @Test
  void poolGauge_isRemovedWhenThePoolClosesAndReturnsForANewPoolOfTheName() throws Exception {
    try (HostRegulator regulator = regulator().build()) {
      RegulatedPool pool = regulator.newPool("shared");
      pool.acquire(KEY);
      assertEquals(1, meters.find(POOL_IN_USE).tag(POOL, "shared").gauge().value());
      pool.close();
      assertNull(meters.find(POOL_IN_USE).tag(POOL, "shared").gauge());

      RegulatedPool again = regulator.newPool("shared");
      assertEquals(0, meters.find(POOL_IN_USE).tag(POOL, "shared").gauge().value());
      again.acquire(KEY);
      assertEquals(1, meters.find(POOL_IN_USE).tag(POOL, "shared").gauge().value());
      again.close();
    }
  }

  @Test
  void hostsBeyondTheTagCap_areMeteredTogetherAsOther() throws Exception {
    try (HostRegulator regulator = regulator().maxTaggedHosts(2).build()) {
      RegulatedPool pool = regulator.newPool("a");
      Slot one = pool.acquire(HostKey.of("one.example", 80));
      Slot two = pool.acquire(HostKey.of("two.example", 80));
      Slot three = pool.acquire(HostKey.of("three.example", 80));
      Slot four = pool.acquire(HostKey.of("four.example", 80));
      Slot fourAgain = pool.acquire(HostKey.of("four.example", 80));

      assertEquals(Set.of("one.example:80", "two.example:80", "other"), hostTags());
      assertEquals(1, count("one.example:80", "granted"));
      assertEquals(3, count("other", "granted"));
      assertEquals(3, gauge(SLOTS_IN_USE, "other"), "the sum over untagged hosts");
      assertEquals(0, gauge(SLOTS_WAITING, "other"));
      assertNull(meters.find(SLOTS_LIMIT).tag(HOST, "other").gauge(), "no sum of limits");
      List.of(one, two, three, four, fourAgain).forEach(Slot::close);
      assertEquals(0, gauge(SLOTS_IN_USE, "other"));
    }
  }

  private Set<String> hostTags() {
    return meters.getMeters().stream()
        .map(meter -> meter.getId().getTag(HOST))
        .filter(tag -> tag != null)
        .collect(Collectors.toSet());
  }

  @Test
  void hostMeters_leaveWithTheirEntryAndFreeTheirTag() throws Exception {
    try (HostRegulator regulator = regulator().maxTaggedHosts(1).build()) {
      RegulatedPool pool = regulator.newPool("a");
      pool.acquire(HostKey.of("gone.example", 80)).close();
      assertEquals(0, gauge(SLOTS_IN_USE, "gone.example:80"));

      // Meters must not pin the idle host: it leaves the table at a GC, and its meters go once
      // the table's maintenance (run here by trackedHosts) notices.
      await().atMost(30, SECONDS).until(() -> {
        System.gc();
        return regulator.trackedHosts() == 0 && !hostTags().contains("gone.example:80");
      });
      assertEquals(Set.of(), hostTags(), "no host is untagged, so there are no other meters");

      Slot next = pool.acquire(HostKey.of("next.example", 80));
      assertEquals(1, gauge(SLOTS_IN_USE, "next.example:80"), "the freed tag went to a new host");
      next.close();
    }
  }

  @Test
  void busyHost_keepsItsMetersThroughGarbageCollection() throws Exception {
    try (HostRegulator regulator = regulator().build()) {
      RegulatedPool pool = regulator.newPool("a");
      Slot held = pool.acquire(KEY);
      pool.acquire(HostKey.of("idle.example", 80)).close();
      await().atMost(30, SECONDS).until(() -> {
        System.gc();
        regulator.trackedHosts(); // runs the table's maintenance, which notices collected hosts
        return !hostTags().contains("idle.example:80");
      });
      assertEquals(1, gauge(SLOTS_IN_USE, TAG));
      held.close();
    }
  }

  @Test
  void closingTheRegulator_removesAllItsMeters() throws Exception {
    HostRegulator regulator = regulator().build();
    RegulatedPool pool = regulator.newPool("a");
    Slot slot = pool.acquire(KEY);
    assertTrue(meters.getMeters().size() > 0);
    regulator.close();
    slot.close();
    List<Meter.Id> left = meters.getMeters().stream().map(Meter::getId).toList();
    assertEquals(List.of(), left);
  }
}
