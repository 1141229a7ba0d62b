package io.regulator.zookeeper.internal;

import static io.regulator.zookeeper.FleetMeters.CONNECTION;
import static io.regulator.zookeeper.FleetMeters.HOST;
import static io.regulator.zookeeper.FleetMeters.LEASES_HELD;
import static io.regulator.zookeeper.FleetMeters.LEASES_LOST;
import static io.regulator.zookeeper.FleetMeters.LEASES_WAITING;
import static io.regulator.zookeeper.FleetMeters.LIMIT;
import static io.regulator.zookeeper.FleetMeters.LOCAL_SHARE_GRANTS;
import static io.regulator.zookeeper.FleetMeters.OTHER_HOSTS;
import static io.regulator.zookeeper.FleetMeters.STATE;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.Meter;
import io.micrometer.core.instrument.MeterRegistry;
import io.regulator.HostKey;
import io.regulator.internal.BoundedTags;
import io.regulator.zookeeper.FleetState;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.function.ToIntFunction;

/**
 * The fleet tier's Micrometer meters (names in {@link io.regulator.zookeeper.FleetMeters}). The
 * only class of the module that uses Micrometer, loaded only when the builder was given a {@code
 * MeterRegistry}.
 *
 * <p>As core's {@code MicrometerObserver}, and through the same {@link BoundedTags}: host gauges
 * reference no entry but look their host up in the {@link HostLeaseTable} when read (an entry is
 * replaced when it retires, and Micrometer hands back the existing gauge for the same name and
 * tags); at most {@code maxTaggedHosts} hosts at a time have their own tag, the others share
 * {@code host=other}, whose gauges sum over them; a host's meters are created when it is first
 * seen and removed when its entry leaves the table.
 *
 * <p>Thread-safe.
 */
final class MicrometerFleetObserver implements FleetObserver {
  private final MeterRegistry registry;
  private final BoundedTags<HostKey, HostMeters> tagged;
  private final List<Meter> connectionGauges = new ArrayList<>();
  private volatile HostLeaseTable table;

  /** @param registry a {@code MeterRegistry}, typed so that callers need no Micrometer type */
  MicrometerFleetObserver(Object registry, int maxTaggedHosts, FleetConnection connection) {
    this.registry = (MeterRegistry) registry;
    this.tagged = new BoundedTags<>(maxTaggedHosts, HostMeters::new);
    for (FleetState state : FleetState.values()) {
      connectionGauges.add(Gauge.builder(CONNECTION, connection, c -> (c.state() == state) ? 1 : 0)
          .tag(STATE, state.name().toLowerCase(Locale.ROOT))
          .description("1 for the ZooKeeper connection state this node is in now, else 0")
          .register(this.registry));
    }
  }

  @Override
  public void attach(HostLeaseTable leaseTable) {
    this.table = leaseTable;
  }

  @Override
  public void hostSeen(HostKey key) {
    metersOf(key);
  }

  @Override
  public void fallbackGranted(HostKey key) {
    if (!tagged.isClosed()) {
      metersOf(key).localShareGrants.increment();
    }
  }

  @Override
  public void leasesLost(HostKey key, int slots) {
    if (!tagged.isClosed()) {
      metersOf(key).leasesLost.increment(slots);
    }
  }

  private HostMeters metersOf(HostKey key) {
    return tagged.of(key);
  }

  @Override
  public void hostRemoved(HostKey key) {
    // A new entry for the host may exist already; its meters stay then.
    tagged.removed(key, k -> {
      HostLeaseTable current = table;
      return current != null && current.find(k) != null;
    }, HostMeters::remove);
  }

  @Override
  public void close() {
    tagged.close(HostMeters::remove);
    for (Meter gauge : connectionGauges) {
      registry.remove(gauge);
    }
  }

  /** A figure of one host, or the sum over untagged hosts when {@code key} is null. */
  private int figure(HostKey key, ToIntFunction<HostLeases> figure) {
    HostLeaseTable current = table;
    if (current == null) {
      return 0;
    }
    if (key != null) {
      HostLeases entry = current.find(key);
      return (entry == null) ? 0 : figure.applyAsInt(entry);
    }
    int sum = 0;
    for (HostLeases entry : current.entries()) {
      if (!tagged.isTagged(entry.key)) {
        sum += figure.applyAsInt(entry);
      }
    }
    return sum;
  }

  /** One host's meters, or those of every untagged host when {@code key} is null. */
  private final class HostMeters {
    private final List<Meter> meters = new ArrayList<>(5);
    final Counter localShareGrants;
    final Counter leasesLost;

    HostMeters(HostKey key) {
      String host = (key == null) ? OTHER_HOSTS : key.toString();
      // The state object is the observer, which lives as long as the regulator: Micrometer
      // holds it weakly.
      MicrometerFleetObserver state = MicrometerFleetObserver.this;
      meters.add(Gauge.builder(LEASES_HELD, state, o -> figure(key, HostLeases::liveLeases))
          .tag(HOST, host)
          .description("Fleet leases this node holds now for the host")
          .register(registry));
      meters.add(Gauge.builder(LEASES_WAITING, state, o -> figure(key, HostLeases::waiting))
          .tag(HOST, host)
          .description("This node's callers waiting now for a fleet lease of the host")
          .register(registry));
      if (key != null) {
        meters.add(Gauge.builder(LIMIT, state, o -> figure(key, HostLeases::knownFleetLimit))
            .tag(HOST, host)
            .description("The host's fleet limit, as this node last heard it")
            .register(registry));
      }
      localShareGrants = Counter.builder(LOCAL_SHARE_GRANTS)
          .tag(HOST, host)
          .description("Slots granted from the local share while ZooKeeper was unavailable")
          .register(registry);
      leasesLost = Counter.builder(LEASES_LOST)
          .tag(HOST, host)
          .description("Slots in use whose fleet leases an expired session took")
          .register(registry);
      meters.add(localShareGrants);
      meters.add(leasesLost);
    }

    void remove() {
      for (Meter meter : meters) {
        registry.remove(meter);
      }
    }
  }
}
