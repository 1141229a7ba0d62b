package io.regulator.core.internal;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.regulator.HostKey;
import io.regulator.RegulatedPool;
import io.regulator.Slot;
import io.regulator.core.HostRegulators;
import java.time.Duration;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * A push that finds on top a slot given back with nothing below it links the new slot below
 * nothing without reading that slot ({@code FifoHostSemaphore.settledBare}); one given back with
 * held slots below it must not be taken for bare, or those slots drop off the list and a pool's
 * close no longer finds them.
 */
class SettledTopHintTest {
  private static final HostKey HOST = HostKey.of("hint.example", 443);

  private final SemaphoreRegistry regulator = (SemaphoreRegistry) HostRegulators.builder()
      .defaultLimit(8).acquireTimeout(Duration.ofSeconds(10)).build();

  @AfterEach
  void tearDown() {
    regulator.close();
  }

  @Test
  void takingAgainAfterTheOnlySlotCameBack_leavesOneSlotListed() throws Exception {
    RegulatedPool pool = regulator.newPool("p");
    FifoHostSemaphore host = regulator.table().semaphore(HOST);
    for (int i = 0; i < 100; i++) {
      pool.acquire(HOST).close();
    }
    Slot held = pool.acquire(HOST);
    assertEquals(1, host.listedSlots(), "nothing given back stays linked below the held slot");
    held.close();
    assertEquals(0, regulator.inUse(HOST));
  }

  @Test
  void aSlotGivenBackOnTopOfHeldOnes_isNotBare_soTheCloseStillReclaimsThoseBelow()
      throws Exception {
    RegulatedPool closing = regulator.newPool("closing");
    RegulatedPool other = regulator.newPool("other");
    Slot oldest = closing.acquire(HOST); // the bottom of the list
    Slot middle = other.acquire(HOST);
    other.acquire(HOST).close(); // given back on top, with two held below it
    Slot newest = closing.acquire(HOST); // pushed on that given-back top
    assertEquals(3, regulator.inUse(HOST));

    closing.close();

    assertTrue(oldest.isReleased(), "the close found the slot below the given-back top");
    assertTrue(newest.isReleased());
    assertFalse(middle.isReleased());
    assertEquals(1, regulator.inUse(HOST), "only the other pool's slot is still counted");
    middle.close();
    assertEquals(0, regulator.inUse(HOST), "back to baseline");
  }
}
