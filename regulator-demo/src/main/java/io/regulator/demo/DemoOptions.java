package io.regulator.demo;

import java.time.Duration;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Set;

/**
 * The demo's command line, validated as it is read. Immutable.
 *
 * @param duration how long the pools send requests
 * @param limit the host's limit, across all pools
 * @param pools which pools run: {@code jdk}, {@code classic}, {@code async}
 * @param rate429 the share of requests the server answers 429
 * @param workers concurrent requests each pool keeps going
 * @param latencyMillis the server's mean service time
 * @param shutdown the pool shut down halfway, or {@code none}
 */
record DemoOptions(Duration duration, int limit, Set<String> pools, double rate429, int workers,
    int latencyMillis, String shutdown) {
  static final List<String> KINDS = List.of("jdk", "classic", "async");

  static final String USAGE = String.join("\n",
      "usage: java -jar regulator-demo.jar [options]",
      "  --duration <seconds>   how long the pools send requests (default 12, at most 600)",
      "  --limit <n>            connections per host across all pools (default 8)",
      "  --pools <list>         which pools run, of jdk,classic,async (default all three)",
      "  --rate-429 <0..1>      share of requests the server throttles with 429 (default 0.1)",
      "  --workers <n>          concurrent requests per pool (default 12)",
      "  --latency-ms <n>       the server's mean service time (default 20)",
      "  --shutdown <pool>      the pool shut down halfway with requests in flight, or none (default classic)",
      "exit code: 0 if the cap held and every slot came back, 1 if not, 2 on bad options");

  static DemoOptions parse(String[] args) {
    Duration duration = Duration.ofSeconds(12);
    int limit = 8;
    Set<String> pools = new LinkedHashSet<>(KINDS);
    double rate429 = 0.1;
    int workers = 12;
    int latency = 20;
    String shutdown = "classic";
    for (int i = 0; i < args.length; i++) {
      String flag = args[i];
      if (flag.equals("--help") || flag.equals("-h")) {
        throw new IllegalArgumentException("");
      }
      if (i + 1 >= args.length) {
        throw new IllegalArgumentException(flag + " needs a value");
      }
      String value = args[++i];
      switch (flag) {
        case "--duration":
          long seconds = parseLong(flag, value.endsWith("s") ? value.substring(0, value.length() - 1) : value);
          if (seconds < 1 || seconds > 600) {
            throw new IllegalArgumentException("--duration outside 1..600: " + value);
          }
          duration = Duration.ofSeconds(seconds);
          break;
        case "--limit":
          limit = (int) parseLong(flag, value);
          if (limit < 1) {
            throw new IllegalArgumentException("--limit < 1: " + value);
          }
          break;
        case "--pools":
          pools = new LinkedHashSet<>();
          for (String kind : value.toLowerCase(Locale.ROOT).split(",")) {
            if (!KINDS.contains(kind.trim())) {
              throw new IllegalArgumentException("--pools: unknown pool '" + kind + "', expected jdk, classic or async");
            }
            pools.add(kind.trim());
          }
          break;
        case "--rate-429":
          try {
            rate429 = Double.parseDouble(value);
          } catch (NumberFormatException e) {
            throw new IllegalArgumentException("--rate-429 is not a number: " + value);
          }
          if (!(rate429 >= 0 && rate429 <= 1)) {
            throw new IllegalArgumentException("--rate-429 outside 0..1: " + value);
          }
          break;
        case "--workers":
          workers = (int) parseLong(flag, value);
          if (workers < 1 || workers > 1000) {
            throw new IllegalArgumentException("--workers outside 1..1000: " + value);
          }
          break;
        case "--latency-ms":
          latency = (int) parseLong(flag, value);
          if (latency < 1 || latency > 10_000) {
            throw new IllegalArgumentException("--latency-ms outside 1..10000: " + value);
          }
          break;
        case "--shutdown":
          shutdown = value.toLowerCase(Locale.ROOT);
          if (!shutdown.equals("none") && !KINDS.contains(shutdown)) {
            throw new IllegalArgumentException("--shutdown: unknown pool '" + value + "'");
          }
          break;
        default:
          throw new IllegalArgumentException("unknown option: " + flag);
      }
    }
    if (pools.isEmpty()) {
      throw new IllegalArgumentException("--pools is empty");
    }
    if (!shutdown.equals("none") && !pools.contains(shutdown)) {
      shutdown = "none";
    }
    return new DemoOptions(duration, limit, Set.copyOf(pools), rate429, workers, latency, shutdown);
  }

  private static long parseLong(String flag, String value) {
    try {
      return Long.parseLong(value.trim());
    } catch (NumberFormatException e) {
      throw new IllegalArgumentException(flag + " is not a whole number: " + value);
    }
  }
}
