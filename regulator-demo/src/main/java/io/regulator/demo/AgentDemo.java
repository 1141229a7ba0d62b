package io.regulator.demo;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

/**
 * The {@code agent} mode: forks a JVM with {@code -javaagent:<regulator-agent jar>=defaultLimit=<limit>}
 * that runs the stand-in vendor SDK ({@link AgentDemoSdk}: clients the application never builds,
 * each allowed far more connections than the limit) against the demo's counting server. A live
 * table every half second, then a verdict; the exit code is 1 if the server ever saw more than the
 * limit in progress or the slots did not all come back.
 *
 * <p>The agent jar is the shaded one in {@code regulator-agent/target} (build it with
 * {@code ./mvnw -B -q -pl regulator-demo,regulator-agent -am package -DskipTests}), or {@code --agent-jar}.
 */
public final class AgentDemo {
  static final String BUILD = "./mvnw -B -q -pl regulator-demo,regulator-agent -am package -DskipTests";
  private static final int TICK_MILLIS = 500;

  /** The mode's options: the host's limit, requests per client, the agent jar (null: look for it). */
  record Options(int limit, int requests, Path agentJar, boolean noAgent) {}

  private AgentDemo() {}

  public static void main(String[] args) throws Exception {
    Options options;
    Path jar;
    try {
      options = parse(args);
      jar = options.noAgent() ? null : locateAgentJar(options.agentJar(), Path.of("").toAbsolutePath());
    } catch (IllegalArgumentException e) {
      System.err.println(e.getMessage());
      System.err.println("usage: agent [--limit n (1..64, 4)] [--requests n (1..256, 16)] [--agent-jar path]"
          + " [--no-agent (the control: the same SDK without the agent, expected to FAIL)]");
      System.exit(2);
      return;
    }
    System.exit(run(options, jar, System.out) ? 0 : 1);
  }

  static Options parse(String[] args) {
    int limit = 4;
    int requests = 16;
    Path agentJar = null;
    boolean noAgent = false;
    for (int i = 0; i < args.length; i++) {
      String flag = args[i];
      if (flag.equals("--no-agent")) {
        noAgent = true;
        continue;
      }
      if (!flag.equals("--limit") && !flag.equals("--requests") && !flag.equals("--agent-jar")) {
        throw new IllegalArgumentException("unknown option: " + flag);
      }
      if (i + 1 >= args.length) {
        throw new IllegalArgumentException(flag + " needs a value");
      }
      String value = args[++i];
      switch (flag) {
        case "--limit" -> limit = whole(flag, value, 1, 64);
        case "--requests" -> requests = whole(flag, value, 1, 256);
        default -> agentJar = Path.of(value);
      }
    }
    return new Options(limit, requests, agentJar, noAgent);
  }

  private static int whole(String flag, String value, int min, int max) {
    int n;
    try {
      n = Integer.parseInt(value);
    } catch (NumberFormatException e) {
      throw new IllegalArgumentException(flag + " is not a whole number: " + value, e);
    }
    if (n < min || n > max) {
      throw new IllegalArgumentException(flag + " outside " + min + ".." + max + ": " + n);
    }
    return n;
  }

  /**
   * The given jar, or the shaded {@code regulator-agent-*.jar} in {@code regulator-agent/target}
   * under {@code root} (or its parent, when run from a module directory).
   */
  static Path locateAgentJar(Path given, Path root) {
    if (given != null) {
      if (!Files.isRegularFile(given)) {
        throw new IllegalArgumentException("--agent-jar: no such file: " + given);
      }
      return given;
    }
    List<Path> looked = new ArrayList<>();
    for (Path base : Stream.of(root, root.getParent()).filter(p -> p != null).toList()) {
      Path target = base.resolve("regulator-agent").resolve("target");
      looked.add(target);
      Optional<Path> jar = shadedJarIn(target);
      if (jar.isPresent()) {
        return jar.get();
      }
    }
    throw new IllegalArgumentException("no regulator-agent jar in " + looked
        + "; build it with: " + BUILD + " (or pass --agent-jar)");
  }

  private static Optional<Path> shadedJarIn(Path target) {
    if (!Files.isDirectory(target)) {
      return Optional.empty();
    }
    try (Stream<Path> files = Files.list(target)) {
      return files.filter(p -> {
        String name = p.getFileName().toString();
        return name.startsWith("regulator-agent-") && name.endsWith(".jar")
            && !name.endsWith("-sources.jar") && !name.endsWith("-javadoc.jar") && !name.endsWith("-tests.jar");
      }).sorted().findFirst();
    } catch (IOException e) {
      return Optional.empty();
    }
  }

