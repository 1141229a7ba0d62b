package io.regulator.core;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import io.regulator.HostKey;
import io.regulator.HostRegulator;
import org.junit.jupiter.api.Test;

/** What a closed regulator refuses, and how it says so. */
class ClosedRegulatorTest {
  private static final HostKey HOST = HostKey.of("partner.example", 443);

  @Test
  void setLimitOnAClosedRegulator_isRefusedAsNewPoolIs() {
    // Failed before: accepted silently (and lost with the regulator).
    HostRegulator regulator = HostRegulators.builder().defaultLimit(3).build();
    regulator.close();
    IllegalStateException e = assertThrows(IllegalStateException.class, () -> regulator.setLimit(HOST, 5));
    assertEquals("regulator is closed; cannot set the limit of partner.example:443 to 5", e.getMessage());
    assertEquals("regulator is closed; cannot open pool 'late'",
        assertThrows(IllegalStateException.class, () -> regulator.newPool("late")).getMessage());
  }

  @Test
  void setLimitWithABadValue_namesTheValue_evenWhenClosed() {
    HostRegulator regulator = HostRegulators.builder().build();
    regulator.close();
    assertEquals("limit < 1: 0",
        assertThrows(IllegalArgumentException.class, () -> regulator.setLimit(HOST, 0)).getMessage());
  }
}
