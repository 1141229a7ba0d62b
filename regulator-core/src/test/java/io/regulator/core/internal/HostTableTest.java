package io.regulator.core.internal;

import static java.util.concurrent.TimeUnit.SECONDS;
import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertSame;

import io.regulator.HostKey;
import io.regulator.RegulatedPool;
import io.regulator.core.HostRegulators;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/** How idle hosts leave the table: after a whole GC cycle unused, whatever any one host does. */
class HostTableTest {
  private static final HostKey IDLE = HostKey.of("idle.example", 80);
  private static final HostKey STUCK = HostKey.of("stuck.example", 80);

  private final SemaphoreRegistry regulator =
      (SemaphoreRegistry) HostRegulators.builder().build();

  @AfterEach
  void tearDown() {
    regulator.close();
  }

  @Test
  void idleHost_survivesTheFirstGcAfterItsUse_andLeavesOnceAWholeCycleWentByUnused()
      throws InterruptedException {
    RegulatedPool pool = regulator.newPool("a");
    pool.acquire(IDLE).release();
    FifoHostSemaphore before = regulator.table().find(IDLE);
    assertNotNull(before);
    int identity = System.identityHashCode(before);
    before = null; // only the table may keep it now

    System.gc(); // it was used since the last sweep, so it is still retained through this one
    FifoHostSemaphore after = regulator.table().find(IDLE);
    assertNotNull(after, "a host used since the last GC is not collected at the next one");
    assertEquals(identity, System.identityHashCode(after), "the same semaphore, not a new one");
    after = null;

    await().atMost(30, SECONDS).until(() -> {
      System.gc();
      return regulator.trackedHosts() == 0;
    });
  }

  @Test
  void hostWhoseLockIsHeld_doesNotStopOtherIdleHostsFromLeaving() throws InterruptedException {
    FifoHostSemaphore stuck = regulator.table().semaphore(STUCK);
    RegulatedPool pool = regulator.newPool("a");
    pool.acquire(IDLE).release();
    stuck.lock(); // as a thread would that never gets to unlock: the reaper must not wait on it
    try {
      await().atMost(30, SECONDS).until(() -> {
        System.gc();
        return regulator.table().find(IDLE) == null;
      });
      assertSame(stuck, regulator.table().find(STUCK), "the held host stays");
    } finally {
      stuck.unlock();
    }
  }
}
