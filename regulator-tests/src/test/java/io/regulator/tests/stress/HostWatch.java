package io.regulator.tests.stress;

import io.regulator.HostKey;
import io.regulator.HostRegulator;
import java.util.HashSet;
import java.util.Set;
import java.util.concurrent.locks.ReentrantLock;

/**
 * What the soak knows about one host, and the bound every count of it is checked against.
 *
 * <h2>The bound</h2>
 *
 * The regulator revokes nothing when a limit shrinks, so right after a shrink more slots than the
 * new limit may legitimately be held. The exact claim is: at any instant, the slots held number no
 * more than the largest limit in force since the oldest of them was granted. {@link #ceiling} is a
 * conservative, checkable form of that bound:
 *
 * <ul>
 *   <li>A grow raises the ceiling <em>before</em> {@code setLimit}, so every grant under the new
 *       limit happens under the new ceiling.
 *   <li>A shrink leaves the ceiling where it is.
 *   <li>The ceiling falls to the limit only when, with no limit change possible (this lock), the
 *       regulator's own {@code inUse} is seen at or below the limit: from then on the regulator
 *       grants only while {@code inUse < limit}, so no count can climb above it again until the next
 *       grow.
 * </ul>
 *
 * Every count is compared with the ceiling under the same lock that changes it, so the comparison
 * is between two values of the same instant.
 *
 * <h2>The counts</h2>
 *
 * <ul>
 *   <li>{@code server}: requests the loopback server is handling for this host; a request counts
 *       from when its handler starts until it decides its answer (before a byte of the response is
 *       sent) or its client abandons it, whichever is first.
 *   <li>{@code client}: requests the soak's pools have in flight; a request counts from just after
 *       its slot was acquired until just before the slot is released, or before its pool's close
 *       takes the slot back.
 *   <li>{@code regulator}: {@code HostRegulator.inUse(key)}, sampled.
 * </ul>
 *
 * Each server span nests in a client span, which nests in the slot's lifetime: so each of the
 * three is at most the number of slots held, and must never pass the ceiling.
 *
 * <p>Thread-safe: everything under {@link #lock}.
 */
final class HostWatch {
  final HostKey key;
  private final SoakReport report;
  private final ReentrantLock lock = new ReentrantLock();

  /** The limit last set, as the regulator has it. Guarded by lock. */
  private int limit;

  /** See the class comment. Guarded by lock. */
  private int ceiling;

  /** Guarded by lock. */
  private int server;

  /** The requests in flight at the pools: their number is the client count. Guarded by lock. */
  private final Set<InFlight> client = new HashSet<>();

  /** Guarded by lock. */
  private int maxServer;

  /** Guarded by lock. */
  private int maxClient;

  /** Guarded by lock. */
  private int maxRegulator;

  HostWatch(HostKey key, int limit, SoakReport report) {
    this.key = key;
    this.limit = limit;
    this.ceiling = limit;
    this.report = report;
  }

  int limit() {
    lock.lock();
    try {
      return limit;
    } finally {
      lock.unlock();
    }
  }

  /** Sets a new limit live, moving the ceiling as the class comment says. */
  void changeLimit(HostRegulator regulator, int newLimit) {
    lock.lock();
    try {
      ceiling = Math.max(ceiling, newLimit);
      regulator.setLimit(key, newLimit);
      limit = newLimit;
      report.limitChanges.increment();
    } finally {
      lock.unlock();
    }
  }

  /** Checks the regulator's own figures of this host, and lowers the ceiling when it may. */
  void sample(HostRegulator regulator, int maxWaiters) {
    lock.lock();
    try {
      int inUse = regulator.inUse(key);
      int waiting = regulator.waiting(key);
      int regulatorLimit = regulator.limit(key);
      check(inUse, "regulator inUse");
      maxRegulator = Math.max(maxRegulator, inUse);
      report.check(inUse >= 0 && waiting >= 0,
          () -> key + ": negative figures, inUse " + inUse + ", waiting " + waiting);
      report.check(waiting <= maxWaiters,
          () -> key + ": " + waiting + " waiters, more than maxWaitersPerHost " + maxWaiters);
      report.check(regulatorLimit == limit,
          () -> key + ": regulator says limit " + regulatorLimit + ", last set " + limit);
      if (inUse <= limit) {
        ceiling = limit;
      }
    } finally {
      lock.unlock();
    }
  }

  /** Checks one host entry of a snapshot taken with every host's lock held, so no limit moved. */
  void checkSnapshot(int snapshotLimit, int inUse, int sumByPool) {
    lock.lock();
    try {
      check(inUse, "snapshot inUse");
      report.check(sumByPool == inUse,
          () -> key + ": snapshot inUse " + inUse + " but its pools add up to " + sumByPool);
      report.check(snapshotLimit == limit,
          () -> key + ": snapshot limit " + snapshotLimit + ", last set " + limit);
    } finally {
      lock.unlock();
    }
  }

  /** A request entered its server handler (called under the exchange's state change). */
  void serverStarted() {
    lock.lock();
    try {
      server++;
      maxServer = Math.max(maxServer, server);
      check(server, "requests in progress at the server");
    } finally {
      lock.unlock();
    }
  }

  void serverEnded() {
    lock.lock();
    try {
      server--;
      report.check(server >= 0, () -> key + ": server count below zero");
    } finally {
      lock.unlock();
    }
  }

  void clientStarted(InFlight request) {
    lock.lock();
    try {
      client.add(request);
      maxClient = Math.max(maxClient, client.size());
      check(client.size(), "requests in flight at the pools " + client);
    } finally {
      lock.unlock();
    }
  }

  void clientEnded(InFlight request) {
    lock.lock();
    try {
      report.check(client.remove(request), () -> key + ": ended twice or never began: " + request);
    } finally {
      lock.unlock();
    }
  }

  /** Runs {@code action} under this host's lock, so that it sees server counts stand still. */
  void locked(Runnable action) {
    lock.lock();
    try {
      action.run();
    } finally {
      lock.unlock();
    }
  }

  int server() {
    lock.lock();
    try {
      return server;
    } finally {
      lock.unlock();
    }
  }

  int client() {
    lock.lock();
    try {
      return client.size();
    } finally {
      lock.unlock();
    }
  }

  String summary() {
    lock.lock();
    try {
      return key + ": limit " + limit + ", most held at once: server " + maxServer + ", pools "
          + maxClient + ", regulator " + maxRegulator;
    } finally {
      lock.unlock();
    }
  }

  private void check(int count, String what) {
    int bound = ceiling;
    report.check(count <= bound,
        () -> key + ": " + count + " " + what + ", above the bound " + bound + " (limit " + limit
            + ")");
  }
}
