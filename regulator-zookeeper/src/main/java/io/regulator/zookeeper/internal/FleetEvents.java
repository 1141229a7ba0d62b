package io.regulator.zookeeper.internal;

import io.regulator.HostKey;
import io.regulator.RegulatorListener;
import io.regulator.zookeeper.FleetListener;
import io.regulator.zookeeper.FleetState;
import java.lang.System.Logger.Level;
import java.util.List;
import java.util.function.Consumer;

/**
 * Tells the listeners and the log what the fleet tier did. Called only with no lock held; a
 * listener's exception is logged and swallowed. Thread-safe: the listener list is immutable.
 */
final class FleetEvents {
  private static final System.Logger LOG = System.getLogger("io.regulator.zookeeper");

  private final List<RegulatorListener> listeners;

  FleetEvents(List<RegulatorListener> listeners) {
    this.listeners = listeners;
  }

  void stateChanged(FleetState state) {
    LOG.log((state == FleetState.CONNECTED) ? Level.INFO : Level.WARNING,
        "fleet regulator: ZooKeeper {0}", state);
    fleet(listener -> listener.stateChanged(state));
  }

  void leasesLost(HostKey key, int slotsInUse) {
    LOG.log(Level.WARNING, "fleet regulator: session lost while {0} slots of {1} held fleet "
        + "leases; the fleet may exceed its limit by that many until they are released",
        slotsInUse, key);
    fleet(listener -> listener.leasesLost(key, slotsInUse));
  }

  /** A local-share grant; the first of an outage for its host is logged as a warning. */
  void fallbackGranted(HostKey key, int heldOnNode, int share, boolean firstOfOutage) {
    LOG.log(firstOfOutage ? Level.WARNING : Level.DEBUG, "fleet regulator: slot of {0} granted"
        + " from the local share ({1} of {2}) while ZooKeeper is unavailable; not recorded in the"
        + " fleet", key, heldOnNode, share);
    fleet(listener -> listener.fallbackGranted(key, heldOnNode, share));
  }

  void poolClosed(String poolName, int reclaimedSlots, boolean unreachable) {
    if (unreachable) {
      LOG.log(Level.WARNING, "pool ''{0}'' became unreachable without close(); gave back its {1}"
          + " slots and their fleet leases", poolName, reclaimedSlots);
    }
    for (RegulatorListener listener : listeners) {
      call(listener, () -> listener.poolClosed(poolName, reclaimedSlots, unreachable));
    }
  }

  private void fleet(Consumer<FleetListener> event) {
    for (RegulatorListener listener : listeners) {
      if (listener instanceof FleetListener) {
        call(listener, () -> event.accept((FleetListener) listener));
      }
    }
  }

  private static void call(RegulatorListener listener, Runnable event) {
    try {
      event.run();
    } catch (RuntimeException e) {
      LOG.log(Level.WARNING, "listener " + listener + " failed", e);
    }
  }
}
