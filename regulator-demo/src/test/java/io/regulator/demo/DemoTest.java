package io.regulator.demo;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Set;
import org.junit.jupiter.api.Test;

/** The demo end to end, shortened: three real pools, a shutdown halfway, a verdict that passes. */
class DemoTest {

  @Test
  void shortRun_withAShutdownHalfway_passesItsVerdict() throws Exception {
    ByteArrayOutputStream bytes = new ByteArrayOutputStream();
    DemoOptions options = DemoOptions.parse(new String[] {"--duration", "3", "--limit", "4", "--workers", "6",
        "--rate-429", "0.1", "--shutdown", "async"});
    boolean passed = Demo.run(options, new PrintStream(bytes, true, StandardCharsets.UTF_8));
    String output = bytes.toString(StandardCharsets.UTF_8);
    assertTrue(passed, output);
    assertTrue(output.contains("VERDICT: PASS  highest concurrency "), output);
    assertTrue(output.contains(" of limit 4; in use 0 after close (baseline 0), back to baseline"), output);
    assertTrue(output.contains("shut down"), output);
  }

  @Test
  void options_haveDefaultsThatFinishWellUnderThirtySeconds() {
    DemoOptions defaults = DemoOptions.parse(new String[0]);
    assertEquals(Duration.ofSeconds(12), defaults.duration());
    assertEquals(8, defaults.limit());
    assertEquals(Set.of("jdk", "classic", "async"), defaults.pools());
    assertEquals("classic", defaults.shutdown());
    assertEquals(0.1, defaults.rate429());
  }

  @Test
  void options_refuseBadValuesNamingThem() {
    assertEquals("--limit < 1: 0", message("--limit", "0"));
    assertEquals("--duration outside 1..600: 0", message("--duration", "0"));
    assertEquals("--rate-429 outside 0..1: 2", message("--rate-429", "2"));
    assertEquals("--pools: unknown pool 'okhttp', expected jdk, classic or async", message("--pools", "okhttp"));
    assertEquals("--workers is not a whole number: many", message("--workers", "many"));
    assertEquals("unknown option: --fast", message("--fast", "1"));
    assertEquals("--limit needs a value", assertThrows(IllegalArgumentException.class,
        () -> DemoOptions.parse(new String[] {"--limit"})).getMessage());
  }

  private static String message(String flag, String value) {
    return assertThrows(IllegalArgumentException.class, () -> DemoOptions.parse(new String[] {flag, value}))
        .getMessage();
  }
}