  static boolean run(Options options, Path agentJar, PrintStream out) throws Exception {
    try (DemoServer server = new DemoServer(0.0, 50)) {
      String host = "127.0.0.1:" + server.port();
      String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
      List<String> command = new ArrayList<>(List.of(java, "-XX:TieredStopAtLevel=1"));
      if (agentJar != null) {
        command.add("-javaagent:" + agentJar.toAbsolutePath() + "=defaultLimit=" + options.limit() + ",acquireTimeout=60s");
      }
      command.addAll(List.of("-cp", System.getProperty("java.class.path"),
          AgentDemoSdk.class.getName(), Integer.toString(server.port()), Integer.toString(options.requests())));
      out.println("agent mode: " + (agentJar == null ? "NO agent (the control)" : agentJar.getFileName())
          + " on a forked JVM; the vendor SDK's clients allow " + options.requests() * 4
          + " connections each, the host's limit is " + options.limit());
      Process child = new ProcessBuilder(command).redirectErrorStream(true).start();
      child.getOutputStream().close();
      Map<String, String> facts = new ConcurrentHashMap<>();
      List<String> otherLines = new ArrayList<>();
      Thread reader = new Thread(() -> read(child, facts, otherLines, out), "agent-demo-reader");
      reader.start();
      out.printf("%-16s %6s %12s %8s  %s%n", "host", "limit", "in progress", "highest", "SDK client");
      while (!child.waitFor(TICK_MILLIS, TimeUnit.MILLISECONDS)) {
        row(out, host, facts, server);
      }
      reader.join();
      row(out, host, facts, server);
      boolean exited = child.exitValue() == 0;
      int limit = parseOr(facts.get("limit"), -1);
      int highest = server.maxInProgress();
      boolean capHeld = limit == options.limit() && highest <= limit;
      boolean allOk = facts.entrySet().stream().filter(e -> e.getKey().startsWith("ok."))
          .allMatch(e -> e.getValue().equals("true"));
      boolean baseline = "0".equals(facts.get("inUseAfterClose")) && server.inProgress() == 0;
      out.println();
      if (!exited) {
        synchronized (otherLines) {
          otherLines.forEach(line -> out.println("  child: " + line));
        }
        out.println("the SDK's JVM failed with exit code " + child.exitValue());
      }
      out.println("cap held:          " + (capHeld ? "yes" : "NO") + " (server saw at most " + highest
          + " in progress, limit " + options.limit() + (limit == options.limit() ? "" : "; the SDK's JVM saw "
          + (limit < 0 ? "none" : limit) + ": no agent?") + ")");
      out.println("every request ok:  " + (allOk && exited ? "yes" : "NO"));
      out.println("back to baseline:  " + (baseline ? "yes" : "NO") + " (in use after the SDK closed: "
          + facts.getOrDefault("inUseAfterClose", "?") + ", server in progress: " + server.inProgress() + ")");
      boolean pass = exited && capHeld && allOk && baseline;
      out.println(pass ? "PASS" : "FAIL");
      return pass;
    }
  }

  private static void read(Process child, Map<String, String> facts, List<String> otherLines, PrintStream out) {
    try (BufferedReader in = new BufferedReader(new InputStreamReader(child.getInputStream(), StandardCharsets.UTF_8))) {
      String line;
      while ((line = in.readLine()) != null) {
        int eq = line.indexOf('=');
        int agentLine = line.indexOf("regulator-agent: ");
        if (agentLine >= 0) {
          out.println(line.substring(agentLine));  // the agent's start line: what it instrumented
        } else if (eq > 0 && line.indexOf(' ') < 0 && line.indexOf(':') < 0) {
          facts.put(line.substring(0, eq), line.substring(eq + 1));
        } else {
          synchronized (otherLines) {
            otherLines.add(line);
          }
        }
      }
    } catch (IOException e) {
      synchronized (otherLines) {
        otherLines.add("reading the child's output failed: " + e);
      }
    }
  }

  private static void row(PrintStream out, String host, Map<String, String> facts, DemoServer server) {
    Map<String, String> shown = new LinkedHashMap<>();
    shown.put("limit", facts.getOrDefault("limit", "-"));
    out.printf("%-16s %6s %12d %8d  %s%n", host, shown.get("limit"), server.inProgress(), server.maxInProgress(),
        facts.containsKey("inUseAfterClose") ? "(closed)" : facts.getOrDefault("running", "(starting)"));
  }

  private static int parseOr(String value, int fallback) {
    try {
      return value == null ? fallback : Integer.parseInt(value);
    } catch (NumberFormatException e) {
      return fallback;
    }
  }
}
