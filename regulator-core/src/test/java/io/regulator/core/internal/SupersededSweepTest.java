package io.regulator.core.internal;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;

import io.regulator.HostKey;
import io.regulator.RegulatedPool;
import io.regulator.Slot;
import io.regulator.core.HostRegulators;
import io.regulator.core.VirtualThreads;
import java.time.Duration;
import java.util.concurrent.ScheduledThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

/**
 * A waiter whose deadline is earlier than the armed sweep's arms its own and takes the old one off
 * the regulator's timer, so that mixed timeouts do not pile up tasks that wait out their deadlines.
 */
@Tag("virtual-threads")
class SupersededSweepTest {
  private static final HostKey HOST = HostKey.of("superseded.example", 443);

  private final SemaphoreRegistry regulator = (SemaphoreRegistry) HostRegulators.builder()
      .defaultLimit(1).build();

  @AfterEach
  void tearDown() {
    regulator.close();
  }

  private Thread waiter(RegulatedPool pool, Duration timeout) {
    int before = regulator.waiting(HOST);
    Thread thread = VirtualThreads.unstarted(() -> {
      try {
        pool.acquire(HOST, timeout).close();
      } catch (Exception expected) {
        // failed by the pool's close at the end of the test
      }
    });
    thread.start();
    await().atMost(10, TimeUnit.SECONDS).until(() -> regulator.waiting(HOST) == before + 1);
    return thread;
  }

  @Test
  void eachEarlierDeadline_replacesTheArmedSweep_onTheTimersQueue() throws Exception {
    RegulatedPool holder = regulator.newPool("holder");
    RegulatedPool waiters = regulator.newPool("waiters");
    Slot held = holder.acquire(HOST);
    ScheduledThreadPoolExecutor timer = (ScheduledThreadPoolExecutor) regulator.timer();

    Thread first = waiter(waiters, Duration.ofSeconds(60));
    assertEquals(1, timer.getQueue().size(), "the first waiter armed one sweep");
    Thread later = waiter(waiters, Duration.ofSeconds(90));
    assertEquals(1, timer.getQueue().size(), "a later deadline is covered by it");
    Thread earlier = waiter(waiters, Duration.ofSeconds(30));
    assertEquals(1, timer.getQueue().size(), "an earlier one replaced it, and the old task left");

    waiters.close(); // fails the three waiters
    for (Thread thread : new Thread[] {first, later, earlier}) {
      thread.join(TimeUnit.SECONDS.toMillis(10));
      assertEquals(Thread.State.TERMINATED, thread.getState());
    }
    held.close();
    assertEquals(0, regulator.inUse(HOST), "back to baseline");
    assertEquals(0, regulator.waiting(HOST));
  }
}
