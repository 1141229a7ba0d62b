package io.regulator.tests;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.regulator.HostKey;
import io.regulator.HostRegulator;
import io.regulator.RegulatedPool;
import io.regulator.Slot;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;

/** The end-of-test invariants every scenario checks. Stateless and thread-safe. */
final class Baseline {
  private static final AtomicInteger PROBES = new AtomicInteger();

  private Baseline() {}

  /**
   * Nothing of {@code key} is held or awaited, and exactly {@code limit(key)} slots can be taken
   * again: a lost slot shows as fewer, a slot given back twice as more.
   */
  static void assertBackToBaseline(HostRegulator regulator, HostKey key) {
    assertEquals(0, regulator.inUse(key), () -> "slots of " + key + " still in use");
    assertEquals(0, regulator.waiting(key), () -> "callers of " + key + " still waiting");
    assertFullCapacity(regulator, key);
  }

  /** Exactly {@code limit(key)} slots of {@code key} can be taken now, and no more. */
  static void assertFullCapacity(HostRegulator regulator, HostKey key) {
    int limit = regulator.limit(key);
    try (RegulatedPool probe = regulator.newPool("baseline-probe-" + PROBES.incrementAndGet())) {
      List<Slot> taken = new ArrayList<>();
      for (int i = 0; i < limit; i++) {
        int index = i;
        taken.add(probe.tryAcquire(key).orElseThrow(() -> new AssertionError(
            "only " + index + " of the " + limit + " slots of " + key + " could be taken")));
      }
      assertTrue(probe.tryAcquire(key).isEmpty(),
          () -> "more than the limit of " + limit + " slots of " + key + " could be taken");
      for (Slot slot : taken) {
        assertTrue(slot.release(), "first release of a probe slot");
      }
    }
    assertEquals(0, regulator.inUse(key), () -> "probe slots of " + key + " not given back");
  }
}
