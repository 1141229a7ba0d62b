package io.regulator.core.internal;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.regulator.HostKey;
import io.regulator.RegulatedPool;
import io.regulator.Slot;
import io.regulator.core.HostRegulators;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * A release frees its cell, then drains; a limit lowered in between may find that cell already
 * free, see no occupied cell at or above the new limit, and clear {@code OVER}. The late drain must
 * then not hand its own cell, now above the limit, to a waiter: that would put more slots out
 * than the lowered limit. The interleaving is forced here by freeing the cells as the releases'
 * CASes do and running their drain after the limit moved. (Before the fix, an adaptive limit's
 * cuts let 8.7% to 10.9% of requests through to a server that answered 429, against under 2.5%.)
 */
class LoweredLimitDrainTest {
  private static final HostKey HOST = HostKey.of("lowered.example", 443);

  private final SemaphoreRegistry regulator = (SemaphoreRegistry) HostRegulators.builder()
      .defaultLimit(8).acquireTimeout(Duration.ofSeconds(30)).build();

  @AfterEach
  void tearDown() {
    regulator.close();
  }

  @Test
  void aDrainRunLateAfterTheLimitWasLowered_grantsNothingAboveTheNewLimit() throws Exception {
    RegulatedPool pool = regulator.newPool("pool");
    List<LedgerSlot> held = new ArrayList<>();
    for (int i = 0; i < 8; i++) {
      held.add((LedgerSlot) pool.acquire(HOST));
    }
    FifoHostSemaphore host = regulator.table().semaphore(HOST);
    CompletableFuture<Slot> waiter = pool.acquireAsync(HOST, Duration.ofSeconds(30));
    assertEquals(1, regulator.waiting(HOST));

    // The releases of the slots in cells 4 to 7 free their cells; their drains have not run yet.
    List<LedgerSlot> freed = new ArrayList<>();
    for (LedgerSlot slot : held) {
      if (host.positionOf(slot) >= 4) {
        assertTrue(FifoHostSemaphore.CELL.compareAndSet(slot.cells, slot.index, slot.token,
            slot.token - FifoHostSemaphore.HELD + FifoHostSemaphore.FREE));
        freed.add(slot);
      }
    }
    assertEquals(4, freed.size());
    regulator.setLimit(HOST, 4); // finds nothing at or above 4: OVER is cleared
    assertEquals(4, regulator.inUse(HOST));
    assertFalse(waiter.isDone(), "four held of a limit of four");

    for (LedgerSlot slot : freed) {
      FifoHostSemaphore.wakeAll(host.drainLocked(slot)); // each release's drain, late
    }

    assertFalse(waiter.isDone(), "a late drain granted a cell above the lowered limit");
    assertEquals(4, regulator.inUse(HOST));
    LedgerSlot stillHeld = held.stream().filter(slot -> !freed.contains(slot)).findFirst()
        .orElseThrow();
    assertTrue(stillHeld.release());
    Slot granted = waiter.get(10, TimeUnit.SECONDS); // the freed cell below the limit
    assertEquals(4, regulator.inUse(HOST));
    granted.release();
  }
}
