package io.regulator.demo;

import io.regulator.HostKey;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.OutputStreamWriter;
import java.io.PrintStream;
import java.io.Writer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Paths;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.TimeUnit;
import org.apache.curator.framework.CuratorFramework;
import org.apache.curator.framework.CuratorFrameworkFactory;
import org.apache.curator.retry.RetryNTimes;
import org.apache.curator.test.InstanceSpec;
import org.apache.curator.test.TestingServer;
import org.apache.zookeeper.KeeperException;

/**
 * The fleet mode of the demo ({@code java -jar regulator-demo.jar fleet}): an embedded ZooKeeper,
 * the demo's counting loopback server, and several node processes ({@link FleetDemoNode}), each a
 * JVM with its own fleet regulator and a JDK HttpClient pool that alone would allow more
 * connections than the whole fleet may have. One node is killed with SIGKILL halfway. A live table
 * every half second, then a verdict; the exit code is 1 if the server ever saw more requests in
 * progress than the fleet limit, the killed node's leases did not come back, or slots stayed out.
 */
public final class FleetDemo {
  private static final int TICK_MILLIS = 500;
  private static final int POLL_MILLIS = 50;
  private static final int SESSION_TIMEOUT_MS = 2000;
  private static final String PATH = "/regulator-demo";

  static final String USAGE = String.join("\n",
      "usage: java -jar regulator-demo.jar fleet [options]",
      "  --nodes <n>            node processes (default 3, 2 to 8)",
      "  --fleet-limit <n>      connections per host across the whole fleet (default 6)",
      "  --workers <n>          concurrent requests per node, each allowed locally (default 6)",
      "  --duration <seconds>   how long the nodes send requests (default 12, at most 600)",
      "  --kill <node|none>     the node killed with SIGKILL halfway (default node-2)",
      "exit code: 0 if the fleet cap held and every lease came back, 1 if not, 2 on bad options");

  private final int nodes;
  private final int fleetLimit;
  private final int workers;
  private final int seconds;
  private final String kill;
  private final PrintStream out;
  private final boolean redraw;
  private int lastTableLines;

  private FleetDemo(Map<String, String> options, PrintStream out, boolean redraw) {
    this.nodes = number(options, "--nodes", 3, 2, 8);
    this.fleetLimit = number(options, "--fleet-limit", 6, 1, 1000);
    this.workers = number(options, "--workers", 6, 1, 200);
    this.seconds = number(options, "--duration", 12, 1, 600);
    this.kill = options.getOrDefault("--kill", "node-2");
    if (!kill.equals("none") && !kill.matches("node-[1-9]")
        || !kill.equals("none") && Integer.parseInt(kill.substring(5)) > nodes) {
      throw new IllegalArgumentException("--kill: no such node: " + kill);
    }
    this.out = out;
    this.redraw = redraw;
  }

  /** Runs the fleet demo; exits 0 on a pass, 1 on a fail, 2 on bad options. */
  public static void main(String[] args) throws Exception {
    FleetDemo demo;
    try {
      demo = new FleetDemo(parse(args), System.out, System.console() != null);
    } catch (IllegalArgumentException e) {
      if (!e.getMessage().isEmpty()) {
        System.err.println(e.getMessage());
      }
      System.err.println(USAGE);
      System.exit(e.getMessage().isEmpty() ? 0 : 2);
      return;
    }
    System.exit(demo.run() ? 0 : 1);
  }

  /** Runs the fleet demo with these options and prints its table and verdict; returns the verdict. */
  static boolean run(String[] args, PrintStream out) throws Exception {
    return new FleetDemo(parse(args), out, false).run();
  }

  private static Map<String, String> parse(String[] args) {
    Map<String, String> options = new HashMap<>();
    for (int i = 0; i < args.length; i++) {
      String flag = args[i];
      if (flag.equals("--help") || flag.equals("-h")) {
        throw new IllegalArgumentException("");
      }
      if (!List.of("--nodes", "--fleet-limit", "--workers", "--duration", "--kill").contains(flag)) {
        throw new IllegalArgumentException("unknown option: " + flag);
      }
      if (i + 1 >= args.length) {
        throw new IllegalArgumentException(flag + " needs a value");
      }
      options.put(flag, args[++i]);
    }
    return options;
  }

  private static int number(Map<String, String> options, String flag, int otherwise, int min, int max) {
    String value = options.get(flag);
    if (value == null) {
      return otherwise;
    }
    int number;
    try {
      number = Integer.parseInt(value.endsWith("s") && flag.equals("--duration")
          ? value.substring(0, value.length() - 1) : value);
    } catch (NumberFormatException e) {
      throw new IllegalArgumentException(flag + " is not a whole number: " + value);
    }
    if (number < min || number > max) {
      throw new IllegalArgumentException(flag + " outside " + min + ".." + max + ": " + value);
    }
    return number;
  }

  /** A node process, its pipes and the last figures it reported. */
  private static final class Node {
    final String id;
    final Process process;
    final Writer stdin;
    volatile String[] stat = {"stat", "0", "0", "0", "0", "0", "STARTING"};
    volatile String[] last;
    volatile long killedAt;
    volatile long leasesBackAt;

