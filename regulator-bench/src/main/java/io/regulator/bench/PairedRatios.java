package io.regulator.bench;

import io.regulator.HostKey;
import io.regulator.LastHostKey;
import java.net.URI;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.SplittableRandom;

/**
 * Uncontended ratios to the floor that survive a loaded machine: the contenders run in turns, in
 * blocks of a few hundred microseconds (shorter than a scheduler slice), many rounds over, and
 * each contender's figure is a low percentile of its block times. A block that lost its core to
 * another process is slow, and drops out of the percentile; neighbours in time see the same
 * machine, so their ratio holds even when the absolute figures do not.
 *
 * <p>Each contender's loop is its own class ({@link Block}'s anonymous subclasses below), so the
 * JIT sees one receiver at each call site, as in a JMH fork; only the block call itself is
 * shared. Not JMH: JMH runs one contender per fork, minutes apart.
 *
 * <p>Usage: {@code PairedRatios [rounds] [hosts]}; prints ns/op (p10 and median of blocks) and
 * the ratio of the p10 to the floor's p10.
 */
public final class PairedRatios {
  private static final int SEQUENCE = 1 << 16;
  private static final int OPS_PER_BLOCK = 10_000;

  private PairedRatios() {}

  /** One contender's measured loop. */
  abstract static class Block {
    final String name;
    final HostGate gate;
    final Object[] keys;
    final URI[] uris;
    /** An equal but distinct URI object for each of {@code uris}, with host strings of its own. */
    final URI[] twins;
    final String[] names;
    final int[] sequence;
    int next;
    long sink;

    Block(String name, Peer peer, int hosts, int[] sequence) {
      this.name = name;
      this.gate = peer.open(8);
      this.keys = HostNames.keys(gate, hosts);
      this.uris = new URI[hosts];
      this.twins = new URI[hosts];
      this.names = new String[hosts];
      for (int i = 0; i < hosts; i++) {
        names[i] = HostNames.of(i);
        uris[i] = URI.create("https://" + names[i] + "/v1/items?page=2");
        twins[i] = URI.create("https://" + names[i] + "/v1/items?page=2");
      }
      this.sequence = sequence;
    }

    /** Runs {@code ops} acquire + release pairs; returns the nanoseconds they took. */
    abstract long run(int ops) throws InterruptedException;
  }

  public static void main(String[] args) throws Exception {
    int rounds = args.length > 0 ? Integer.parseInt(args[0]) : 400;
    int hosts = args.length > 1 ? Integer.parseInt(args[1]) : 1;
    SplittableRandom random = new SplittableRandom(42);
    int[] sequence = new int[SEQUENCE];
    for (int i = 0; i < SEQUENCE; i++) {
      sequence[i] = random.nextInt(hosts);
    }
    List<Block> blocks = blocks(hosts, sequence);
    for (Block block : blocks) { // every host known before measuring, as in UncontendedBenchmark
      for (Object key : block.keys) {
        block.gate.release(key, block.gate.acquire(key));
      }
    }
    long[][] times = new long[blocks.size()][rounds];
    for (int round = -rounds / 4; round < rounds; round++) { // the first quarter warms up
      for (int b = 0; b < blocks.size(); b++) {
        long took = blocks.get(b).run(OPS_PER_BLOCK);
        if (round >= 0) {
          times[b][round] = took;
        }
      }
    }
    System.out.printf(Locale.ROOT, "PairedRatios: %d hosts, %d rounds of %d ops, %s%n", hosts,
        rounds, OPS_PER_BLOCK, System.getProperty("java.vm.version"));
    double floor = 0;
    for (int b = 0; b < blocks.size(); b++) {
      long[] sorted = times[b].clone();
      Arrays.sort(sorted);
      double p10 = (double) sorted[rounds / 10] / OPS_PER_BLOCK;
      double median = (double) sorted[rounds / 2] / OPS_PER_BLOCK;
      if (b == 0) {
        floor = p10;
      }
      System.out.printf(Locale.ROOT, "  %-24s p10 %7.1f ns/op  median %7.1f ns/op  ratio %5.2f%n",
          blocks.get(b).name, p10, median, p10 / floor);
    }
    for (Block block : blocks) {
      block.gate.close();
    }
  }

