package io.regulator.core;

import static java.util.concurrent.TimeUnit.SECONDS;
import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.regulator.HostKey;
import io.regulator.HostRegulator;
import io.regulator.RegulatedPool;
import io.regulator.Slot;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.atomic.AtomicReference;
import jdk.jfr.EventType;
import jdk.jfr.FlightRecorder;
import jdk.jfr.Recording;
import jdk.jfr.SettingDescriptor;
import jdk.jfr.consumer.RecordedEvent;
import jdk.jfr.consumer.RecordingFile;
import org.junit.jupiter.api.Test;

/** Acquires that queue show up in JFR as {@code io.regulator.SlotWait} events. */
class SlotWaitEventTest {
  private static final HostKey HOST = HostKey.of("example.com", 443);

  @Test
  void queuedAcquires_areRecordedWithHostPoolOutcomeAndDuration() throws Exception {
    Path file = Files.createTempFile("slot-waits", ".jfr");
    try (Recording recording = new Recording();
        HostRegulator regulator = HostRegulators.builder().defaultLimit(1).build()) {
      recording.enable(RegulatorMeters.SLOT_WAIT_EVENT).withThreshold(Duration.ZERO);
      recording.start();

      RegulatedPool holder = regulator.newPool("holder");
      RegulatedPool waiters = regulator.newPool("waiters");
      Slot held = holder.acquire(HOST); // free: no wait, no event
      var outcome = new AtomicReference<Object>();
      Thread waiter = new Thread(() -> {
        try {
          outcome.set(waiters.acquire(HOST, Duration.ofSeconds(30)));
        } catch (InterruptedException | RuntimeException e) {
          outcome.set(e);
        }
      });
      waiter.start();
      await().atMost(10, SECONDS).until(() -> regulator.waiting(HOST) == 1);
      held.close();
      waiter.join(10_000);
      Slot granted = (Slot) outcome.get();
      CompletableFuture<Slot> cancelled = waiters.acquireAsync(HOST, Duration.ofSeconds(30));
      cancelled.cancel(false);
      granted.close();

      recording.stop();
      recording.dump(file);
      List<RecordedEvent> events = RecordingFile.readAllEvents(file).stream()
          .filter(e -> e.getEventType().getName().equals(RegulatorMeters.SLOT_WAIT_EVENT))
          .toList();

      assertEquals(2, events.size(), events.toString());
      // A file lists events by thread buffer, not by time.
      RecordedEvent wait = events.stream()
          .filter(e -> e.getString("outcome").equals("granted")).findFirst().orElseThrow();
      assertEquals("example.com:443", wait.getString("host"));
      assertEquals("waiters", wait.getString("pool"));
      assertFalse(wait.getDuration().isNegative());
      assertEquals("Slot Wait", wait.getEventType().getLabel());
      assertEquals(List.of("Regulator"), wait.getEventType().getCategoryNames());
      assertTrue(events.stream().anyMatch(e -> e.getString("outcome").equals("cancelled")));
    } finally {
      Files.deleteIfExists(file);
    }
  }

  @Test
  void slotWaitEvent_hasATwentyMillisecondDefaultThreshold() throws Exception {
    try (Recording recording = new Recording();
        HostRegulator regulator = HostRegulators.builder().defaultLimit(1).build()) {
      recording.start(); // JFR registers the event class once one is instantiated while recording
      RegulatedPool pool = regulator.newPool("a");
      Slot held = pool.acquire(HOST);
      CompletableFuture<Slot> queued = pool.acquireAsync(HOST, Duration.ofSeconds(30));
      held.close();
      queued.join().close();
      EventType type = FlightRecorder.getFlightRecorder().getEventTypes().stream()
          .filter(t -> t.getName().equals(RegulatorMeters.SLOT_WAIT_EVENT))
          .findFirst().orElseThrow();
      String threshold = type.getSettingDescriptors().stream()
          .filter(s -> s.getName().equals("threshold"))
          .map(SettingDescriptor::getDefaultValue)
          .findFirst().orElseThrow();
      assertEquals("20 ms", threshold);
      assertTrue(type.isEnabled());
    }
  }
}
