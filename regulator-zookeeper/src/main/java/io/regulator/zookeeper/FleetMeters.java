package io.regulator.zookeeper;

/**
 * The names a fleet regulator publishes its own Micrometer meters under, when its builder was
 * given a {@code meterRegistry}. They cover the fleet half of its slots; the local regulator's
 * meters ({@code io.regulator.core.RegulatorMeters}) cover the local half. Host tags are bounded
 * as in core: beyond {@code maxTaggedHosts} hosts, the rest share the tag {@link #OTHER_HOSTS}.
 * See {@code docs/fleet.md}. Constants only; thread-safe.
 */
public final class FleetMeters {
  private FleetMeters() {}

  /** Gauge: fleet leases this node holds now for a host (in use or passing on). Tag {@link #HOST}. */
  public static final String LEASES_HELD = "regulator.fleet.leases.held";

  /** Gauge: this node's callers waiting now for a fleet lease of a host. Tag {@link #HOST}. */
  public static final String LEASES_WAITING = "regulator.fleet.leases.waiting";

  /**
   * Gauge: a host's fleet limit as this node last heard it. Tag {@link #HOST}; not published for
   * {@link #OTHER_HOSTS}.
   */
  public static final String LIMIT = "regulator.fleet.limit";

  /**
   * Counter: over-grants under {@code LOCAL_SHARE}, slots granted from this node's local share
   * while ZooKeeper was unavailable, not recorded in the fleet. Tag {@link #HOST}.
   */
  public static final String LOCAL_SHARE_GRANTS = "regulator.fleet.local_share.grants";

  /**
   * Counter: over-grants by a lost session, slots still in use whose leases the servers deleted
   * when this node's session expired. Tag {@link #HOST}.
   */
  public static final String LEASES_LOST = "regulator.fleet.leases.lost";

  /**
   * Gauge: 1 for the ZooKeeper connection state this node is in now, 0 for the others. Tag
   * {@link #STATE}, one of {@code connected}, {@code suspended}, {@code lost}.
   */
  public static final String CONNECTION = "regulator.fleet.connection";

  /** Tag key: the host, as {@code HostKey.toString()}: {@code example.com:443}. */
  public static final String HOST = "host";

  /** Tag key: a {@link FleetState}, in lower case. */
  public static final String STATE = "state";

  /** The {@link #HOST} tag of every host beyond the builder's {@code maxTaggedHosts}. */
  public static final String OTHER_HOSTS = "other";
}
