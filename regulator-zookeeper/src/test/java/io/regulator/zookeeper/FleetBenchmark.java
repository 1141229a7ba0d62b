package io.regulator.zookeeper;

import io.regulator.HostKey;
import io.regulator.HostRegulator;
import io.regulator.RegulatedPool;
import io.regulator.Slot;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.LongAdder;
import java.util.concurrent.locks.LockSupport;
import org.apache.curator.framework.CuratorFramework;
import org.apache.curator.framework.recipes.locks.InterProcessSemaphoreV2;
import org.apache.curator.framework.recipes.locks.Lease;
import org.apache.curator.test.TestingCluster;

/**
 * Measures what the fleet tier costs against a three-server in-JVM ensemble (curator-test's
 * {@link TestingCluster}): the cost of one acquire, and the throughput of one host, with and
 * without lease handoff, beside the raw Curator semaphore and the local regulator alone. A
 * measurement, not a test: it asserts nothing and is run by hand (see docs/fleet.md).
 *
 * <p>Arguments: seconds per throughput run (default 3).
 */
public final class FleetBenchmark {
  private static final HostKey HOST = HostKey.of("partner.example", 443);
  private static final int SESSION_TIMEOUT_MS = 4000;

  private FleetBenchmark() {}

  public static void main(String[] args) throws Exception {
    long runNanos = TimeUnit.SECONDS.toNanos((args.length > 0) ? Integer.parseInt(args[0]) : 3);
    System.out.printf(Locale.ROOT, "JDK %s, %d CPUs, 3-server TestingCluster on 127.0.0.1%n",
        Runtime.version(), Runtime.getRuntime().availableProcessors());
    try (TestingCluster cluster = ZooKeeperSupport.cluster()) {
      String connect = cluster.getConnectString();
      System.out.println();
      System.out.println("## Cost of one acquire + release, one caller, no contention");
      System.out.println();
      System.out.println("| what | mean µs | p50 µs | p99 µs |");
      System.out.println("|---|---:|---:|---:|");
      rawSemaphore(connect, 300);
      sequential(connect, 300, Duration.ofMillis(100));
      localOnly(20_000);
      System.out.println();
      System.out.println("## Throughput of one host (fleet limit 8, local limit 8 per node)");
      System.out.println();
      System.out.println("| nodes × threads | hold | handoff window | acquires/s (host) "
          + "| acquires per ZooKeeper lease | mean acquire µs | slowest node's share |");
      System.out.println("|---|---|---|---:|---:|---:|---:|");
      for (int nodes : new int[] {1, 3}) {
        for (long holdMicros : new long[] {0, 1000}) {
          for (Duration window : new Duration[] {Duration.ZERO, Duration.ofMillis(100)}) {
            throughput(connect, nodes, 8, holdMicros, window, runNanos);
          }
        }
      }
    }
  }

  /** Curator's semaphore alone: what a fleet round trip on every acquire would cost. */
  private static void rawSemaphore(String connect, int rounds) throws Exception {
    try (CuratorFramework client = ZooKeeperSupport.client(connect, SESSION_TIMEOUT_MS)) {
      InterProcessSemaphoreV2 semaphore =
          new InterProcessSemaphoreV2(client, ZooKeeperSupport.freshPath(), 8);
      long[] nanos = new long[rounds];
      for (int i = -50; i < rounds; i++) {
        long start = System.nanoTime();
        Lease lease = semaphore.acquire();
        semaphore.returnLease(lease);
        if (i >= 0) {
          nanos[i] = System.nanoTime() - start;
        }
      }
      row("Curator InterProcessSemaphoreV2 acquire + returnLease", nanos);
    }
  }

  /** One caller of a fleet regulator: nobody waits, so every acquire takes a lease. */
  private static void sequential(String connect, int rounds, Duration window) throws Exception {
    try (FleetNode node = FleetNode.start("bench", connect, SESSION_TIMEOUT_MS,
        ZooKeeperSupport.freshPath(), 8, b -> b.defaultFleetLimit(8).handoffWindow(window))) {
      long[] nanos = new long[rounds];
      for (int i = -50; i < rounds; i++) {
        long start = System.nanoTime();
        Slot slot = node.pool.acquire(HOST);
        slot.release();
        if (i >= 0) {
          nanos[i] = System.nanoTime() - start;
        }
      }
      row("FleetHostRegulator acquire + release (a lease each time)", nanos);
    }
  }

