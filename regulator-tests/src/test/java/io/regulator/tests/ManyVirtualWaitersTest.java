package io.regulator.tests;

import static io.regulator.tests.Waits.soon;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import io.regulator.HostKey;
import io.regulator.HostRegulator;
import io.regulator.RegulatedPool;
import io.regulator.Slot;
import io.regulator.core.HostRegulators;
import java.lang.invoke.MethodHandle;
import java.lang.invoke.MethodHandles;
import java.lang.invoke.MethodType;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import jdk.jfr.Event;
import jdk.jfr.Label;
import jdk.jfr.Name;
import jdk.jfr.consumer.RecordedEvent;
import jdk.jfr.consumer.RecordedFrame;
import jdk.jfr.consumer.RecordingStream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

/**
 * Scenario 15: many waiters. Ten thousand virtual threads wait on one host of limit ten with the
 * regulator's finite default acquire timeout; all are served, and none pins its carrier thread
 * while it waits (the regulator parks through {@code LockSupport} and locks with {@code
 * ReentrantLock}, never {@code synchronized}).
 *
 * <p>The module compiles with {@code --release 17}, so virtual threads are reached reflectively
 * and the test is skipped on a JDK without them. Where JDK 25 is installed the build runs this
 * class, tagged {@code virtual-threads}, on it instead (the root pom's {@code jdk25} profile).
 */
@Tag("virtual-threads")
class ManyVirtualWaitersTest {
  private static final HostKey HOST = HostKey.of("many-waiters.example", 443);
  private static final int LIMIT = 10;
  private static final int WAITERS = 10_000;
  private static final String PINNED = "jdk.VirtualThreadPinned";

  private static final CountDownLatch PROBE_ENTERED = new CountDownLatch(1);
  private static final CountDownLatch PROBE_RELEASE = new CountDownLatch(1);
  /** {@code Executors.newVirtualThreadPerTaskExecutor()}, or null on a JDK without it. */
  private static final MethodHandle NEW_VIRTUAL_THREAD_EXECUTOR = findVirtualThreadExecutor();

  private final HolderGauge gauge = new HolderGauge();
  private final ConcurrentLinkedQueue<RecordedEvent> pinned = new ConcurrentLinkedQueue<>();
  private final AtomicInteger markersSeen = new AtomicInteger();
  private RecordingStream recording;
  private HostRegulator regulator;

  /** Committed last, so that seeing it in the stream proves every earlier event was read. */
  @Name(Marker.NAME)
  @Label("Test marker")
  static final class Marker extends Event {
    static final String NAME = "io.regulator.tests.Marker";
  }

  @BeforeEach
  void setUp() throws Exception {
    assumeTrue(NEW_VIRTUAL_THREAD_EXECUTOR != null, "virtual threads need JDK 21+; this is JDK "
        + Runtime.version().feature() + ", so scenario 15 is skipped here");
    warmUp();
    recording = new RecordingStream();
    recording.enable(PINNED).withThreshold(Duration.ZERO).withStackTrace();
    recording.enable(Marker.class);
    // Our own JFR event is off here: JFR's event writer keeps a virtual thread on its carrier while
    // it writes a string field of 16 to 128 chars into its (synchronized) string pool, so committing
    // SlotWait events from 10,000 waiters can pin in the JDK's code, not ours. docs/observability.md
    // says so; this test is about the regulator's wait path.
    recording.disable("io.regulator.SlotWait");
    recording.onEvent(PINNED, pinned::add);
    recording.onEvent(Marker.NAME, event -> markersSeen.incrementAndGet());
    recording.startAsync();
    // Build with the defaults: the finite default acquire timeout is part of what is tested.
    regulator = HostRegulators.builder().defaultLimit(LIMIT).build();
  }

  /**
   * Runs the regulator's waiting path once on platform threads, so that its classes are
   * initialized before the recording starts. Virtual threads that meet a class while another
   * thread initializes it wait on its init lock pinned: a one-time cost of the JVM's, not
   * something the regulator does, and not what this test looks for.
   */
  private static void warmUp() throws Exception {
    try (HostRegulator warm = HostRegulators.builder().defaultLimit(1).build();
        RegulatedPool pool = warm.newPool("warm-up")) {
      Slot held = pool.acquire(HOST);
      ExecutorService thread = Executors.newSingleThreadExecutor();
      try {
        Future<Slot> waiter = thread.submit(() -> pool.acquire(HOST));
        soon().until(() -> warm.waiting(HOST) == 1);
        held.release();
        waiter.get(10, TimeUnit.SECONDS).release();
      } finally {
        thread.shutdownNow();
      }
    }
    // The test's own gauge too: its first use spins up a lambda class under the loader's lock.
    HolderGauge gauge = new HolderGauge();
    gauge.enter();
    gauge.exit();
  }

  @AfterEach
  void tearDown() {
    if (regulator != null) {
      regulator.close();
    }
    if (recording != null) {
      recording.close();
    }
  }

