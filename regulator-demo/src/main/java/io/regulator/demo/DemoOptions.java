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
 * @param capacity the server's capacity (429 above it, and adaptive limits on), or 0 for none
 * @param halveCapacity whether the capacity halves at the midpoint
 */
record DemoOptions(Duration duration, int limit, Set<String> pools, double rate429, int workers,
    int latencyMillis, String shutdown, int capacity, boolean halveCapacity) {
  static final List<String> KINDS =
      List.of("jdk", "classic", "async", "apache4", "okhttp", "reactor", "jetty");

  static final String USAGE = String.join("\n",
      "usage: java -jar regulator-demo.jar [options]",
      "  --duration <seconds>   how long the pools send requests (default 12, at most 600)",
      "  --limit <n>            connections per host across all pools (default 8, 1..10000)",
      "  --pools <list>         which pools run, of jdk (JDK HttpClient), classic and async (HttpClient 5),",
      "                         apache4 (HttpClient 4.5), okhttp, reactor (Reactor Netty), jetty (default all)",
      "  --rate-429 <0..1>      share of requests the server throttles with 429 (default 0.1)",
      "  --workers <n>          concurrent requests per pool (default 12, 1..1000)",
      "  --latency-ms <n>       the server's mean service time (default 20, 1..10000)",
      "  --shutdown <pool>      the pool shut down halfway with requests in flight, or none (default classic;",
      "                         one of the --pools)",
      "  --capacity <n>         the server answers 429 with Retry-After above n requests in progress, and the",
      "                         host's limit adapts (AIMD, 1..--limit); the random 429s default to 0 (default off,",
      "                         1..10000)",
      "  --halve-capacity       the server's capacity halves at the midpoint: watch the limit column come down",
      "                         (needs --capacity)",
      "  --help                 this text",
      "every option with a value also takes the form --flag=value",
      "exit code: 0 if the cap held and every slot came back, 1 if not, 2 on bad options",
      "",
      "in the output: 'cut' counts a pool's requests that failed because the pool was shut down under them;",
      "'abandoned' counts the requests whose client closed the connection before the server answered",
      "(the shut-down pool's requests in flight, or a client that timed out). Neither breaks the cap.");

  /** Thrown by {@link #parse} for {@code --help} or {@code -h}: print {@link #USAGE} to stdout, exit 0. */
  static final class HelpRequested extends RuntimeException {
    private static final long serialVersionUID = 1L;

    HelpRequested() {
      super("help requested", null, false, false);
    }
  }

  private static final Set<String> FLAGS = Set.of(
      "--duration", "--limit", "--pools", "--rate-429", "--workers", "--latency-ms", "--shutdown",
      "--capacity", "--halve-capacity");

  /**
   * Reads {@code --flag value} and {@code --flag=value}; throws {@link HelpRequested} for {@code
   * --help}, and IllegalArgumentException naming the flag and the value for anything else wrong.
   */
  static DemoOptions parse(String[] args) {
    Duration duration = Duration.ofSeconds(12);
    int limit = 8;
    Set<String> pools = new LinkedHashSet<>(KINDS);
    double rate429 = 0.1;
    int workers = 12;
    int latency = 20;
    String shutdown = "classic";
    boolean shutdownGiven = false;
    boolean rateGiven = false;
    int capacity = 0;
    boolean halveCapacity = false;
    for (int i = 0; i < args.length; i++) {
      String arg = args[i];
      if (arg.equals("--help") || arg.equals("-h")) {
        throw new HelpRequested();
      }
      if (!arg.startsWith("--")) {
        throw new IllegalArgumentException("unexpected argument: '" + arg + "' (options are --flag value or --flag=value)");
      }
      int equals = arg.indexOf('=');
      String flag = equals < 0 ? arg : arg.substring(0, equals);
      if (!FLAGS.contains(flag)) {
        throw new IllegalArgumentException("unknown option: " + flag);
      }
      if (flag.equals("--halve-capacity")) {
        if (equals >= 0) {
          throw new IllegalArgumentException("--halve-capacity takes no value: " + arg.substring(equals + 1));
        }
        halveCapacity = true;
        continue;
      }
      String value;
      if (equals >= 0) {
        value = arg.substring(equals + 1);
      } else if (i + 1 < args.length) {
        value = args[++i];
      } else {
        throw new IllegalArgumentException(flag + " needs a value");
      }
      switch (flag) {
        case "--duration":
          duration = Duration.ofSeconds(
              inRange(flag, value.endsWith("s") ? value.substring(0, value.length() - 1) : value, 1, 600));
          break;
        case "--limit":
          limit = (int) inRange(flag, value, 1, 10_000);
          break;
        case "--pools":
          pools = new LinkedHashSet<>();
          for (String kind : value.toLowerCase(Locale.ROOT).split(",")) {
            if (!KINDS.contains(kind.trim())) {
              throw new IllegalArgumentException("--pools: unknown pool '" + kind + "', expected one of " + String.join(", ", KINDS));
            }
            pools.add(kind.trim());
          }
          break;
        case "--rate-429":
          try {
            rate429 = Double.parseDouble(value);
            rateGiven = true;
          } catch (NumberFormatException e) {
            throw new IllegalArgumentException("--rate-429 is not a number: " + value);
          }
          if (!(rate429 >= 0 && rate429 <= 1)) {
            throw new IllegalArgumentException("--rate-429 outside 0..1: " + value);
          }
          break;
        case "--workers":
          workers = (int) inRange(flag, value, 1, 1000);
          break;
        case "--latency-ms":
          latency = (int) inRange(flag, value, 1, 10_000);
          break;
        case "--capacity":
          capacity = (int) inRange(flag, value, 1, 10_000);
          break;
        default: // --shutdown
          shutdown = value.toLowerCase(Locale.ROOT);
          shutdownGiven = true;
          if (!shutdown.equals("none") && !KINDS.contains(shutdown)) {
            throw new IllegalArgumentException("--shutdown: unknown pool '" + value + "', expected one of " + String.join(", ", KINDS) + " or none");
          }
          break;
      }
    }
    if (pools.isEmpty()) {
      throw new IllegalArgumentException("--pools is empty");
    }
    if (!shutdown.equals("none") && !pools.contains(shutdown)) {
      if (shutdownGiven) {
        // Asked for explicitly, a shutdown of a pool that does not run would silently test nothing.
        throw new IllegalArgumentException("--shutdown " + shutdown + ": that pool does not run (--pools "
            + String.join(",", pools) + ")");
      }
      shutdown = "none"; // the default pool to shut down is not running: nothing is shut down
    }
    if (halveCapacity && capacity == 0) {
      throw new IllegalArgumentException("--halve-capacity needs --capacity <n>: there is no capacity to halve");
    }
    if (capacity > 0 && !rateGiven) {
      rate429 = 0; // the capacity's 429s alone, so the limit moves with the capacity and nothing else
    }
    return new DemoOptions(duration, limit, Set.copyOf(pools), rate429, workers, latency, shutdown, capacity,
        halveCapacity);
  }

  /** Parses a whole number as a long and checks its range before anyone narrows it to an int. */
  private static long inRange(String flag, String value, long min, long max) {
    long parsed;
    try {
      parsed = Long.parseLong(value.trim());
    } catch (NumberFormatException e) {
      throw new IllegalArgumentException(flag + " is not a whole number: " + value);
    }
    if (parsed < min || parsed > max) {
      throw new IllegalArgumentException(flag + " outside " + min + ".." + max + ": " + value);
    }
    return parsed;
  }
}