  private static void localOnly(int rounds) throws InterruptedException {
    HostRegulator local = ZooKeeperSupport.local(8);
    RegulatedPool pool = local.newPool("bench");
    long[] nanos = new long[rounds];
    for (int i = -5000; i < rounds; i++) {
      long start = System.nanoTime();
      Slot slot = pool.acquire(HOST);
      slot.release();
      if (i >= 0) {
        nanos[i] = System.nanoTime() - start;
      }
    }
    local.close();
    row("local HostRegulator alone (regulator-core)", nanos);
  }

  private static void throughput(String connect, int nodeCount, int threadsPerNode,
      long holdMicros, Duration window, long runNanos) throws Exception {
    String path = ZooKeeperSupport.freshPath();
    List<FleetNode> nodes = new ArrayList<>();
    for (int n = 0; n < nodeCount; n++) {
      nodes.add(FleetNode.start("bench-" + n, connect, SESSION_TIMEOUT_MS, path, 8,
          b -> b.defaultFleetLimit(8).handoffWindow(window)));
    }
    try {
      LongAdder acquires = new LongAdder();
      LongAdder[] perNode = new LongAdder[nodeCount];
      LongAdder acquireNanos = new LongAdder();
      AtomicBoolean measuring = new AtomicBoolean();
      AtomicBoolean stop = new AtomicBoolean();
      List<Thread> threads = new ArrayList<>();
      for (int n = 0; n < nodeCount; n++) {
        FleetNode node = nodes.get(n);
        LongAdder mine = perNode[n] = new LongAdder();
        for (int t = 0; t < threadsPerNode; t++) {
          threads.add(new Thread(() -> {
            try {
              while (!stop.get()) {
                long start = System.nanoTime();
                Slot slot = node.pool.acquire(HOST);
                long took = System.nanoTime() - start;
                if (holdMicros > 0) {
                  LockSupport.parkNanos(holdMicros * 1000);
                }
                slot.release();
                if (measuring.get()) {
                  acquires.increment();
                  mine.increment();
                  acquireNanos.add(took);
                }
              }
            } catch (InterruptedException e) {
              Thread.currentThread().interrupt();
            }
          }));
        }
      }
      threads.forEach(Thread::start);
      LockSupport.parkNanos(runNanos / 3); // warm up
      long leasesBefore = leases(nodes);
      measuring.set(true);
      long start = System.nanoTime();
      LockSupport.parkNanos(runNanos);
      measuring.set(false);
      long elapsed = System.nanoTime() - start;
      long leases = leases(nodes) - leasesBefore;
      stop.set(true);
      for (Thread thread : threads) {
        thread.join();
      }
      long count = acquires.sum();
      long slowest = Arrays.stream(perNode).mapToLong(LongAdder::sum).min().orElse(0);
      System.out.printf(Locale.ROOT, "| %d × %d | %s | %d ms | %,.0f | %,.1f | %,.0f | %.0f%% |%n",
          nodeCount, threadsPerNode, (holdMicros == 0) ? "none" : holdMicros + " µs",
          window.toMillis(), count / (elapsed / 1e9), (double) count / Math.max(1, leases),
          acquireNanos.sum() / 1e3 / Math.max(1, count), 100.0 * slowest / Math.max(1, count));
    } finally {
      for (FleetNode node : nodes) {
        node.close();
      }
    }
  }

  private static long leases(List<FleetNode> nodes) {
    return nodes.stream().mapToLong(n -> n.regulator.stats().leasesAcquired()).sum();
  }

  private static void row(String what, long[] nanos) {
    long[] sorted = nanos.clone();
    Arrays.sort(sorted);
    double mean = Arrays.stream(sorted).average().orElse(0) / 1e3;
    System.out.printf(Locale.ROOT, "| %s | %,.1f | %,.1f | %,.1f |%n", what, mean,
        sorted[sorted.length / 2] / 1e3, sorted[(int) (sorted.length * 0.99)] / 1e3);
  }
}
