package io.regulator.zookeeper.internal;

import io.regulator.zookeeper.FleetStats;
import java.util.concurrent.atomic.LongAdder;

/** The counters behind {@link FleetStats}. Thread-safe: striped adders, read without a lock. */
final class FleetCounters {
  final LongAdder grants = new LongAdder();
  final LongAdder leasesAcquired = new LongAdder();
  final LongAdder handoffs = new LongAdder();
  final LongAdder leasesReturned = new LongAdder();
  final LongAdder fallbackGrants = new LongAdder();
  final LongAdder unavailable = new LongAdder();
  final LongAdder leasesLost = new LongAdder();

  FleetStats snapshot() {
    return new FleetStats(grants.sum(), leasesAcquired.sum(), handoffs.sum(),
        leasesReturned.sum(), fallbackGrants.sum(), unavailable.sum(), leasesLost.sum());
  }
}
