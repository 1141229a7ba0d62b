package io.regulator.core;

import static java.util.concurrent.TimeUnit.SECONDS;
import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.regulator.DropReason;
import io.regulator.HostBackoffException;
import io.regulator.HostKey;
import io.regulator.HostRegulator;
import io.regulator.RegulatedPool;
import io.regulator.RegulatorListener;
import io.regulator.Slot;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/** A Retry-After reported by one pool holds back every pool of the node, as configured. */
class SharedRetryAfterTest {
  private static final HostKey HOST = HostKey.of("partner.example", 443);
  private static final HostKey OTHER = HostKey.of("other.example", 443);
  private static final Duration LONG = Duration.ofSeconds(30);

  private final AtomicLong now = new AtomicLong();
  private final List<String> events = new CopyOnWriteArrayList<>();
  private HostRegulator regulator;

  private HostRegulator regulator(HostRegulators.Builder builder) {
    regulator = builder.ticker(now::get).listener(new RegulatorListener() {
      @Override
      public void backoffStarted(HostKey key, Duration wait) {
        events.add(key + " " + wait.toMillis());
      }
    }).build();
    return regulator;
  }

  @AfterEach
  void close() {
    if (regulator != null) {
      assertEquals(0, regulator.inUse(HOST), "in use back to baseline");
      assertEquals(0, regulator.waiting(HOST), "waiting back to baseline");
      regulator.close();
    }
  }

  private static void pushBack(RegulatedPool pool, Duration retryAfter) {
    try (Slot slot = pool.tryAcquire(HOST).orElseThrow()) {
      slot.reportDropped(DropReason.RATE_LIMITED, retryAfter);
    }
  }

  @Test
  void failFast_everyPoolIsRefusedUntilTheInstantThenServed() throws Exception {
    regulator(HostRegulators.builder().sharedRetryAfter(HOST, SharedBackoff.FAIL_FAST));
    RegulatedPool a = regulator.newPool("a");
    RegulatedPool b = regulator.newPool("b");
    pushBack(a, Duration.ofSeconds(2));
    HostBackoffException refused =
        assertThrows(HostBackoffException.class, () -> b.acquire(HOST, LONG));
    assertEquals(HOST, refused.key());
    assertEquals(Duration.ofSeconds(2), refused.remaining());
    assertTrue(b.tryAcquire(HOST).isEmpty());
    ExecutionException async = assertThrows(ExecutionException.class,
        () -> a.acquireAsync(HOST, LONG).get());
    assertInstanceOf(HostBackoffException.class, async.getCause());
    b.acquire(OTHER, LONG).release(); // another host is not held back

    now.addAndGet(Duration.ofSeconds(2).toNanos());
    b.acquire(HOST, LONG).release();
    assertTrue(a.tryAcquire(HOST).map(Slot::release).orElse(false));
    assertEquals(List.of(HOST + " 2000"), events);
  }

  @Test
  void waitMode_anAcquireWaitsForTheEndCountedAgainstItsTimeout() throws Exception {
    regulator(HostRegulators.builder().sharedRetryAfter(SharedBackoff.WAIT));
    RegulatedPool a = regulator.newPool("a");
    RegulatedPool b = regulator.newPool("b");
    pushBack(a, Duration.ofMillis(50));
    assertThrows(HostBackoffException.class, () -> b.acquire(HOST, Duration.ofMillis(49)),
        "a backoff that ends after the deadline fails at once");
    AtomicReference<Slot> got = new AtomicReference<>();
    Thread waiter = new Thread(() -> {
      try {
        got.set(b.acquire(HOST, Duration.ofMillis(80)));
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      }
    });
    waiter.start();
    await().atMost(5, SECONDS).until(() -> waiter.getState() == Thread.State.TIMED_WAITING);
    assertEquals(null, got.get(), "still held back");
    now.addAndGet(Duration.ofMillis(50).toNanos()); // the backoff ends on the regulator's clock
    waiter.join(5_000);
    assertFalse(waiter.isAlive());
    got.get().release();
  }

  @Test
  void waitMode_anAsyncAcquireIsGrantedOnceTheBackoffEnds() throws Exception {
    regulator(HostRegulators.builder().sharedRetryAfter(SharedBackoff.WAIT));
    RegulatedPool a = regulator.newPool("a");
    pushBack(a, Duration.ofMillis(20));
    CompletableFuture<Slot> later = a.acquireAsync(HOST, LONG);
    assertFalse(later.isDone());
    now.addAndGet(Duration.ofMillis(20).toNanos());
    later.get(5, SECONDS).release();
  }

  @Test
  void waitMode_cancellingAWaitingAsyncAcquireTakesNoSlot() {
    regulator(HostRegulators.builder().sharedRetryAfter(SharedBackoff.WAIT));
    RegulatedPool a = regulator.newPool("a");
    pushBack(a, Duration.ofMillis(20));
    CompletableFuture<Slot> later = a.acquireAsync(HOST, LONG);
    assertTrue(later.cancel(false));
    now.addAndGet(Duration.ofMillis(20).toNanos());
    assertEquals(0, regulator.inUse(HOST));
  }

