package io.regulator.demo;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.Test;

/** The fleet demo end to end, shortened: three node processes, one SIGKILLed, a passing verdict. */
class FleetDemoTest {

  @Test
  void shortFleetRun_withANodeKilledHalfway_passesItsVerdict() throws Exception {
    ByteArrayOutputStream bytes = new ByteArrayOutputStream();
    boolean passed = FleetDemo.run(new String[] {"--nodes", "3", "--fleet-limit", "3", "--workers", "3",
        "--duration", "4", "--kill", "node-2"}, new PrintStream(bytes, true, StandardCharsets.UTF_8));
    String output = bytes.toString(StandardCharsets.UTF_8);
    assertTrue(passed, output);
    assertTrue(output.contains("VERDICT: PASS  highest concurrency "), output);
    assertTrue(output.contains(" of fleet limit 3 across 3 processes; node-2's leases back "), output);
    assertTrue(output.contains("KILLED (SIGKILL)"), output);
  }

  @Test
  void fleetOptions_refuseBadValuesNamingThem() {
    assertEquals("--nodes outside 2..8: 1", message("--nodes", "1"));
    assertEquals("--fleet-limit is not a whole number: many", message("--fleet-limit", "many"));
    assertEquals("--kill: no such node: node-9", message("--kill", "node-9"));
    assertEquals("unknown option: --fast", message("--fast", "1"));
  }

  private static String message(String flag, String value) {
    return assertThrows(IllegalArgumentException.class,
        () -> FleetDemo.run(new String[] {flag, value}, new PrintStream(new ByteArrayOutputStream(), true,
            StandardCharsets.UTF_8))).getMessage();
  }
}
