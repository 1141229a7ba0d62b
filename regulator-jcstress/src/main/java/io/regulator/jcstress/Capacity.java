package io.regulator.jcstress;

import io.regulator.HostKey;
import io.regulator.RegulatedPool;
import io.regulator.Slot;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/**
 * How many slots of a host can be taken once a race is over: what every arbiter checks last. A
 * slot the race lost shows as fewer than the limit, a slot it invented (a release counted twice)
 * as more.
 */
final class Capacity {
  private Capacity() {}

  /**
   * Takes slots of {@code key} through {@code probe} until refused, at most {@code limit + 1},
   * gives them all back, and returns how many it got. Called by an arbiter, alone on its host.
   */
  static int takeable(RegulatedPool probe, HostKey key, int limit) {
    List<Slot> taken = new ArrayList<>(limit + 1);
    try {
      while (taken.size() <= limit) {
        Optional<Slot> slot = probe.tryAcquire(key);
        if (slot.isEmpty()) {
          break;
        }
        taken.add(slot.get());
      }
      return taken.size();
    } finally {
      taken.forEach(Slot::release);
    }
  }
}
