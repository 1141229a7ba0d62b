package io.regulator.zookeeper.internal;

import io.regulator.zookeeper.FleetState;
import java.util.concurrent.locks.ReentrantLock;
import java.util.function.Consumer;
import java.util.function.LongSupplier;
import org.apache.curator.framework.CuratorFramework;
import org.apache.curator.framework.state.ConnectionState;
import org.apache.curator.framework.state.ConnectionStateListener;

/**
 * This node's view of its ZooKeeper session, fed by Curator's connection events.
 *
 * <p>The <em>epoch</em> counts sessions: it moves on when Curator reports the session {@code
 * LOST}, and a lease taken in an older epoch is dead, deleted by the servers with its session.
 * While merely {@code SUSPENDED}, the session may still live on the servers and with it this
 * node's leases; but the servers expire it {@code sessionTimeout} after they last heard from us,
 * which can be as early as a third of it after we noticed the disconnect (the client notices a
 * silent connection after two thirds). So held leases are trusted for handoff only during that
 * first third of the session timeout; after that, not even a lease this node holds is passed on.
 *
 * <p>Thread-safe: Curator calls {@link #stateChanged} from one event thread; the state is written
 * under a lock (so that the first read at start cannot overwrite an event) and is volatile for the
 * readers. Host entries hear a change after it is visible here, on Curator's event thread.
 */
final class FleetConnection implements ConnectionStateListener {
  private final CuratorFramework client;
  private final LongSupplier ticker;
  private final Consumer<FleetState> onChange;

  /** Orders the first read in {@link #start()} with events; never held while calling out. */
  private final ReentrantLock lock = new ReentrantLock();

  @GuardedBy("lock")
  private boolean seenEvent;

  private volatile FleetState state;
  private volatile int epoch;
  private volatile long suspendedAt;

  FleetConnection(CuratorFramework client, LongSupplier ticker, Consumer<FleetState> onChange) {
    this.client = client;
    this.ticker = ticker;
    this.onChange = onChange;
    this.state = FleetState.SUSPENDED;
    this.suspendedAt = ticker.getAsLong();
  }

  /**
   * Starts listening, then reads the current state, so that no event falls between; the lock
   * keeps an event delivered meanwhile from being overwritten by that first read.
   */
  void start() {
    client.getConnectionStateListenable().addListener(this);
    lock.lock();
    try {
      if (!seenEvent && client.getZookeeperClient().isConnected()) {
        state = FleetState.CONNECTED;
      }
    } finally {
      lock.unlock();
    }
  }

  void stop() {
    client.getConnectionStateListenable().removeListener(this);
  }

  FleetState state() {
    return state;
  }

  int epoch() {
    return epoch;
  }

  /** Whether a lease this node holds may be passed to another caller of this node now. */
  boolean heldLeasesTrusted() {
    FleetState now = state;
    if (now == FleetState.CONNECTED) {
      return true;
    }
    if (now == FleetState.LOST) {
      return false;
    }
    long sessionTimeoutNanos =
        client.getZookeeperClient().getLastNegotiatedSessionTimeoutMs() * 1_000_000L;
    return ticker.getAsLong() - suspendedAt < sessionTimeoutNanos / 3;
  }

  @Override
  public void stateChanged(CuratorFramework source, ConnectionState newState) {
    FleetState next;
    switch (newState) {
      case CONNECTED:
      case RECONNECTED:
        next = FleetState.CONNECTED;
        break;
      case LOST:
        next = FleetState.LOST;
        break;
      default: // SUSPENDED, READ_ONLY: no writes, so no leases
        next = FleetState.SUSPENDED;
        break;
    }
    lock.lock();
    try {
      seenEvent = true;
      FleetState previous = state;
      if (next == previous || (previous == FleetState.LOST && next == FleetState.SUSPENDED)) {
        return; // a lost session stays lost until a new one connects
      }
      if (next == FleetState.SUSPENDED) {
        suspendedAt = ticker.getAsLong();
      } else if (next == FleetState.LOST) {
        epoch = epoch + 1; // written only here, under the lock
      }
      state = next;
    } finally {
      lock.unlock();
    }
    onChange.accept(next);
  }
}
