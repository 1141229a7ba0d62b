package io.regulator.core;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.regulator.DropReason;
import io.regulator.HostKey;
import io.regulator.HostRegulator;
import io.regulator.LimitChangeReason;
import io.regulator.RegulatedPool;
import io.regulator.RegulatorListener;
import io.regulator.Slot;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/** Windowed AIMD, step by step on a fake clock: what moves the limit, by how much, and what not. */
class AdaptiveLimitTest {
  private static final HostKey HOST = HostKey.of("partner.example", 443);
  private static final HostKey OTHER = HostKey.of("other.example", 443);
  private static final Duration MS_10 = Duration.ofMillis(10);
  private static final long SECOND = 1_000_000_000L;

  private final AtomicLong now = new AtomicLong();
  private final List<String> events = new CopyOnWriteArrayList<>();
  private final RegulatorListener listener = new RegulatorListener() {
    @Override
    public void limitChanged(HostKey key, int previous, int limit, LimitChangeReason reason) {
      events.add(key + " " + previous + "->" + limit + " " + reason);
    }
  };
  private final List<HostRegulator> built = new ArrayList<>();

  private HostRegulator regulator(HostRegulators.Builder builder) {
    HostRegulator regulator = builder.ticker(now::get).listener(listener).build();
    built.add(regulator);
    return regulator;
  }

  private HostRegulator aimd(int limit) {
    return regulator(HostRegulators.builder().defaultLimit(limit)
        .adaptiveLimits(AdaptiveLimit.aimd().min(2).max(limit + 5).build()));
  }

  @AfterEach
  void closeAll() {
    built.forEach(HostRegulator::close);
  }

  private static List<Slot> take(RegulatedPool pool, HostKey key, int n) {
    List<Slot> slots = new ArrayList<>();
    for (int i = 0; i < n; i++) {
      slots.add(pool.tryAcquire(key).orElseThrow());
    }
    return slots;
  }

  @Test
  void manyDropsInOneWindow_cutTheLimitOnce() {
    HostRegulator regulator = aimd(20);
    RegulatedPool pool = regulator.newPool("p");
    List<Slot> slots = take(pool, HOST, 20);
    for (Slot slot : slots) {
      slot.reportDropped(DropReason.RATE_LIMITED);
      slot.release();
    }
    assertEquals(18, regulator.limit(HOST));
    assertEquals(List.of(HOST + " 20->18 PUSH_BACK"), events);
    assertEquals(0, regulator.inUse(HOST));
  }

  @Test
  void dropsInTheNextWindow_cutAgain() {
    HostRegulator regulator = aimd(20);
    RegulatedPool pool = regulator.newPool("p");
    try (Slot slot = pool.tryAcquire(HOST).orElseThrow()) {
      slot.reportDropped(DropReason.UNAVAILABLE);
    }
    now.addAndGet(SECOND);
    try (Slot slot = pool.tryAcquire(HOST).orElseThrow()) {
      slot.reportDropped(DropReason.TIMEOUT);
    }
    assertEquals(List.of(HOST + " 20->18 PUSH_BACK", HOST + " 18->16 PUSH_BACK"), events);
  }

  @Test
  void aWindowThatReachedTheLimitWithoutDrops_raisesItByOne() {
    HostRegulator regulator = aimd(4);
    RegulatedPool pool = regulator.newPool("p");
    List<Slot> slots = take(pool, HOST, 4);
    slots.get(0).reportSuccess(MS_10); // in use 4 of 4: the limit was reached
    now.addAndGet(SECOND);
    slots.get(1).reportSuccess(MS_10); // closes the window
    assertEquals(5, regulator.limit(HOST));
    assertEquals(List.of(HOST + " 4->5 PROBE"), events);
    assertTrue(pool.tryAcquire(HOST).isPresent(), "the raised limit admits at once");
    pool.close();
    assertEquals(0, regulator.inUse(HOST));
  }

  @Test
  void aWindowThatNeverReachedTheLimit_leavesItAlone() {
    HostRegulator regulator = aimd(10);
    RegulatedPool pool = regulator.newPool("p");
    for (int window = 0; window < 5; window++) {
      try (Slot slot = pool.tryAcquire(HOST).orElseThrow()) {
        slot.reportSuccess(MS_10);
      }
      now.addAndGet(SECOND);
    }
    assertEquals(10, regulator.limit(HOST));
    assertEquals(List.of(), events);
  }

  @Test
  void aSuccessAfterA429InTheSameWindow_stillCountsAsPushBack() {
    HostRegulator regulator = aimd(3);
    RegulatedPool pool = regulator.newPool("p");
    List<Slot> slots = take(pool, HOST, 3);
    slots.get(0).reportDropped(DropReason.RATE_LIMITED); // 3 -> 2
    slots.get(0).release();
    slots.get(1).reportSuccess(MS_10); // the retry that worked, still in the window
    now.addAndGet(SECOND);
    slots.get(2).reportSuccess(MS_10); // closes it: dropped, so no +1
    assertEquals(2, regulator.limit(HOST));
    assertEquals(List.of(HOST + " 3->2 PUSH_BACK"), events);
    pool.close();
  }

  @Test
  void theLimitStaysWithinMinAndMax() {
    HostRegulator regulator = regulator(HostRegulators.builder().defaultLimit(5)
        .adaptiveLimit(HOST, AdaptiveLimit.aimd().min(3).max(6).build()));
    RegulatedPool pool = regulator.newPool("p");
    for (int window = 0; window < 10; window++) {
      try (Slot slot = pool.tryAcquire(HOST).orElseThrow()) {
        slot.reportDropped(DropReason.REFUSED);
      }
      now.addAndGet(SECOND);
    }
    assertEquals(3, regulator.limit(HOST));
    for (int window = 0; window < 10; window++) {
      List<Slot> slots = take(pool, HOST, regulator.limit(HOST));
      slots.forEach(s -> s.reportSuccess(MS_10));
      slots.forEach(Slot::release);
      now.addAndGet(SECOND);
    }
    assertEquals(6, regulator.limit(HOST));
    assertEquals(5, regulator.limit(OTHER), "hosts without an adaptive limit keep theirs");
  }

