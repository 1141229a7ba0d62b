package io.regulator.zookeeper;

import static io.regulator.zookeeper.ZooKeeperSupport.soon;
import static java.util.concurrent.TimeUnit.SECONDS;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.OutputStreamWriter;
import java.io.Writer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.apache.curator.framework.CuratorFramework;
import org.apache.curator.test.TestingServer;
import org.apache.zookeeper.KeeperException;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * The fleet cap across real processes, not threads: three JVMs, each a {@link NodeProcess} with
 * its own ZooKeeper session, share a host's fleet limit through a ZooKeeper this test starts,
 * against one {@link CountingHttpServer}. One of them is killed with SIGKILL mid-flight.
 */
class FleetProcessesTest {
  private static final int FLEET_LIMIT = 4;
  private static final int THREADS_PER_NODE = 3;
  /** Short so that the test is fast; the server allows 200 ms to 4 s. */
  private static final int SESSION_TIMEOUT_MS = 1000;
  /** The server's tick: it expires sessions in buckets of one tick. */
  private static final int TICK_MS = 100;

  private TestingServer zooKeeper;
  private CuratorFramework probe;
  private CountingHttpServer server;
  private final String path = ZooKeeperSupport.freshPath();
  private final List<Node> nodes = new ArrayList<>();

  @BeforeEach
  void start() throws Exception {
    zooKeeper = ZooKeeperSupport.server();
    probe = ZooKeeperSupport.client(zooKeeper.getConnectString());
    server = new CountingHttpServer(20);
  }

  @AfterEach
  void stop() throws Exception {
    for (Node node : nodes) {
      node.process.destroyForcibly();
    }
    probe.close();
    zooKeeper.close();
    server.close();
  }

  @Test
  void threeProcessesShareTheFleetCap_andASigkilledNodesLeasesComeBackWithinTheSessionTimeout()
      throws Exception {
    List<Node> started = start("regulated", "a", "b", "c");
    Node a = started.get(0);
    Node b = started.get(1);
    Node c = started.get(2);
    // All three are busy: 9 callers for 4 leases.
    soon().until(() -> server.served("a") > 20 && server.served("b") > 20
        && server.served("c") > 20);
    // Mid-flight: b holds fleet leases (its id is each lease node's data) when it dies.
    soon().until(() -> leasesOf("b") > 0);
    b.process.destroyForcibly(); // SIGKILL on Linux: no shutdown hook, no close, no goodbye
    long killedAt = System.nanoTime();
    assertEquals(137, b.process.waitFor(), "128 + SIGKILL");
    soon().pollInterval(Duration.ofMillis(10)).until(() -> leasesOf("b") == 0);
    long backAfterMs = (System.nanoTime() - killedAt) / 1_000_000;
    // The servers expire a session in the first tick after its timeout; allow the probe's poll.
    assertTrue(backAfterMs <= SESSION_TIMEOUT_MS + 2 * TICK_MS + 300,
        "b's leases came back after " + backAfterMs + " ms; session timeout "
            + SESSION_TIMEOUT_MS + " ms");
    // The survivors use them: together they hold the whole fleet limit again.
    soon().until(() -> leasesOf("a") + leasesOf("c") >= FLEET_LIMIT);
    long servedB = server.served("b");
    long before = server.served("a") + server.served("c");
    soon().until(() -> server.served("a") + server.served("c") > before + 50);

    a.stop();
    c.stop();
    assertTrue(server.maxInProgress() <= FLEET_LIMIT,
        "the server saw " + server.maxInProgress() + " requests at once; fleet limit "
            + FLEET_LIMIT);
    assertEquals(FLEET_LIMIT, server.maxInProgress(), "the fleet limit was in use");
    assertEquals(0, server.inProgress());
    assertEquals(servedB, server.served("b"), "a killed node serves nothing");
    soon().until(() -> ZooKeeperSupport.leaseNodes(probe, path, NodeProcess.host(server.port()))
        == 0);
    System.out.printf("fleet processes: b's leases back %d ms after SIGKILL (session %d ms); "
        + "served a=%d b=%d c=%d, abandoned %d, max in progress %d of %d%n", backAfterMs,
        SESSION_TIMEOUT_MS, server.served("a"), servedB, server.served("c"), server.abandoned(),
        server.maxInProgress(), FLEET_LIMIT);
  }

  /** The control: the same three processes without the regulator break the cap at once. */
  @Test
  void threeProcessesWithoutTheRegulator_breakTheCap() throws Exception {
    List<Node> started = start("unregulated", "a", "b", "c");
    soon().until(() -> server.maxInProgress() > FLEET_LIMIT);
    for (Node node : started) {
      node.stop();
    }
    assertEquals(0, server.inProgress());
  }

  private int leasesOf(String nodeId) throws Exception {
    String leases = ZooKeeperSupport.leasesPath(path, NodeProcess.host(server.port()));
    int held = 0;
    List<String> children;
    try {
      children = probe.getChildren().forPath(leases);
    } catch (KeeperException.NoNodeException e) {
      return 0;
    }
    for (String child : children) {
      try {
        byte[] data = probe.getData().forPath(leases + "/" + child);
        if (nodeId.equals(new String(data, StandardCharsets.UTF_8))) {
          held++;
        }
      } catch (KeeperException.NoNodeException released) {
        // returned between the two reads
      }
    }
    return held;
  }

  /** Starts one process per node id, all at once, and waits until each says it is ready. */
  private List<Node> start(String mode, String... nodeIds) throws IOException {
    List<Node> started = new ArrayList<>();
    for (String nodeId : nodeIds) {
      Path log = Paths.get("target", "fleet-processes-" + nodeId + ".log");
      Files.createDirectories(log.getParent());
      String java = Paths.get(System.getProperty("java.home"), "bin", "java").toString();
      String classPath =
          System.getProperty("surefire.test.class.path", System.getProperty("java.class.path"));
      ProcessBuilder builder = new ProcessBuilder(java, "-Xmx128m", "-XX:TieredStopAtLevel=1",
          "-cp", classPath, NodeProcess.class.getName(), zooKeeper.getConnectString(), path,
          Integer.toString(server.port()), nodeId, Integer.toString(THREADS_PER_NODE),
          Integer.toString(SESSION_TIMEOUT_MS), Integer.toString(FLEET_LIMIT), mode)
          .redirectError(log.toFile());
      builder.environment().remove("CLASSPATH");
      Node node = new Node(nodeId, builder.start(), log);
      nodes.add(node);
      started.add(node);
    }
    for (Node node : started) {
      String first = node.stdout.readLine();
      assertEquals("ready", first,
          () -> node.id + " did not start; see " + node.log.toAbsolutePath());
    }
    return started;
  }

  /** A node process and its pipes. */
  private static final class Node {
    final String id;
    final Process process;
    final BufferedReader stdout;
    final Writer stdin;
    final Path log;

    Node(String id, Process process, Path log) {
      this.id = id;
      this.log = log;
      this.process = process;
      this.stdout = new BufferedReader(
          new InputStreamReader(process.getInputStream(), StandardCharsets.UTF_8));
      this.stdin = new OutputStreamWriter(process.getOutputStream(), StandardCharsets.UTF_8);
    }

    /** Asks the node to stop, and waits until it closed everything and exited. */
    void stop() throws Exception {
      stdin.write("stop\n");
      stdin.flush();
      String last = stdout.readLine();
      assertTrue(last != null && last.startsWith("stopped "), id + " said " + last);
      assertTrue(process.waitFor(30, SECONDS), id + " did not exit");
      assertEquals(0, process.exitValue(), id);
    }
  }
}