    Node(String id, Process process) {
      this.id = id;
      this.process = process;
      this.stdin = new OutputStreamWriter(process.getOutputStream(), StandardCharsets.UTF_8);
      Thread reader = new Thread(() -> {
        try (BufferedReader lines = new BufferedReader(
            new InputStreamReader(process.getInputStream(), StandardCharsets.UTF_8))) {
          for (String line = lines.readLine(); line != null; line = lines.readLine()) {
            if (line.startsWith("stat ")) {
              stat = line.split(" ");
            } else if (line.startsWith("final ")) {
              last = line.split(" ");
            }
          }
        } catch (IOException e) {
          // the process died; its figures stay as they were last reported
        }
      }, id + "-reader");
      reader.setDaemon(true);
      reader.start();
    }

    long ok() {
      return Long.parseLong(((last != null) ? last : stat)[1]);
    }

    long failed() {
      return Long.parseLong(((last != null) ? last : stat)[2]);
    }
  }

  private boolean run() throws Exception {
    InstanceSpec spec = new InstanceSpec(null, -1, -1, -1, true, -1, 100, -1,
        Map.of("maxSessionTimeout", "4000"));
    List<Node> started = new ArrayList<>();
    try (TestingServer zooKeeper = new TestingServer(spec, true);
        DemoServer server = new DemoServer(0, 20);
        CuratorFramework probe = CuratorFrameworkFactory.newClient(
            zooKeeper.getConnectString(), new RetryNTimes(3, 100))) {
      probe.start();
      HostKey key = HostKey.of("127.0.0.1", server.port());
      String java = Paths.get(System.getProperty("java.home"), "bin", "java").toString();
      String classPath = System.getProperty("java.class.path");
      out.printf(Locale.ROOT, "Regulator fleet demo: %d node processes sharing %s through ZooKeeper %s, fleet limit"
              + " %d, %d requests in flight per node (each allowed locally), %d s%s%n",
          nodes, key, zooKeeper.getConnectString(), fleetLimit, workers, seconds,
          kill.equals("none") ? "" : "; " + kill + " is killed with SIGKILL halfway");
      for (int i = 1; i <= nodes; i++) {
        String id = "node-" + i;
        ProcessBuilder builder = new ProcessBuilder(java, "-Xmx96m", "-XX:TieredStopAtLevel=1", "-cp", classPath,
            FleetDemoNode.class.getName(), zooKeeper.getConnectString(), PATH, Integer.toString(server.port()), id,
            Integer.toString(workers), Integer.toString(fleetLimit), Integer.toString(SESSION_TIMEOUT_MS))
            .redirectError(ProcessBuilder.Redirect.DISCARD);
        started.add(new Node(id, builder.start()));
      }
      long start = System.nanoTime();
      long end = start + TimeUnit.SECONDS.toNanos(seconds);
      long killAt = start + TimeUnit.SECONDS.toNanos(seconds) / 2;
      Node killed = null;
      for (int step = 1; System.nanoTime() < end; step++) {
        TimeUnit.MILLISECONDS.sleep(POLL_MILLIS);
        if (killed == null && !kill.equals("none") && System.nanoTime() >= killAt) {
          killed = started.get(Integer.parseInt(kill.substring(5)) - 1);
          killed.process.destroyForcibly(); // SIGKILL on Linux: no close, no goodbye
          killed.killedAt = System.nanoTime();
        }
        if (killed != null && killed.leasesBackAt == 0 && !leases(probe, key).containsKey(killed.id)) {
          killed.leasesBackAt = System.nanoTime(); // polled often, so that the figure is close
        }
        if (step % (TICK_MILLIS / POLL_MILLIS) == 0) {
          table(server, probe, key, started, start);
        }
      }
      for (Node node : started) {
        if (node.killedAt == 0) {
          node.stdin.write("stop\n");
          node.stdin.flush();
        }
      }
      for (Node node : started) {
        node.process.waitFor(30, TimeUnit.SECONDS);
      }
      // A dead node's leases go when the servers expire its session; wait that long, and a bit.
      long deadline = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(SESSION_TIMEOUT_MS + 3000);
      // Looked at before each wait: the killed node's session may already have expired while the
      // others stopped, and its leases' return must be seen then too.
      while (true) {
        Map<String, Integer> left = leases(probe, key);
        if (killed != null && killed.leasesBackAt == 0 && !left.containsKey(killed.id)) {
          killed.leasesBackAt = System.nanoTime();
        }
        if (left.values().stream().mapToInt(Integer::intValue).sum() == 0 || System.nanoTime() >= deadline) {
          break;
        }
        TimeUnit.MILLISECONDS.sleep(POLL_MILLIS);
      }
      table(server, probe, key, started, start);
      return verdict(server, probe, key, started, killed);
    } finally {
      for (Node node : started) {
        node.process.destroyForcibly();
      }
    }
  }

