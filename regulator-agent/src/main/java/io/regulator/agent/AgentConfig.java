package io.regulator.agent;

import java.io.IOException;
import java.io.Reader;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.format.DateTimeParseException;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Properties;
import java.util.Set;

/**
 * The agent's options, from {@code -javaagent:regulator-agent.jar=<options>} and an optional
 * properties file ({@code config=/path/regulator.properties}; options given on the command line win).
 * Options are {@code key=value} separated by commas; a list value goes on after commas
 * ({@code clients=jdk,okhttp}). Host limits are kept as strings ({@code host:port}) and turned into
 * keys by the agent, after regulator-api is on the bootstrap class path.
 *
 * <p>Immutable; {@link #parse} validates every value and names the bad one.
 */
final class AgentConfig {
  /** The clients the agent can regulate, by option value. */
  static final List<String> CLIENTS = List.of("jdk", "apache5", "apache5-async", "apache4", "okhttp", "jetty", "reactor");

  private static final Set<String> LIST_KEYS = Set.of("clients", "exclude");
  private static final Set<String> KEYS =
      Set.of("config", "defaultLimit", "acquireTimeout", "maxWaitersPerHost", "clients", "exclude", "jmx");

  final int defaultLimit;
  /** {@code host:port} to limit, in the order given. */
  final Map<String, Integer> limits;
  final Duration acquireTimeout;
  /** -1 when unbounded (the core's default). */
  final int maxWaitersPerHost;
  final Set<String> clients;
  final List<String> exclude;
  final boolean jmx;

  private AgentConfig(Map<String, String> options) {
    this.defaultLimit = positive(options, "defaultLimit", 50);
    Map<String, Integer> hostLimits = new LinkedHashMap<>();
    for (Map.Entry<String, String> option : options.entrySet()) {
      if (option.getKey().startsWith("limit.")) {
        String host = option.getKey().substring("limit.".length());
        requireHostPort(option.getKey(), host);
        hostLimits.put(host, positive(options, option.getKey(), 0));
      }
    }
    this.limits = Collections.unmodifiableMap(hostLimits);
    this.acquireTimeout = duration(options, "acquireTimeout", Duration.ofSeconds(30));
    String waiters = options.get("maxWaitersPerHost");
    this.maxWaitersPerHost = (waiters == null) ? -1 : nonNegative("maxWaitersPerHost", waiters);
    Set<String> chosen = new LinkedHashSet<>(list(options.getOrDefault("clients", String.join(",", CLIENTS))));
    for (String client : chosen) {
      if (!CLIENTS.contains(client)) {
        throw bad("clients", String.join(",", chosen), "'" + client + "' is none of " + CLIENTS);
      }
    }
    this.clients = Collections.unmodifiableSet(chosen);
    this.exclude = List.copyOf(list(options.getOrDefault("exclude", "")));
    this.jmx = bool(options, "jmx", true);
  }

  /** Parses the agent's options (null or empty: every default). */
  static AgentConfig parse(String agentArgs) {
    Map<String, String> given = split(agentArgs);
    Map<String, String> options = new LinkedHashMap<>();
    String file = given.get("config");
    if (file != null) {
      options.putAll(load(file));
    }
    options.putAll(given);
    for (String key : options.keySet()) {
      if (!KEYS.contains(key) && !key.startsWith("limit.")) {
        throw new IllegalArgumentException("regulator-agent: unknown option '" + key + "' (known: "
            + new java.util.TreeSet<>(KEYS) + ", limit.<host>:<port>)");
      }
    }
    return new AgentConfig(options);
  }

  /** Whether the building code at {@code className} is left alone. */
  boolean excludes(String className) {
    for (String prefix : exclude) {
      if (className.startsWith(prefix)) {
        return true;
      }
    }
    return false;
  }

  @Override
  public String toString() {
    return "defaultLimit=" + defaultLimit + ", limits=" + limits + ", acquireTimeout=" + acquireTimeout
        + (maxWaitersPerHost < 0 ? "" : ", maxWaitersPerHost=" + maxWaitersPerHost)
        + (exclude.isEmpty() ? "" : ", exclude=" + exclude);
  }

