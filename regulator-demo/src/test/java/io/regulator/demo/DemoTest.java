package io.regulator.demo;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
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
    assertEquals(Set.of("jdk", "classic", "async", "apache4", "okhttp", "reactor", "jetty"), defaults.pools());
    assertEquals("classic", defaults.shutdown());
    assertEquals(0.1, defaults.rate429());
  }

  @Test
  void options_refuseBadValuesNamingThem() {
    assertEquals("--limit outside 1..10000: 0", message("--limit", "0"));
    assertEquals("--duration outside 1..600: 0", message("--duration", "0"));
    assertEquals("--rate-429 outside 0..1: 2", message("--rate-429", "2"));
    assertEquals("--pools: unknown pool 'curl', expected one of jdk, classic, async, apache4, okhttp, reactor, jetty",
        message("--pools", "curl"));
    assertEquals("--workers is not a whole number: many", message("--workers", "many"));
    assertEquals("unknown option: --fast", message("--fast", "1"));
    assertEquals("--shutdown: unknown pool 'curl', expected one of jdk, classic, async, apache4, okhttp, reactor, jetty"
        + " or none", message("--shutdown", "curl"));
    assertEquals("--limit needs a value", assertThrows(IllegalArgumentException.class,
        () -> DemoOptions.parse(new String[] {"--limit"})).getMessage());
  }

  @Test
  void numericOptions_areRangeCheckedAsLongs_beforeAnyNarrowing() {
    // Failed before: --limit 4294967297 ran with limit 1, 99999999999 with 1215752191 (cast to int first).
    assertEquals("--limit outside 1..10000: 4294967297", message("--limit", "4294967297"));
    assertEquals("--limit outside 1..10000: 99999999999", message("--limit", "99999999999"));
    assertEquals("--workers outside 1..1000: 4294967297", message("--workers", "4294967297"));
    assertEquals("--latency-ms outside 1..10000: 4294967297", message("--latency-ms", "4294967297"));
    assertEquals("--duration outside 1..600: 4294967297", message("--duration", "4294967297"));
    assertEquals("--limit is not a whole number: 1e3", message("--limit", "1e3"));
  }

  @Test
  void options_sayWhatIsWrong_andTakeFlagEqualsValue() {
    // Failed before: all three said "needs a value".
    assertEquals("unknown option: --bogus", message("--bogus", "x"));
    assertEquals("unexpected argument: 'stray' (options are --flag value or --flag=value)",
        assertThrows(IllegalArgumentException.class, () -> DemoOptions.parse(new String[] {"stray"})).getMessage());
    assertEquals("unknown option: --bogus", assertThrows(IllegalArgumentException.class,
        () -> DemoOptions.parse(new String[] {"--bogus=1"})).getMessage());
    DemoOptions options = DemoOptions.parse(new String[] {"--limit=4", "--pools=jdk,async", "--duration=5s", "--workers", "3"});
    assertEquals(4, options.limit());
    assertEquals(Set.of("jdk", "async"), options.pools());
    assertEquals(Duration.ofSeconds(5), options.duration());
    assertEquals(3, options.workers());
    assertEquals("--limit outside 1..10000: 0", assertThrows(IllegalArgumentException.class,
        () -> DemoOptions.parse(new String[] {"--limit=0"})).getMessage());
  }

  @Test
  void shutdownOfAPoolThatDoesNotRun_isRefused_unlessItIsTheDefault() {
    // Failed before: --shutdown jdk --pools classic silently shut nothing down.
    assertEquals("--shutdown jdk: that pool does not run (--pools classic)", assertThrows(IllegalArgumentException.class,
        () -> DemoOptions.parse(new String[] {"--shutdown", "jdk", "--pools", "classic"})).getMessage());
    assertEquals("none", DemoOptions.parse(new String[] {"--pools", "jdk"}).shutdown(), "the default 'classic' does not run");
    assertEquals("none", DemoOptions.parse(new String[] {"--pools", "jdk", "--shutdown", "none"}).shutdown());
  }

  @Test
  void help_printsUsageToStdout_andExitsZero_whileBadOptionsGoToStderrWithTwo() throws Exception {
    // Failed before: --help printed to stderr.
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    ByteArrayOutputStream err = new ByteArrayOutputStream();
    assertEquals(0, Demo.launch(new String[] {"--help"}, print(out), print(err), false));
    assertTrue(out.toString(StandardCharsets.UTF_8).startsWith("usage: java -jar regulator-demo.jar"), out.toString(StandardCharsets.UTF_8));
    assertEquals("", err.toString(StandardCharsets.UTF_8));

    out.reset();
    assertEquals(2, Demo.launch(new String[] {"--limit", "0"}, print(out), print(err), false));
    assertEquals("", out.toString(StandardCharsets.UTF_8));
    assertTrue(err.toString(StandardCharsets.UTF_8).startsWith("--limit outside 1..10000: 0"), err.toString(StandardCharsets.UTF_8));
  }

  @Test
  void usage_explainsCutAndAbandoned() {
    // Failed before: neither word was explained anywhere.
    assertTrue(DemoOptions.USAGE.contains("'cut' counts"), DemoOptions.USAGE);
    assertTrue(DemoOptions.USAGE.contains("'abandoned' counts"), DemoOptions.USAGE);
  }

  @Test
  void liveTable_keepsTicking_whileThePoolsDrainAtTheEnd_andExplainsItsColumns() throws Exception {
    // Failed before: no table between the last tick and the pools' drain (retries in their 1 to 2 s
    // Retry-After backoff), so the table stopped for seconds near the end of a short run.
    ByteArrayOutputStream bytes = new ByteArrayOutputStream();
    DemoOptions options = DemoOptions.parse(new String[] {"--duration", "2", "--limit", "2", "--workers", "4",
        "--rate-429", "0.9", "--pools", "jdk", "--shutdown", "none"});
    // Whether the verdict passes is not the point here: at 90% 429s a short run may see no 200.
    Demo.run(options, print(bytes));
    String output = bytes.toString(StandardCharsets.UTF_8);
    assertTrue(output.contains("VERDICT: "), output);
    assertTrue(output.contains("in use 0 after close (baseline 0), back to baseline"), output);
    assertTrue(output.contains("(cut: requests that failed because their pool was shut down"), output);
    Matcher tick = Pattern.compile("^t=\\s*([0-9.]+)s", Pattern.MULTILINE).matcher(output);
    double previous = 0;
    double widest = 0;
    while (tick.find()) {
      double t = Double.parseDouble(tick.group(1));
      widest = Math.max(widest, t - previous);
      previous = t;
    }
    assertTrue(previous >= 2, output);
    assertTrue(widest <= 1.5, "the table paused for " + widest + " s:\n" + output);
  }

  @Test
  void capacityOptions_parse_andDefaultTheRandom429sToZero() {
    DemoOptions off = DemoOptions.parse(new String[0]);
    assertEquals(0, off.capacity(), "no capacity by default: today's run is unchanged");
    assertFalse(off.halveCapacity());
    DemoOptions on = DemoOptions.parse(new String[] {"--capacity", "8", "--halve-capacity"});
    assertEquals(8, on.capacity());
    assertTrue(on.halveCapacity());
    assertEquals(0.0, on.rate429(), "with a capacity its 429s are the only ones unless asked for");
    DemoOptions both = DemoOptions.parse(new String[] {"--halve-capacity", "--capacity=6", "--rate-429", "0.2"});
    assertEquals(6, both.capacity());
    assertTrue(both.halveCapacity());
    assertEquals(0.2, both.rate429());
  }

  @Test
  void capacityOptions_refuseBadValuesNamingThem() {
    assertEquals("--capacity outside 1..10000: 0", message("--capacity", "0"));
    assertEquals("--capacity outside 1..10000: 4294967297", message("--capacity", "4294967297"));
    assertEquals("--capacity is not a whole number: half", message("--capacity", "half"));
    assertEquals("--capacity needs a value", assertThrows(IllegalArgumentException.class,
        () -> DemoOptions.parse(new String[] {"--capacity"})).getMessage());
    assertEquals("--halve-capacity needs --capacity <n>: there is no capacity to halve",
        assertThrows(IllegalArgumentException.class,
            () -> DemoOptions.parse(new String[] {"--halve-capacity"})).getMessage());
    assertEquals("--halve-capacity takes no value: yes", assertThrows(IllegalArgumentException.class,
        () -> DemoOptions.parse(new String[] {"--capacity", "8", "--halve-capacity=yes"})).getMessage());
    assertTrue(DemoOptions.USAGE.contains("--capacity <n>"), DemoOptions.USAGE);
    assertTrue(DemoOptions.USAGE.contains("--halve-capacity"), DemoOptions.USAGE);
  }

  @Test
  void halvedCapacity_bringsTheAdaptiveLimitDown_whileTheCapHoldsAndEverySlotComesBack() throws Exception {
    // Capacity 8 at limit 8: no 429 and the limit stays (its maximum is the configured 8). Halved
    // to 4 at 2 s, the 8 requests let in are answered 429 above 4 and AIMD cuts once per 250 ms
    // window. Only the direction is asserted: the exact limits depend on the machine's timing.
    ByteArrayOutputStream bytes = new ByteArrayOutputStream();
    DemoOptions options = DemoOptions.parse(new String[] {"--duration", "4", "--limit", "8", "--workers", "6",
        "--pools", "jdk,classic", "--shutdown", "none", "--capacity", "8", "--halve-capacity"});
    boolean passed = Demo.run(options, print(bytes));
    String output = bytes.toString(StandardCharsets.UTF_8);
    assertTrue(passed, output);
    assertTrue(output.contains("server capacity 8 (429 with Retry-After above it), halved to 4 halfway"), output);
    assertTrue(output.contains("VERDICT: PASS  highest concurrency "), output);
    assertTrue(output.contains(" of limit 8; in use 0 after close (baseline 0), back to baseline"), output);
    Matcher verdictLimit = Pattern.compile("adaptive limit 8 -> (\\d+) at its lowest").matcher(output);
    assertTrue(verdictLimit.find(), output);
    assertTrue(Integer.parseInt(verdictLimit.group(1)) < 8, output);
    assertTrue(output.contains("server capacity 8 -> 4 at t="), output);

    // The table: the limit is 8 at every tick before the halving and lower at some tick after it.
    Matcher tick = Pattern.compile("^t=\\s*([0-9.]+)s .* limit (?:8 -> )?(\\d+)  in use .*over capacity (\\d+)\\)$",
        Pattern.MULTILINE).matcher(output);
    int ticks = 0;
    int lowestAfterHalving = Integer.MAX_VALUE;
    while (tick.find()) {
      ticks++;
      int limit = Integer.parseInt(tick.group(2));
      if (tick.group(3).equals("8")) {
        assertEquals(8, limit, "the limit moved before the capacity halved:\n" + output);
      } else {
        lowestAfterHalving = Math.min(lowestAfterHalving, limit);
      }
    }
    assertTrue(ticks >= 4, output);
    assertTrue(lowestAfterHalving < 8, "the limit column did not come down after the halving:\n" + output);
  }

  private static PrintStream print(ByteArrayOutputStream bytes) {
    return new PrintStream(bytes, true, StandardCharsets.UTF_8);
  }

  private static String message(String flag, String value) {
    return assertThrows(IllegalArgumentException.class, () -> DemoOptions.parse(new String[] {flag, value}))
        .getMessage();
  }
}
