package io.regulator.bench;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/**
 * One million distinct hosts, each acquired and released once, as a crawler or a multi-tenant
 * gateway does: the time it takes and the live heap left afterwards, against the live heap
 * before (the keys themselves exist before and after, so they do not count).
 *
 * <p>Not a JMH benchmark: the retained heap needs full collections at chosen points. Run under
 * {@code -XX:+UseSerialGC} (see {@link HeapGauge}). Usage: {@code java -XX:+UseSerialGC
 * -cp benchmarks.jar io.regulator.bench.Churn [hosts] [peer...]}.
 */
public final class Churn {
  private Churn() {}

  public static void main(String[] args) throws Exception {
    int hosts = args.length > 0 ? Integer.parseInt(args[0]) : 1_000_000;
    List<Peer> peers = new ArrayList<>();
    for (int i = 1; i < args.length; i++) {
      peers.add(Peer.of(args[i]));
    }
    if (peers.isEmpty()) {
      peers.addAll(List.of(Peer.values()));
    }
    System.out.printf(Locale.ROOT, "# churn of %d distinct hosts, JDK %s%n", hosts, Runtime.version());
    System.out.printf(
        Locale.ROOT, "%-14s %10s %10s %14s %12s%n",
        "peer", "ms", "ns/host", "retained MB", "B/host");
    for (Peer peer : peers) {
      try (HostGate gate = peer.open(8)) {
        Object[] keys = HostNames.keys(gate, hosts);
        long before = HeapGauge.liveBytes();
        long start = System.nanoTime();
        for (Object key : keys) {
          gate.release(key, gate.acquire(key));
        }
        long elapsed = System.nanoTime() - start;
        long retained = HeapGauge.liveBytes() - before;
        java.lang.ref.Reference.reachabilityFence(keys);
        System.out.printf(
            Locale.ROOT, "%-14s %10.0f %10.0f %14.1f %12.1f%n",
            peer.name().toLowerCase(Locale.ROOT), elapsed / 1e6, elapsed / (double) hosts,
            retained / 1e6, retained / (double) hosts);
      }
    }
  }
}
