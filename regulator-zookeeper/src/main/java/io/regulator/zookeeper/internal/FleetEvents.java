package io.regulator.zookeeper.internal;

import io.regulator.HostKey;
import io.regulator.RegulatorListener;
import io.regulator.zookeeper.FleetListener;
import io.regulator.zookeeper.FleetState;
import java.lang.System.Logger.Level;
import java.time.Duration;
import java.util.List;

/**
 * Tells the listeners and the log what the fleet tier did. Called only with no lock held. Each
 * listener is called in its own try block, as regulator-core's {@code ListenerNotifier} does:
 * whatever one throws, even an {@code Error}, is logged at {@code WARNING} and neither the other
 * listeners nor the regulator notice.
 *
 * <p>Thread-safe: immutable.
 */
final class FleetEvents {
  private static final System.Logger LOG = System.getLogger("io.regulator.zookeeper");

  private final RegulatorListener[] listeners;
  private final FleetObserver meters;

  FleetEvents(List<RegulatorListener> listeners, FleetObserver meters) {
    this.listeners = listeners.toArray(new RegulatorListener[0]);
    this.meters = meters;
  }

  /** A fleet slot was granted by both caps after {@code waitedNanos}. */
  void acquired(HostKey key, String poolName, long waitedNanos) {
    if (listeners.length == 0) {
      return; // no Duration to allocate on the hot path
    }
    Duration waited = Duration.ofNanos(Math.max(0, waitedNanos));
    for (RegulatorListener listener : listeners) {
      try {
        listener.acquired(key, poolName, waited);
      } catch (Throwable t) {
        failed(listener, "acquired", t);
      }
    }
  }

  /** Both halves of a fleet slot went back after it was held {@code heldNanos}. */
  void released(HostKey key, String poolName, long heldNanos) {
    if (listeners.length == 0) {
      return;
    }
    Duration held = Duration.ofNanos(Math.max(0, heldNanos));
    for (RegulatorListener listener : listeners) {
      try {
        listener.released(key, poolName, held);
      } catch (Throwable t) {
        failed(listener, "released", t);
      }
    }
  }

  /** An acquire gave up after {@code waitedNanos} because the local or the fleet wait ran out. */
  void timedOut(HostKey key, String poolName, long waitedNanos) {
    if (listeners.length == 0) {
      return;
    }
    Duration waited = Duration.ofNanos(Math.max(0, waitedNanos));
    for (RegulatorListener listener : listeners) {
      try {
        listener.timedOut(key, poolName, waited);
      } catch (Throwable t) {
        failed(listener, "timedOut", t);
      }
    }
  }

  void poolClosed(String poolName, int reclaimedSlots, boolean unreachable) {
    if (unreachable) {
      LOG.log(Level.WARNING, "pool ''{0}'' became unreachable without close(); gave back its {1}"
          + " slots and their fleet leases", poolName, reclaimedSlots);
    }
    for (RegulatorListener listener : listeners) {
      try {
        listener.poolClosed(poolName, reclaimedSlots, unreachable);
      } catch (Throwable t) {
        failed(listener, "poolClosed", t);
      }
    }
  }

  void stateChanged(FleetState state) {
    LOG.log((state == FleetState.CONNECTED) ? Level.INFO : Level.WARNING,
        "fleet regulator: ZooKeeper {0}", state);
    for (RegulatorListener listener : listeners) {
      if (listener instanceof FleetListener) {
        try {
          ((FleetListener) listener).stateChanged(state);
        } catch (Throwable t) {
          failed(listener, "stateChanged", t);
        }
      }
    }
  }

  void leasesLost(HostKey key, int slotsInUse) {
    LOG.log(Level.WARNING, "fleet regulator: session lost while {0} slots of {1} held fleet "
        + "leases; the fleet may exceed its limit by that many until they are released",
        slotsInUse, key);
    meters.leasesLost(key, slotsInUse);
    for (RegulatorListener listener : listeners) {
      if (listener instanceof FleetListener) {
        try {
          ((FleetListener) listener).leasesLost(key, slotsInUse);
        } catch (Throwable t) {
          failed(listener, "leasesLost", t);
        }
      }
    }
  }

  /** A local-share grant; the first of an outage for its host is logged as a warning. */
  void fallbackGranted(HostKey key, int heldOnNode, int share, boolean firstOfOutage) {
    LOG.log(firstOfOutage ? Level.WARNING : Level.DEBUG, "fleet regulator: slot of {0} granted"
        + " from the local share ({1} of {2}) while ZooKeeper is unavailable; not recorded in the"
        + " fleet", key, heldOnNode, share);
    meters.fallbackGranted(key);
    for (RegulatorListener listener : listeners) {
      if (listener instanceof FleetListener) {
        try {
          ((FleetListener) listener).fallbackGranted(key, heldOnNode, share);
        } catch (Throwable t) {
          failed(listener, "fallbackGranted", t);
        }
      }
    }
  }

  private static void failed(RegulatorListener listener, String event, Throwable t) {
    LOG.log(Level.WARNING,
        "regulator listener " + listener + " failed on " + event + "; ignored", t);
  }

  @Override
  public String toString() {
    return "FleetEvents" + List.of(listeners);
  }
}
