package io.regulator.demo;

import io.regulator.HostKey;
import io.regulator.core.HostRegulators;
import io.regulator.http.jdk.RegulatedHttpClient;
import io.regulator.zookeeper.FleetHostRegulator;
import io.regulator.zookeeper.FleetHostRegulators;
import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.io.PrintStream;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse.BodyHandlers;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import org.apache.curator.framework.CuratorFramework;
import org.apache.curator.framework.CuratorFrameworkFactory;
import org.apache.curator.retry.RetryNTimes;

/**
 * One node of the fleet demo, in a JVM of its own: a fleet regulator on the demo's ZooKeeper, one
 * JDK HttpClient pool on it with {@code workers} requests in flight, reporting its figures on
 * stdout every quarter second ({@code stat ok failed inUse leases waiting state}) until it reads
 * {@code stop}; then it closes everything and prints {@code final ok failed inUse}.
 *
 * <p>Arguments: connect string, fleet path, server port, node id, workers, fleet limit, session
 * timeout in ms. Started by {@link FleetDemo}, not by hand.
 */
public final class FleetDemoNode {
  private FleetDemoNode() {}

  public static void main(String[] args) throws Exception {
    String connectString = args[0];
    String path = args[1];
    int port = Integer.parseInt(args[2]);
    String nodeId = args[3];
    int workers = Integer.parseInt(args[4]);
    int fleetLimit = Integer.parseInt(args[5]);
    int sessionTimeoutMs = Integer.parseInt(args[6]);
    PrintStream out = new PrintStream(System.out, true, StandardCharsets.UTF_8);

    CuratorFramework curator = CuratorFrameworkFactory.builder()
        .connectString(connectString)
        .sessionTimeoutMs(sessionTimeoutMs)
        .connectionTimeoutMs(1000)
        .retryPolicy(new RetryNTimes(3, 100))
        .build();
    curator.start();
    if (!curator.blockUntilConnected(20, TimeUnit.SECONDS)) {
      throw new IllegalStateException("no ZooKeeper at " + connectString);
    }
    URI uri = URI.create("http://127.0.0.1:" + port + "/" + nodeId);
    HostKey key = HostKey.of(uri);
    FleetHostRegulator regulator = FleetHostRegulators.builder(curator)
        // Each node alone would allow all its workers; only the fleet limit holds them back.
        .local(HostRegulators.builder().defaultLimit(workers).build())
        .path(path)
        .nodeId(nodeId)
        .defaultFleetLimit(fleetLimit)
        .acquireTimeout(Duration.ofSeconds(10))
        .build();
    RegulatedHttpClient client =
        RegulatedHttpClient.builder(HttpClient.newHttpClient(), regulator.newPool(nodeId)).build();
    HttpRequest request = HttpRequest.newBuilder(uri).timeout(Duration.ofSeconds(10)).build();

    AtomicLong ok = new AtomicLong();
    AtomicLong failed = new AtomicLong();
    List<Thread> threads = new ArrayList<>();
    for (int i = 0; i < workers; i++) {
      Thread worker = new Thread(() -> {
        while (!Thread.currentThread().isInterrupted()) {
          try {
            int status = client.send(request, BodyHandlers.discarding()).statusCode();
            (status == 200 ? ok : failed).incrementAndGet();
          } catch (InterruptedException e) {
            return;
          } catch (Exception e) {
            failed.incrementAndGet();
          }
        }
      }, nodeId + "-worker-" + i);
      worker.setDaemon(true);
      threads.add(worker);
      worker.start();
    }
    ScheduledExecutorService reporter = Executors.newSingleThreadScheduledExecutor(r -> {
      Thread thread = new Thread(r, nodeId + "-reporter");
      thread.setDaemon(true);
      return thread;
    });
    reporter.scheduleAtFixedRate(() -> out.printf(Locale.ROOT, "stat %d %d %d %d %d %s%n", ok.get(),
        failed.get(), regulator.inUse(key), regulator.fleetLeases(key), regulator.waiting(key),
        regulator.fleetState()), 0, 250, TimeUnit.MILLISECONDS);

    BufferedReader in = new BufferedReader(new InputStreamReader(System.in, StandardCharsets.UTF_8));
    for (String line = in.readLine(); line != null && !line.equals("stop"); line = in.readLine()) {
      // only "stop" means anything
    }
    for (Thread worker : threads) {
      worker.interrupt();
    }
    for (Thread worker : threads) {
      worker.join(10_000);
    }
    reporter.shutdownNow();
    reporter.awaitTermination(5, TimeUnit.SECONDS);
    int inUse = regulator.inUse(key); // before close, which would give back any slot left
    client.close();
    regulator.close();
    curator.close();
    out.printf(Locale.ROOT, "final %d %d %d%n", ok.get(), failed.get(), inUse);
    System.exit(0);
  }
}
