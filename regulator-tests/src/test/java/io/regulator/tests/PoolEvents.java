package io.regulator.tests;

import io.regulator.RegulatorListener;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;

/** Records the pools a regulator reports closed. Thread-safe. */
final class PoolEvents implements RegulatorListener {
  /** One {@code poolClosed} call. */
  record Closed(String poolName, int reclaimedSlots, boolean unreachable) {}

  private final List<Closed> closed = new CopyOnWriteArrayList<>();

  @Override
  public void poolClosed(String poolName, int reclaimedSlots, boolean unreachable) {
    closed.add(new Closed(poolName, reclaimedSlots, unreachable));
  }

  List<Closed> all() {
    return List.copyOf(closed);
  }

  /** The last report of the pool named {@code poolName}, or null. */
  Closed last(String poolName) {
    Closed found = null;
    for (Closed event : closed) {
      if (event.poolName().equals(poolName)) {
        found = event;
      }
    }
    return found;
  }

  void clear() {
    closed.clear();
  }
}
