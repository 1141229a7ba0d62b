package consumer.core;

import io.regulator.HostKey;
import io.regulator.HostRegulator;
import io.regulator.RegulatedPool;
import io.regulator.Slot;
import io.regulator.core.HostRegulators;
import java.time.Duration;

public final class Main {
  public static void main(String[] args) throws Exception {
    if (ModuleLayer.boot().findModule("micrometer.core").isPresent()) {
      throw new AssertionError("micrometer.core must not be on this module path");
    }
    HostKey key = HostKey.of("partner.example", 443);
    try (HostRegulator regulator = HostRegulators.builder().defaultLimit(1).build();
        RegulatedPool pool = regulator.newPool("plain")) {
      try (Slot slot = pool.acquire(key)) {
        check(regulator.inUse(key) == 1, "inUse while held");
        check(pool.tryAcquire(key).isEmpty(), "the cap of 1 holds");
        check(pool.acquireAsync(key, Duration.ofMillis(1)).handle((s, e) -> e != null).join(), "a timed wait times out");
      }
      check(regulator.inUse(key) == 0, "inUse back to 0");
    }
    System.out.println("OK " + Main.class.getModule().getName() + " on the module path with "
        + HostRegulators.class.getModule().getName());
  }

  private static void check(boolean condition, String what) {
    if (!condition) {
      throw new AssertionError(what);
    }
  }
}
