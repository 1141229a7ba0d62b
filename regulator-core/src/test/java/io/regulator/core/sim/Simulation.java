package io.regulator.core.sim;

import io.regulator.DropReason;
import io.regulator.HostKey;
import io.regulator.HostRegulator;
import io.regulator.RegulatedPool;
import io.regulator.Slot;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.PriorityQueue;
import java.util.function.Function;
import java.util.function.LongSupplier;

/**
 * A discrete-event simulation on a virtual nano clock: nodes (each a real regulator built on this
 * clock) whose clients hammer one synthetic server. The server's latency grows with its
 * concurrency, and above a hidden capacity it answers 429 at once. Nothing sleeps: time jumps from
 * event to event, so a simulated minute runs in milliseconds, the same way every time.
 *
 * <p>Clients take slots with {@code tryAcquire}; one that finds none queues (FIFO) in its node and
 * tries again whenever a slot of its node is given back or the limit moves, which is what a
 * blocked {@code acquire} would see. Each attempt is reported on its slot (success with its
 * latency, or dropped), then the slot is released.
 *
 * <p>Not thread-safe: one thread runs it.
 */
public final class Simulation {
  public static final HostKey HOST = HostKey.of("partner.example", 443);
  private static final long MS = 1_000_000L;

  private long now;
  private long sequence;
  private final PriorityQueue<Event> events = new PriorityQueue<>();
  private final List<Node> nodes = new ArrayList<>();

  /** The synthetic server's hidden capacity: concurrent requests above it get 429. */
  private int capacity;
  private int inProgress;
  private int maxInProgress;
  private long served;
  private long rejected;

  public Simulation(int capacity) {
    this.capacity = capacity;
  }

  /** The simulation's clock, for the regulators' builders. */
  public LongSupplier ticker() {
    return () -> now;
  }

  public long nowNanos() {
    return now;
  }

  public void capacity(int capacity) {
    this.capacity = capacity;
  }

  /**
   * Adds a node: a regulator made by {@code regulator} from this clock, with {@code clients}
   * clients that send one request after another without pause.
   */
  public Node node(String name, Function<LongSupplier, HostRegulator> regulator, int clients) {
    Node node = new Node(name, regulator.apply(ticker()), clients);
    nodes.add(node);
    for (int i = 0; i < clients; i++) {
      schedule(now, node::attempt);
    }
    return node;
  }

  /** Runs every event up to {@code untilNanos}; calls {@code sampler} every 100 ms of it. */
  public void runUntil(long untilNanos, Runnable sampler) {
    long nextSample = now;
    while (!events.isEmpty() && events.peek().at <= untilNanos) {
      Event event = events.poll();
      while (sampler != null && nextSample <= event.at) {
        now = nextSample;
        sampler.run();
        nextSample += 100 * MS;
      }
      now = event.at;
      event.action.run();
    }
    now = untilNanos;
  }

  public void runFor(Duration duration, Runnable sampler) {
    runUntil(now + duration.toNanos(), sampler);
  }

  /** Stops every client and lets every request in flight finish. */
  public void drain() {
    for (Node node : nodes) {
      node.stopped = true;
    }
    runUntil(Long.MAX_VALUE / 2, null);
  }

  public int inProgress() {
    return inProgress;
  }

  public int maxInProgress() {
    return maxInProgress;
  }

  public long served() {
    return served;
  }

  public long rejected() {
    return rejected;
  }

  private void schedule(long at, Runnable action) {
    events.add(new Event(at, sequence++, action));
  }

  /** The server's answer time: 10 ms plus 1 ms per request in progress, itself included. */
  private long latency(int concurrency) {
    return 10 * MS + concurrency * MS;
  }

  /** One node: a regulator, its pool, and its clients. */
  public final class Node {
    public final String name;
    public final HostRegulator regulator;
    public final RegulatedPool pool;
    private final ArrayDeque<Runnable> blocked = new ArrayDeque<>();
    private boolean stopped;
    private long ok;
    private long dropped;
    private long sent;

    Node(String name, HostRegulator regulator, int clients) {
      this.name = name;
      this.regulator = regulator;
      this.pool = regulator.newPool(name);
    }

    public int limit() {
      return regulator.limit(HOST);
    }

    public long ok() {
      return ok;
    }

    public long dropped() {
      return dropped;
    }

    public long sent() {
      return sent;
    }

    void attempt() {
      if (stopped) {
        return;
      }
      if (!blocked.isEmpty()) {
        blocked.add(this::attempt); // FIFO: no barging past clients already waiting
        return;
      }
      Optional<Slot> slot = pool.tryAcquire(HOST);
      if (slot.isEmpty()) {
        blocked.add(this::attempt);
        return;
      }
      send(slot.get());
    }

    private void send(Slot slot) {
      sent++;
      long start = now;
      if (inProgress >= capacity) {
        rejected++;
        schedule(now + MS, () -> {
          dropped++;
          slot.reportDropped(DropReason.RATE_LIMITED);
          finish(slot);
        });
        return;
      }
      inProgress++;
      maxInProgress = Math.max(maxInProgress, inProgress);
      long latency = latency(inProgress);
      schedule(now + latency, () -> {
        inProgress--;
        served++;
        ok++;
        slot.reportSuccess(Duration.ofNanos(now - start));
        finish(slot);
      });
    }

    private void finish(Slot slot) {
      slot.release();
      // The client sends its next request at once; blocked clients first, in their order.
      blocked.add(this::attempt);
      unblock();
    }

    /** Lets blocked clients in while slots are free. */
    private void unblock() {
      while (!blocked.isEmpty() && !stopped) {
        Optional<Slot> slot = pool.tryAcquire(HOST);
        if (slot.isEmpty()) {
          return;
        }
        blocked.poll();
        send(slot.get());
      }
    }
  }

  private static final class Event implements Comparable<Event> {
    final long at;
    final long seq;
    final Runnable action;

    Event(long at, long seq, Runnable action) {
      this.at = at;
      this.seq = seq;
      this.action = action;
    }

    @Override
    public int compareTo(Event other) {
      int byTime = Long.compare(at, other.at);
      return (byTime != 0) ? byTime : Long.compare(seq, other.seq);
    }
  }
}
