package consumer.micrometer;

import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.regulator.HostKey;
import io.regulator.HostRegulator;
import io.regulator.RegulatedPool;
import io.regulator.Slot;
import io.regulator.core.HostRegulators;
import io.regulator.core.RegulatorMeters;

public final class Main {
  public static void main(String[] args) throws Exception {
    SimpleMeterRegistry registry = new SimpleMeterRegistry();
    HostKey key = HostKey.of("partner.example", 443);
    try (HostRegulator regulator = HostRegulators.builder().defaultLimit(2).meterRegistry(registry).build();
        RegulatedPool pool = regulator.newPool("metered")) {
      try (Slot slot = pool.acquire(key)) {
        double limit = registry.get(RegulatorMeters.SLOTS_LIMIT).gauge().value();
        if (limit != 2) {
          throw new AssertionError(RegulatorMeters.SLOTS_LIMIT + " = " + limit);
        }
      }
    }
    System.out.println("OK " + Main.class.getModule().getName() + " metered " + registry.getMeters().size() + " meters");
  }
}
