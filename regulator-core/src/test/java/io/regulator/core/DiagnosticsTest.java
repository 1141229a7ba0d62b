package io.regulator.core;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;

import io.regulator.HostKey;
import io.regulator.HostRegulator;
import io.regulator.HostSnapshot;
import io.regulator.RegulatedPool;
import io.regulator.RegulatorListener;
import io.regulator.Slot;
import io.regulator.SlotTimeoutException;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;

/** What a user reads when a host is exhausted: the time-out message and the snapshot table. */
class DiagnosticsTest {
  private static final HostKey HOST = HostKey.of("example.com", 443);

  private final AtomicLong now = new AtomicLong();

  @Test
  void timeoutMessage_namesHostFiguresHoldersAndTheOldestHolderInOneLine() throws Exception {
    // A listener reads hold times, so every slot is stamped and the message gives the age.
    try (HostRegulator regulator = HostRegulators.builder().defaultLimit(3).ticker(now::get)
        .listener(new RegulatorListener() {}).asyncExecutor(Runnable::run).build()) {
      RegulatedPool small = regulator.newPool("small");
      RegulatedPool hog = regulator.newPool("hog");
      Slot oldest = hog.acquire(HOST);
      now.addAndGet(Duration.ofMillis(1000).toNanos());
      Slot second = small.acquire(HOST);
      Slot third = hog.acquire(HOST);
      CompletableFuture<Slot> queued = small.acquireAsync(HOST, Duration.ofSeconds(30));
      now.addAndGet(Duration.ofMillis(500).toNanos());

      SlotTimeoutException e = assertThrows(SlotTimeoutException.class,
          () -> regulator.newPool("victim").acquire(HOST, Duration.ZERO));
      assertEquals("no slot of example.com:443 within 0 ms: in use 3 of limit 3, 1 waiting; "
          + "held by {hog=2, small=1}, oldest by 'hog' for 1500 ms", e.getMessage());
      assertFalse(e.getMessage().contains("\n"));

      queued.cancel(false);
      oldest.close();
      second.close();
      third.close();
    }
  }

  @Test
  void timeoutMessage_withNothingReadingHoldTimes_namesTheHolders_butNoOldestOfTwoPools()
      throws Exception {
    // Unstamped slots carry no order (a host's cells are reused in no order), so of two pools
    // neither is named the oldest; a host held by one pool names it (RegulatedPoolTest).
    try (HostRegulator regulator = HostRegulators.builder().defaultLimit(2).ticker(now::get)
        .build()) {
      RegulatedPool small = regulator.newPool("small");
      RegulatedPool hog = regulator.newPool("hog");
      Slot oldest = hog.acquire(HOST);
      now.addAndGet(Duration.ofMillis(1000).toNanos());
      Slot second = small.acquire(HOST);

      SlotTimeoutException e = assertThrows(SlotTimeoutException.class,
          () -> regulator.newPool("victim").acquire(HOST, Duration.ZERO));
      assertEquals("no slot of example.com:443 within 0 ms: in use 2 of limit 2, 0 waiting; "
          + "held by {hog=1, small=1}", e.getMessage());

      oldest.close();
      second.close();
    }
  }

  @Test
  void snapshotTable_printsEveryHostWithItsHoldersBiggestFirst() throws Exception {
    try (HostRegulator regulator = HostRegulators.builder().defaultLimit(4)
        .limit(HostKey.of("limited.example", 80), 50).build()) {
      RegulatedPool billing = regulator.newPool("billing");
      RegulatedPool search = regulator.newPool("search");
      for (int i = 0; i < 3; i++) {
        billing.acquire(HOST);
      }
      search.acquire(HOST);
      CompletableFuture<Slot> queued = search.acquireAsync(HOST, Duration.ofSeconds(30));

      assertEquals(""
          + "HOST                LIMIT  IN USE  WAITING  IN USE BY POOL\n"
          + "example.com:443         4       4        1  billing=3, search=1\n"
          + "limited.example:80     50       0        0\n",
          HostSnapshot.table(regulator.snapshot()));
      queued.cancel(false);
      billing.close();
      search.close();
    }
  }
}
