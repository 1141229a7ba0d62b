package io.regulator.bench;

import java.lang.management.ManagementFactory;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.locks.LockSupport;
import org.openjdk.jol.info.ClassLayout;

/**
 * Memory per host entry and allocation per acquire, per peer.
 *
 * <ul>
 *   <li><b>idle B/host</b>: live heap added by hosts that were each acquired and released once
 *       and now sit idle (no slot out, no waiter). A peer that drops idle hosts shows about 0.
 *   <li><b>held B/host</b>: live heap added per host while one slot of it is held, counting what
 *       the caller holds (for us, the {@code Slot}).
 *   <li><b>waiter B</b>: live heap added per parked waiter of a full host (platform threads
 *       parked before and after, so only the queue's own cost differs).
 *   <li><b>alloc B/op</b>: bytes the thread allocates per uncontended acquire and release, from
 *       {@code ThreadMXBean}, the same figure as JMH's {@code gc.alloc.rate.norm}; <b>permit
 *       B</b> is the instance size of what acquire returns, so {@code alloc / permit} near 1
 *       means the permit is the only allocation.
 * </ul>
 *
 * <p>Run under {@code -XX:+UseSerialGC} (see {@link HeapGauge}). Usage: {@code java
 * -XX:+UseSerialGC -cp benchmarks.jar io.regulator.bench.Footprint [idleHosts] [waiterHosts]
 * [peer...]}.
 */
public final class Footprint {
  private Footprint() {}

  public static void main(String[] args) throws Exception {
    int idleHosts = args.length > 0 ? Integer.parseInt(args[0]) : 100_000;
    int waiterHosts = args.length > 1 ? Integer.parseInt(args[1]) : 1_000;
    List<Peer> peers = new ArrayList<>();
    for (int i = 2; i < args.length; i++) {
      peers.add(Peer.of(args[i]));
    }
    if (peers.isEmpty()) {
      peers.addAll(List.of(Peer.values()));
    }
    System.out.printf(
        Locale.ROOT, "# footprint, %d idle hosts, %d hosts with a waiter, JDK %s%n",
        idleHosts, waiterHosts, Runtime.version());
    System.out.printf(
        Locale.ROOT, "%-14s %12s %12s %10s %11s %9s%n",
        "peer", "idle B/host", "held B/host", "waiter B", "alloc B/op", "permit B");
    for (Peer peer : peers) {
      double idle = idleBytesPerHost(peer, idleHosts);
      double[] heldAndWaiter = heldAndWaiterBytes(peer, waiterHosts);
      double[] alloc = allocationPerOp(peer);
      System.out.printf(
          Locale.ROOT, "%-14s %12.1f %12.1f %10.1f %11.1f %9.0f%n",
          peer.name().toLowerCase(Locale.ROOT), idle, heldAndWaiter[0], heldAndWaiter[1],
          alloc[0], alloc[1]);
    }
  }

  private static double idleBytesPerHost(Peer peer, int hosts) throws InterruptedException {
    try (HostGate gate = peer.open(8)) {
      Object[] keys = HostNames.keys(gate, hosts);
      long before = HeapGauge.liveBytes();
      for (Object key : keys) {
        gate.release(key, gate.acquire(key));
      }
      long after = HeapGauge.liveBytes();
      reachabilityFence(keys);
      return (after - before) / (double) hosts;
    }
  }

  /** Returns {bytes per host with one slot held, bytes per parked waiter}. */
  private static double[] heldAndWaiterBytes(Peer peer, int hosts) throws InterruptedException {
    try (HostGate gate = peer.open(1)) {
      Object[] all = gate.distinctKeys(hosts + 1);
      // One wait on a spare host first, so that what the first wait loads or initializes once
      // (classes, JFR event types) does not count against every waiter.
      warmUpWait(gate, all[hosts]);
      Object[] keys = java.util.Arrays.copyOf(all, hosts);
      Object[] permits = new Object[hosts];
      // Parked on a plain flag, not a latch, whose queue nodes would vanish between readings.
      AtomicBoolean go = new AtomicBoolean();
      AtomicInteger entered = new AtomicInteger();
      Thread[] waiters = new Thread[hosts];
      for (int i = 0; i < hosts; i++) {
        Object key = keys[i];
        waiters[i] =
            new Thread(
                null,
                () -> {
                  while (!go.get()) {
                    LockSupport.park();
                  }
                  entered.incrementAndGet();
                  try {
                    gate.release(key, gate.acquire(key));
                  } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                  }
                },
                "waiter-" + i,
                256 * 1024);
        waiters[i].start();
      }
      awaitAllParked(waiters);
      long parkedAside = HeapGauge.liveBytes();
      for (int i = 0; i < hosts; i++) {
        permits[i] = gate.acquire(keys[i]);
      }
      long held = HeapGauge.liveBytes();
      go.set(true);
      for (Thread waiter : waiters) {
        LockSupport.unpark(waiter);
      }
      while (entered.get() < hosts) {
        Thread.onSpinWait();
      }
      awaitAllParked(waiters);
      long queued = HeapGauge.liveBytes();
      for (int i = 0; i < hosts; i++) {
        gate.release(keys[i], permits[i]);
      }
      for (Thread waiter : waiters) {
        waiter.join();
      }
      return new double[] {(held - parkedAside) / (double) hosts, (queued - held) / (double) hosts};
    }
  }

  private static void warmUpWait(HostGate gate, Object key) throws InterruptedException {
    Object held = gate.acquire(key);
    Thread waiter = new Thread(() -> {
      try {
        gate.release(key, gate.acquire(key));
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      }
    });
    waiter.start();
    awaitAllParked(new Thread[] {waiter});
    gate.release(key, held);
    waiter.join();
  }

  private static void awaitAllParked(Thread[] threads) {
    for (Thread thread : threads) {
      for (; ; ) {
        Thread.State state = thread.getState();
        if (state == Thread.State.WAITING || state == Thread.State.TIMED_WAITING) {
          break;
        }
        Thread.yield();
      }
    }
  }

  /** Returns {bytes allocated per uncontended acquire and release, instance size of the permit}. */
  private static double[] allocationPerOp(Peer peer) throws InterruptedException {
    com.sun.management.ThreadMXBean threads =
        (com.sun.management.ThreadMXBean) ManagementFactory.getThreadMXBean();
    try (HostGate gate = peer.open(8)) {
      Object key = gate.key(HostNames.of(0));
      Object permit = null;
      int ops = 2_000_000;
      for (int i = 0; i < ops; i++) { // warm-up, so escape analysis has its say
        permit = gate.acquire(key);
        gate.release(key, permit);
      }
      long self = Thread.currentThread().getId();
      long start = threads.getThreadAllocatedBytes(self);
      for (int i = 0; i < ops; i++) {
        permit = gate.acquire(key);
        gate.release(key, permit);
      }
      long allocated = threads.getThreadAllocatedBytes(self) - start;
      return new double[] {
        allocated / (double) ops, ClassLayout.parseClass(permit.getClass()).instanceSize()
      };
    }
  }

  private static void reachabilityFence(Object o) {
    java.lang.ref.Reference.reachabilityFence(o);
  }
}