  @Test
  void aHostNotOptedIn_isNeverHeldBack() throws Exception {
    regulator(HostRegulators.builder().sharedRetryAfter(OTHER, SharedBackoff.FAIL_FAST));
    RegulatedPool a = regulator.newPool("a");
    pushBack(a, Duration.ofSeconds(10));
    a.acquire(HOST, LONG).release();
    assertEquals(List.of(), events);
  }

  @Test
  void overlappingBackoffs_theLaterEndWins() {
    regulator(HostRegulators.builder().sharedRetryAfter(SharedBackoff.FAIL_FAST));
    RegulatedPool a = regulator.newPool("a");
    pushBack(a, Duration.ofSeconds(5));
    now.addAndGet(Duration.ofSeconds(1).toNanos());
    assertThrows(HostBackoffException.class, () -> a.acquire(HOST, LONG));
    regulator.newPool("b"); // a drop reported with a shorter wait does not shorten it
    now.addAndGet(Duration.ofSeconds(3).toNanos());
    assertThrows(HostBackoffException.class, () -> a.acquire(HOST, LONG));
    now.addAndGet(Duration.ofSeconds(1).toNanos());
    assertTrue(a.tryAcquire(HOST).map(Slot::release).orElse(false));
  }

  @Test
  void closingThePoolOrTheRegulator_failsAcquiresWaitingOutABackoffAtOnce() throws Exception {
    regulator(HostRegulators.builder().sharedRetryAfter(SharedBackoff.WAIT));
    RegulatedPool a = regulator.newPool("a");
    RegulatedPool b = regulator.newPool("b");
    pushBack(a, Duration.ofSeconds(20));
    CompletableFuture<Slot> asyncA = a.acquireAsync(HOST, LONG);
    CompletableFuture<Slot> asyncB = b.acquireAsync(HOST, LONG);
    AtomicReference<Throwable> blocked = new AtomicReference<>();
    Thread waiter = new Thread(() -> {
      try {
        a.acquire(HOST, LONG).release();
      } catch (Throwable e) {
        blocked.set(e);
      }
    });
    waiter.start();
    await().atMost(5, SECONDS).until(() -> waiter.getState() == Thread.State.TIMED_WAITING);
    a.close();
    waiter.join(5_000);
    assertInstanceOf(io.regulator.PoolClosedException.class, blocked.get());
    ExecutionException failed = assertThrows(ExecutionException.class, () -> asyncA.get(5, SECONDS));
    assertInstanceOf(io.regulator.PoolClosedException.class, failed.getCause());
    assertFalse(asyncB.isDone(), "another pool's acquire still waits");
    regulator.close();
    ExecutionException failedB = assertThrows(ExecutionException.class, () -> asyncB.get(5, SECONDS));
    assertInstanceOf(io.regulator.PoolClosedException.class, failedB.getCause());
  }

  @Test
  void waitMode_anInterruptEndsTheWaitWithInterruptedException() throws Exception {
    regulator(HostRegulators.builder().sharedRetryAfter(SharedBackoff.WAIT));
    RegulatedPool a = regulator.newPool("a");
    pushBack(a, Duration.ofSeconds(20));
    AtomicReference<Throwable> blocked = new AtomicReference<>();
    Thread waiter = new Thread(() -> {
      try {
        a.acquire(HOST, LONG).release();
      } catch (Throwable e) {
        blocked.set(e);
      }
    });
    waiter.start();
    await().atMost(5, SECONDS).until(() -> waiter.getState() == Thread.State.TIMED_WAITING);
    waiter.interrupt();
    waiter.join(5_000);
    assertInstanceOf(InterruptedException.class, blocked.get());
  }

  @Test
  void everyBackoff_isCountedByHost() {
    io.micrometer.core.instrument.simple.SimpleMeterRegistry meters =
        new io.micrometer.core.instrument.simple.SimpleMeterRegistry();
    regulator(HostRegulators.builder().meterRegistry(meters)
        .sharedRetryAfter(SharedBackoff.FAIL_FAST));
    RegulatedPool a = regulator.newPool("a");
    pushBack(a, Duration.ofSeconds(1));
    assertEquals(1.0, meters.get(RegulatorMeters.BACKOFFS)
        .tag(RegulatorMeters.HOST, HOST.toString()).counter().count());
  }

  @Test
  void aPoolClosedDuringTheBackoff_stillClosesAndGivesBackItsSlots() {
    regulator(HostRegulators.builder().sharedRetryAfter(SharedBackoff.FAIL_FAST));
    RegulatedPool a = regulator.newPool("a");
    Slot held = a.tryAcquire(OTHER).orElseThrow();
    pushBack(a, Duration.ofSeconds(5));
    a.close();
    assertTrue(held.isReleased());
    assertTrue(a.isClosed());
    assertEquals(0, regulator.inUse(OTHER));
  }
}