  private static Map<String, String> split(String args) {
    Map<String, String> options = new LinkedHashMap<>();
    if (args == null || args.isBlank()) {
      return options;
    }
    String lastKey = null;
    for (String token : args.split(",", -1)) {
      String part = token.trim();
      int eq = part.indexOf('=');
      if (eq < 0) {
        if (lastKey == null || !LIST_KEYS.contains(lastKey)) {
          throw new IllegalArgumentException("regulator-agent: option '" + part + "' is not key=value (in '" + args + "')");
        }
        options.put(lastKey, options.get(lastKey) + "," + part);
        continue;
      }
      lastKey = part.substring(0, eq).trim();
      if (lastKey.isEmpty()) {
        throw new IllegalArgumentException("regulator-agent: option '" + part + "' has no key (in '" + args + "')");
      }
      options.put(lastKey, part.substring(eq + 1).trim());
    }
    return options;
  }

  private static Map<String, String> load(String file) {
    Properties properties = new Properties();
    try (Reader in = Files.newBufferedReader(Path.of(file))) {
      properties.load(in);
    } catch (IOException | RuntimeException e) {
      throw bad("config", file, "cannot read it: " + e);
    }
    Map<String, String> options = new LinkedHashMap<>();
    for (String key : properties.stringPropertyNames()) {
      if (key.equals("config")) {
        throw bad("config", file, "a config file cannot name another");
      }
      String value = properties.getProperty(key).trim();
      int eq = value.indexOf('=');
      if (key.startsWith("limit.") && key.indexOf(':') < 0 && eq > 0) {
        // Properties split "limit.api.example.com:443=5" at the colon: join it back.
        options.put(key + ":" + value.substring(0, eq).trim(), value.substring(eq + 1).trim());
      } else {
        options.put(key, value);
      }
    }
    return options;
  }

  private static int positive(Map<String, String> options, String key, int otherwise) {
    String value = options.get(key);
    if (value == null) {
      return otherwise;
    }
    int n = integer(key, value);
    if (n < 1) {
      throw bad(key, value, "must be at least 1");
    }
    return n;
  }

  private static int nonNegative(String key, String value) {
    int n = integer(key, value);
    if (n < 0) {
      throw bad(key, value, "must be 0 or more");
    }
    return n;
  }

  private static int integer(String key, String value) {
    try {
      return Integer.parseInt(value);
    } catch (NumberFormatException e) {
      throw bad(key, value, "not a whole number");
    }
  }

  /** {@code 250ms}, {@code 5s}, {@code 2m}, or ISO-8601 ({@code PT5S}). */
  static Duration duration(Map<String, String> options, String key, Duration otherwise) {
    String value = options.get(key);
    if (value == null) {
      return otherwise;
    }
    String v = value.toLowerCase(Locale.ROOT);
    try {
      Duration d;
      if (v.startsWith("pt")) {
        d = Duration.parse(value);
      } else if (v.endsWith("ms")) {
        d = Duration.ofMillis(Long.parseLong(v.substring(0, v.length() - 2)));
      } else if (v.endsWith("s")) {
        d = Duration.ofSeconds(Long.parseLong(v.substring(0, v.length() - 1)));
      } else if (v.endsWith("m")) {
        d = Duration.ofMinutes(Long.parseLong(v.substring(0, v.length() - 1)));
      } else {
        throw bad(key, value, "needs a unit: ms, s, m (or ISO-8601 such as PT5S)");
      }
      if (d.isNegative()) {
        throw bad(key, value, "must not be negative");
      }
      return d;
    } catch (NumberFormatException | DateTimeParseException e) {
      throw bad(key, value, "not a duration such as 250ms, 5s, 2m or PT5S");
    }
  }

  private static boolean bool(Map<String, String> options, String key, boolean otherwise) {
    String value = options.get(key);
    if (value == null) {
      return otherwise;
    }
    if (value.equalsIgnoreCase("true") || value.equalsIgnoreCase("false")) {
      return Boolean.parseBoolean(value);
    }
    throw bad(key, value, "must be true or false");
  }

  private static List<String> list(String value) {
    List<String> items = new ArrayList<>();
    for (String item : value.split(",")) {
      if (!item.isBlank()) {
        items.add(item.trim());
      }
    }
    return items;
  }

  private static void requireHostPort(String key, String hostPort) {
    int colon = hostPort.lastIndexOf(':');
    if (colon <= 0 || colon == hostPort.length() - 1) {
      throw bad(key, hostPort, "needs host:port, e.g. limit.api.example.com:443=5");
    }
    try {
      Integer.parseInt(hostPort.substring(colon + 1));
    } catch (NumberFormatException e) {
      throw bad(key, hostPort, "port is not a number");
    }
  }

  private static IllegalArgumentException bad(String key, String value, String why) {
    return new IllegalArgumentException("regulator-agent: bad option " + key + "=" + value + ": " + why);
  }
}