  private static List<Block> blocks(int hosts, int[] sequence) {
    List<Block> blocks = new ArrayList<>();
    blocks.add(new Block("floor", Peer.FLOOR, hosts, sequence) {
      @Override
      long run(int ops) throws InterruptedException {
        long start = System.nanoTime();
        for (int i = 0; i < ops; i++) {
          Object key = keys[sequence[next++ & (SEQUENCE - 1)]];
          Object permit = gate.acquire(key);
          gate.release(key, permit);
          sink += (permit == null) ? 1 : 0;
        }
        return System.nanoTime() - start;
      }
    });
    blocks.add(new Block("resilience4j", Peer.RESILIENCE4J, hosts, sequence) {
      @Override
      long run(int ops) throws InterruptedException {
        long start = System.nanoTime();
        for (int i = 0; i < ops; i++) {
          Object key = keys[sequence[next++ & (SEQUENCE - 1)]];
          Object permit = gate.acquire(key);
          gate.release(key, permit);
          sink += (permit == null) ? 1 : 0;
        }
        return System.nanoTime() - start;
      }
    });
    blocks.add(new Block("failsafe", Peer.FAILSAFE, hosts, sequence) {
      @Override
      long run(int ops) throws InterruptedException {
        long start = System.nanoTime();
        for (int i = 0; i < ops; i++) {
          Object key = keys[sequence[next++ & (SEQUENCE - 1)]];
          Object permit = gate.acquire(key);
          gate.release(key, permit);
          sink += (permit == null) ? 1 : 0;
        }
        return System.nanoTime() - start;
      }
    });
    blocks.add(new Block("regulator", Peer.REGULATOR, hosts, sequence) {
      @Override
      long run(int ops) throws InterruptedException {
        long start = System.nanoTime();
        for (int i = 0; i < ops; i++) {
          Object key = keys[sequence[next++ & (SEQUENCE - 1)]];
          Object permit = gate.acquire(key);
          gate.release(key, permit);
          sink += (permit == null) ? 1 : 0;
        }
        return System.nanoTime() - start;
      }
    });
    blocks.add(new Block("regulator-uri", Peer.REGULATOR, hosts, sequence) {
      @Override
      long run(int ops) throws InterruptedException {
        long start = System.nanoTime();
        for (int i = 0; i < ops; i++) {
          Object key = HostKey.of(uris[sequence[next++ & (SEQUENCE - 1)]]);
          Object permit = gate.acquire(key);
          gate.release(key, permit);
          sink += (permit == null) ? 1 : 0;
        }
        return System.nanoTime() - start;
      }
    });
    // As the integrations run it: the request's URI through the client's one LastHostKey, which
    // hits while requests keep to one host and builds the key (HostKey.of) when they change.
    LastHostKey lastKey = new LastHostKey();
    blocks.add(new Block("regulator-lastkey", Peer.REGULATOR, hosts, sequence) {
      @Override
      long run(int ops) throws InterruptedException {
        long start = System.nanoTime();
        for (int i = 0; i < ops; i++) {
          Object key = lastKey.of(uris[sequence[next++ & (SEQUENCE - 1)]]);
          Object permit = gate.acquire(key);
          gate.release(key, permit);
          sink += (permit == null) ? 1 : 0;
        }
        return System.nanoTime() - start;
      }
    });
    // The same, but no request's URI is the object of the one before (every other one is its
    // twin): a client that builds a new URI per request, so a hit compares host strings.
    LastHostKey twinKey = new LastHostKey();
    blocks.add(new Block("regulator-lastkey-new-uri", Peer.REGULATOR, hosts, sequence) {
      @Override
      long run(int ops) throws InterruptedException {
        long start = System.nanoTime();
        for (int i = 0; i < ops; i++) {
          int host = sequence[next++ & (SEQUENCE - 1)];
          Object key = twinKey.of(((next & 1) == 0) ? uris[host] : twins[host]);
          Object permit = gate.acquire(key);
          gate.release(key, permit);
          sink += (permit == null) ? 1 : 0;
        }
        return System.nanoTime() - start;
      }
    });
    blocks.add(new Block("regulator-host", Peer.REGULATOR, hosts, sequence) {
      @Override
      long run(int ops) throws InterruptedException {
        long start = System.nanoTime();
        for (int i = 0; i < ops; i++) {
          Object key = HostKey.of(names[sequence[next++ & (SEQUENCE - 1)]], 443);
          Object permit = gate.acquire(key);
          gate.release(key, permit);
          sink += (permit == null) ? 1 : 0;
        }
        return System.nanoTime() - start;
      }
    });
    return blocks;
  }
}