  /** Lease nodes of the host in ZooKeeper, by the node id written in each. */
  private static Map<String, Integer> leases(CuratorFramework probe, HostKey key) throws Exception {
    String leases = PATH + "/hosts/" + key + "/leases";
    Map<String, Integer> byNode = new TreeMap<>();
    List<String> children;
    try {
      children = probe.getChildren().forPath(leases);
    } catch (KeeperException.NoNodeException e) {
      return byNode;
    }
    for (String child : children) {
      try {
        String owner = new String(probe.getData().forPath(leases + "/" + child), StandardCharsets.UTF_8);
        byNode.merge(owner, 1, Integer::sum);
      } catch (KeeperException.NoNodeException released) {
        // returned between the two reads
      }
    }
    return byNode;
  }

  private void table(DemoServer server, CuratorFramework probe, HostKey key, List<Node> started, long start)
      throws Exception {
    Map<String, Integer> leases = leases(probe, key);
    int total = leases.values().stream().mapToInt(Integer::intValue).sum();
    List<String> lines = new ArrayList<>();
    lines.add(String.format(Locale.ROOT, "t=%5.1fs  host %s  fleet limit %d  lease nodes in ZooKeeper %d  server:"
            + " in progress %d, highest %d", (System.nanoTime() - start) / 1e9, key, fleetLimit, total,
        server.inProgress(), server.maxInProgress()));
    lines.add(String.format(Locale.ROOT, "  %-8s %7s %7s %8s %8s %7s  %s", "node", "in use", "in ZK", "waiting",
        "ok", "failed", "state"));
    for (Node node : started) {
      int inZooKeeper = leases.getOrDefault(node.id, 0);
      String state;
      if (node.killedAt != 0) {
        state = "KILLED (SIGKILL) at t=" + String.format(Locale.ROOT, "%.1fs", (node.killedAt - start) / 1e9)
            + (node.leasesBackAt == 0
                ? ", its leases held until its session expires"
                : String.format(Locale.ROOT, ", its leases came back after %d ms",
                    (node.leasesBackAt - node.killedAt) / 1_000_000));
        lines.add(String.format(Locale.ROOT, "  %-8s %7s %7d %8s %8d %7d  %s", node.id, "-", inZooKeeper, "-",
            node.ok(), node.failed(), state));
      } else {
        String[] stat = node.stat;
        state = (node.last != null) ? "stopped" : stat[6];
        lines.add(String.format(Locale.ROOT, "  %-8s %7s %7d %8s %8d %7d  %s", node.id,
            (node.last != null) ? node.last[3] : stat[3], inZooKeeper, (node.last != null) ? "0" : stat[5],
            node.ok(), node.failed(), state));
      }
    }
    StringBuilder text = new StringBuilder();
    if (redraw && lastTableLines > 0) {
      text.append("\033[").append(lastTableLines).append('F').append("\033[J");
    }
    for (String line : lines) {
      text.append(line).append(System.lineSeparator());
    }
    out.print(text);
    out.flush();
    lastTableLines = lines.size();
  }

  private boolean verdict(DemoServer server, CuratorFramework probe, HostKey key, List<Node> started, Node killed)
      throws Exception {
    long ok = 0;
    long failed = 0;
    int slotsLeft = 0;
    List<String> why = new ArrayList<>();
    for (Node node : started) {
      ok += node.ok();
      failed += node.failed();
      if (node != killed) {
        if (node.last == null) {
          why.add(node.id + " did not stop cleanly");
        } else {
          slotsLeft += Integer.parseInt(node.last[3]);
        }
      }
    }
    int highest = server.maxInProgress();
    int leaseNodes = leases(probe, key).values().stream().mapToInt(Integer::intValue).sum();
    if (highest > fleetLimit) {
      why.add("the server saw " + highest + " requests in progress, over the fleet limit of " + fleetLimit);
    }
    if (slotsLeft != 0) {
      why.add(slotsLeft + " slots still in use when the nodes stopped");
    }
    if (leaseNodes != 0) {
      why.add(leaseNodes + " lease nodes left in ZooKeeper");
    }
    String back = "";
    if (killed != null) {
      if (killed.leasesBackAt == 0) {
        why.add("the killed node's leases did not come back");
      } else {
        long ms = (killed.leasesBackAt - killed.killedAt) / 1_000_000;
        back = String.format(Locale.ROOT, "; %s's leases back %d ms after SIGKILL (session timeout %d ms)",
            killed.id, ms, SESSION_TIMEOUT_MS);
      }
    }
    if (ok == 0) {
      why.add("no request succeeded");
    }
    boolean pass = why.isEmpty();
    out.printf(Locale.ROOT, "VERDICT: %s  highest concurrency %d of fleet limit %d across %d processes%s;"
            + " lease nodes left %d; requests ok %d, failed %d; server saw %d abandoned%s%n",
        pass ? "PASS" : "FAIL", highest, fleetLimit, started.size(), back, leaseNodes, ok, failed,
        server.abandoned(), why.isEmpty() ? "" : " -- " + String.join("; ", why));
    return pass;
  }
}
