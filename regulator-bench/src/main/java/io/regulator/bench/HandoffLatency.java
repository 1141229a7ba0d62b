package io.regulator.bench;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.ThreadFactory;
import java.util.concurrent.locks.LockSupport;

/**
 * Handoff latency: the time from a holder's release to the queued waiter running with the slot,
 * p50 and p99 per peer.
 *
 * <p>Not a JMH benchmark because JMH times one thread's own operation, while a handoff starts on
 * one thread and ends on another. Each round: the main thread holds the host's only slot; the
 * waiter calls acquire and parks; once its state shows it parked, the main thread reads {@code
 * System.nanoTime()} and releases; the waiter reads the clock the moment acquire returns. Rounds
 * repeat after a warm-up so the JIT has compiled both paths.
 *
 * <p>Usage: {@code java -cp benchmarks.jar io.regulator.bench.HandoffLatency [rounds] [platform|virtual]
 * [peer...]}. Virtual waiters need JDK 21 or newer and are made through reflection, since this
 * module compiles with {@code --release 17}.
 */
public final class HandoffLatency {
  /** The polling peer wakes only every 10 ms, so it gets fewer rounds to keep the run short. */
  private static final int POLLING_ROUNDS = 100;

  private final HostGate gate;
  private final Object key;
  private final long[] latencies;
  private volatile int armedRound = -1;
  private volatile long releasedAt;
  private volatile int finishedRound = -1;
  private volatile Thread main;

  private HandoffLatency(HostGate gate, int rounds) {
    this.gate = gate;
    this.key = gate.key(HostNames.of(0));
    this.latencies = new long[rounds];
  }

  public static void main(String[] args) throws Exception {
    int rounds = args.length > 0 ? Integer.parseInt(args[0]) : 20_000;
    boolean virtual = args.length > 1 && args[1].equals("virtual");
    List<String> peers = new ArrayList<>();
    for (int i = 2; i < args.length; i++) {
      peers.add(args[i]);
    }
    if (peers.isEmpty()) {
      for (Peer peer : Peer.values()) {
        peers.add(peer.name());
      }
    }
    ThreadFactory threads = virtual ? virtualThreads() : Thread::new;
    System.out.printf(
        Locale.ROOT, "# handoff latency, %s waiter, JDK %s%n", virtual ? "virtual" : "platform",
        Runtime.version());
    System.out.printf(
        Locale.ROOT, "%-14s %8s %10s %10s %10s %10s %10s%n",
        "peer", "rounds", "p50 us", "p90 us", "p99 us", "p99.9 us", "max us");
    for (String name : peers) {
      Peer peer = Peer.of(name);
      int n = peer == Peer.POLLING ? Math.min(rounds, POLLING_ROUNDS) : rounds;
      try (HostGate gate = peer.open(1)) {
        new HandoffLatency(gate, n / 10).run(threads); // warm-up, discarded
        long[] sorted = new HandoffLatency(gate, n).run(threads);
        System.out.printf(
            Locale.ROOT, "%-14s %8d %10.1f %10.1f %10.1f %10.1f %10.1f%n",
            name.toLowerCase(Locale.ROOT), n, micros(sorted, 0.50), micros(sorted, 0.90),
            micros(sorted, 0.99), micros(sorted, 0.999), sorted[sorted.length - 1] / 1e3);
      }
    }
  }

  private long[] run(ThreadFactory threads) throws InterruptedException {
    main = Thread.currentThread();
    Thread waiter = threads.newThread(this::waiterLoop);
    waiter.setDaemon(true);
    waiter.start();
    try {
      for (int round = 0; round < latencies.length; round++) {
        Object permit = gate.acquire(key);
        armedRound = round;
        awaitParked(waiter);
        releasedAt = System.nanoTime();
        gate.release(key, permit);
        while (finishedRound < round) {
          LockSupport.park(this);
        }
      }
    } finally {
      waiter.interrupt();
    }
    waiter.join();
    long[] sorted = latencies.clone();
    Arrays.sort(sorted);
    return sorted;
  }

  private void waiterLoop() {
    try {
      for (int round = 0; round < latencies.length; round++) {
        while (armedRound < round) {
          if (Thread.interrupted()) {
            return; // the main thread gave up
          }
          Thread.onSpinWait();
        }
        Object permit = gate.acquire(key);
        latencies[round] = System.nanoTime() - releasedAt;
        gate.release(key, permit);
        finishedRound = round;
        LockSupport.unpark(main);
      }
    } catch (InterruptedException e) {
      throw new IllegalStateException(e);
    }
  }

  /** Spins until the waiter is parked inside acquire, so the release really is a handoff. */
  private void awaitParked(Thread waiter) {
    for (; ; ) {
      Thread.State state = waiter.getState();
      if (state == Thread.State.WAITING || state == Thread.State.TIMED_WAITING) {
        return;
      }
      if (state == Thread.State.TERMINATED) {
        throw new IllegalStateException("waiter died");
      }
      Thread.onSpinWait();
    }
  }

  private static double micros(long[] sorted, double quantile) {
    int index = (int) Math.min(sorted.length - 1, Math.ceil(quantile * sorted.length) - 1);
    return sorted[Math.max(0, index)] / 1e3;
  }

  /** {@code Thread.ofVirtual().factory()}, reached by reflection to keep {@code --release 17}. */
  private static ThreadFactory virtualThreads() {
    try {
      Object builder = Thread.class.getMethod("ofVirtual").invoke(null);
      // Through the public interface: the builder's own class is not accessible.
      return (ThreadFactory)
          Class.forName("java.lang.Thread$Builder").getMethod("factory").invoke(builder);
    } catch (ReflectiveOperationException e) {
      throw new IllegalStateException("virtual threads need JDK 21 or newer", e);
    }
  }
}