  @Test
  void tenThousandVirtualThreadsOnOneHost_areAllServedWithoutPinning() throws Exception {
    RegulatedPool gate = regulator.newPool("gate");
    List<Slot> held = new ArrayList<>();
    for (int i = 0; i < LIMIT; i++) {
      held.add(gate.tryAcquire(HOST).orElseThrow());
    }
    RegulatedPool pool = regulator.newPool("virtual");
    AtomicInteger served = new AtomicInteger();
    List<Future<?>> waiters = new ArrayList<>(WAITERS);
    ExecutorService executor = virtualThreadExecutor();
    try {
      for (int i = 0; i < WAITERS; i++) {
        waiters.add(executor.submit(() -> {
          Slot slot = pool.acquire(HOST); // the default, finite timeout
          gauge.enter();
          served.incrementAndGet();
          Thread.yield(); // a virtual thread yields its carrier while holding the slot
          gauge.exit();
          slot.release();
          return null;
        }));
      }
      // All ten thousand are queued at once before a single slot frees.
      soon().until(() -> regulator.waiting(HOST) == WAITERS);

      for (Slot slot : held) {
        slot.release();
      }
      for (Future<?> waiter : waiters) {
        waiter.get(60, TimeUnit.SECONDS); // a SlotTimeoutException would surface here
      }
    } finally {
      executor.shutdownNow();
    }

    assertEquals(WAITERS, served.get());
    gate.close();
    pool.close();
    assertNoPinning();
    gauge.assertNeverAbove(LIMIT);
    Baseline.assertBackToBaseline(regulator, HOST);
  }

  /**
   * The recording does see pinning when it happens: a virtual thread that blocks inside a class
   * initializer still pins its carrier on every JDK so far. Without this, zero pinned events
   * could just mean a recording that hears nothing.
   */
  @Test
  void pinningProbe_isSeenByTheRecording() throws Exception {
    ExecutorService executor = virtualThreadExecutor();
    try {
      Future<?> probe = executor.submit(PinningProbe::touch);
      // Not through PinningProbe's own fields: touching them would wait for its initializer.
      soon().until(() -> PROBE_ENTERED.getCount() == 0);
      PROBE_RELEASE.countDown();
      probe.get(10, TimeUnit.SECONDS);
    } finally {
      executor.shutdownNow();
    }
    awaitRecordingCaughtUp();
    assertTrue(!pinned.isEmpty(), "a virtual thread parked in <clinit> is reported pinned");
  }

  /** Blocks the first thread that initializes it until the test releases it. */
  static final class PinningProbe {
    static {
      PROBE_ENTERED.countDown();
      try {
        PROBE_RELEASE.await();
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      }
    }

    static void touch() {}
  }

  private void assertNoPinning() {
    awaitRecordingCaughtUp();
    assertTrue(pinned.isEmpty(), () -> pinned.size() + " times a virtual thread pinned its carrier;"
        + " first: " + describe(pinned.peek()));
  }

  /** The event with its whole stack: the record's own toString cuts it at five frames. */
  private static String describe(RecordedEvent event) {
    StringBuilder text = new StringBuilder(event.getEventType().getName());
    for (String field : new String[] {"blockingOperation", "pinnedReason"}) {
      if (event.hasField(field)) {
        Object value = event.getValue(field);
        text.append(", ").append(field).append(" = ").append(value);
      }
    }
    if (event.getStackTrace() != null) {
      for (RecordedFrame frame : event.getStackTrace().getFrames()) {
        text.append("\n    at ").append(frame.getMethod().getType().getName()).append('.')
            .append(frame.getMethod().getName()).append(" line ").append(frame.getLineNumber());
      }
    }
    return text.toString();
  }

  private void awaitRecordingCaughtUp() {
    int before = markersSeen.get();
    new Marker().commit();
    soon().until(() -> markersSeen.get() > before);
  }

  private static MethodHandle findVirtualThreadExecutor() {
    MethodHandle factory;
    try {
      factory = MethodHandles.publicLookup().findStatic(Executors.class,
          "newVirtualThreadPerTaskExecutor", MethodType.methodType(ExecutorService.class));
    } catch (NoSuchMethodException | IllegalAccessException e) {
      return null;
    }
    try {
      ExecutorService probe = (ExecutorService) factory.invokeExact();
      probe.shutdown();
      return factory;
    } catch (UnsupportedOperationException e) {
      return null; // JDK 19 or 20 without --enable-preview
    } catch (Throwable e) {
      throw new ExceptionInInitializerError(e);
    }
  }

  private static ExecutorService virtualThreadExecutor() {
    try {
      return (ExecutorService) NEW_VIRTUAL_THREAD_EXECUTOR.invokeExact();
    } catch (Throwable e) {
      throw new AssertionError("cannot create a virtual-thread executor", e);
    }
  }
}