  @Test
  void loweringTheLimit_revokesNothingAndAdmitsNoneUntilUnderIt() {
    HostRegulator regulator = aimd(10);
    RegulatedPool pool = regulator.newPool("p");
    List<Slot> slots = take(pool, HOST, 10);
    slots.get(0).reportDropped(DropReason.RATE_LIMITED);
    assertEquals(9, regulator.limit(HOST));
    assertEquals(10, regulator.inUse(HOST), "nothing held is revoked");
    slots.get(0).release();
    assertTrue(pool.tryAcquire(HOST).isEmpty(), "9 in use of 9");
    slots.get(1).release();
    Slot again = pool.tryAcquire(HOST).orElseThrow();
    again.release();
    slots.forEach(Slot::release);
    assertEquals(0, regulator.inUse(HOST));
  }

  @Test
  void withoutAdaptiveLimits_reportsChangeNothing() {
    HostRegulator regulator = regulator(HostRegulators.builder().defaultLimit(4));
    RegulatedPool pool = regulator.newPool("p");
    for (int i = 0; i < 10; i++) {
      try (Slot slot = pool.tryAcquire(HOST).orElseThrow()) {
        slot.reportDropped(DropReason.RATE_LIMITED, Duration.ofSeconds(5));
      }
      now.addAndGet(SECOND);
    }
    assertEquals(4, regulator.limit(HOST));
    assertTrue(pool.tryAcquire(HOST).isPresent(), "no backoff either");
    assertEquals(List.of(), events);
  }

  @Test
  void setLimitByHand_isWhereTheAlgorithmContinuesFrom() {
    HostRegulator regulator = aimd(10);
    RegulatedPool pool = regulator.newPool("p");
    try (Slot slot = pool.tryAcquire(HOST).orElseThrow()) {
      slot.reportSuccess(MS_10);
    }
    regulator.setLimit(HOST, 14);
    now.addAndGet(SECOND);
    try (Slot slot = pool.tryAcquire(HOST).orElseThrow()) {
      slot.reportDropped(DropReason.RATE_LIMITED);
    }
    assertEquals(12, regulator.limit(HOST)); // 14 × 0.9, not 10 × 0.9
  }

  @Test
  void aConfiguredLimitAboveMax_isClampedAtTheFirstReport() {
    HostRegulator regulator = regulator(HostRegulators.builder().defaultLimit(50)
        .adaptiveLimits(AdaptiveLimit.aimd().max(20).build()));
    RegulatedPool pool = regulator.newPool("p");
    try (Slot slot = pool.tryAcquire(HOST).orElseThrow()) {
      slot.reportSuccess(MS_10);
    }
    assertEquals(20, regulator.limit(HOST));
  }

  @Test
  void everyChange_movesTheLimitGaugeAndCountsByReason() {
    SimpleMeterRegistry meters = new SimpleMeterRegistry();
    HostRegulator regulator = regulator(HostRegulators.builder().defaultLimit(10)
        .meterRegistry(meters).adaptiveLimits(AdaptiveLimit.aimdDefaults()));
    RegulatedPool pool = regulator.newPool("p");
    try (Slot slot = pool.tryAcquire(HOST).orElseThrow()) {
      slot.reportDropped(DropReason.RATE_LIMITED);
    }
    Gauge limit = meters.get(RegulatorMeters.SLOTS_LIMIT).tag(RegulatorMeters.HOST, HOST.toString())
        .gauge();
    assertEquals(9.0, limit.value());
    assertEquals(1.0, meters.get(RegulatorMeters.LIMIT_CHANGES)
        .tags(RegulatorMeters.HOST, HOST.toString(), RegulatorMeters.REASON, "push_back")
        .counter().count());
  }

  @Test
  void badSettings_areRefusedNamingTheValue() {
    assertEquals("min < 1: 0",
        assertThrows(IllegalArgumentException.class, () -> AdaptiveLimit.aimd().min(0)).getMessage());
    assertEquals("max < 1: 0",
        assertThrows(IllegalArgumentException.class, () -> AdaptiveLimit.aimd().max(0)).getMessage());
    assertEquals("backoffRatio outside (0, 1): 1.0", assertThrows(IllegalArgumentException.class,
        () -> AdaptiveLimit.aimd().backoffRatio(1.0)).getMessage());
    assertEquals("window <= 0: PT0S", assertThrows(IllegalArgumentException.class,
        () -> AdaptiveLimit.aimd().window(Duration.ZERO)).getMessage());
    assertEquals("min 5 exceeds max 4", assertThrows(IllegalStateException.class,
        () -> AdaptiveLimit.aimd().min(5).max(4).build()).getMessage());
    HostRegulator regulator = aimd(5);
    Slot slot = regulator.newPool("p").tryAcquire(HOST).orElseThrow();
    assertEquals("latency < 0: PT-0.001S", assertThrows(IllegalArgumentException.class,
        () -> slot.reportSuccess(Duration.ofMillis(-1))).getMessage());
    assertThrows(NullPointerException.class, () -> slot.reportDropped(null));
    assertEquals("retryAfter < 0: PT-1S", assertThrows(IllegalArgumentException.class,
        () -> slot.reportDropped(DropReason.RATE_LIMITED, Duration.ofSeconds(-1))).getMessage());
    slot.release();
  }
}
