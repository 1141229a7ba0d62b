package io.regulator.zookeeper;

import static io.regulator.internal.Checks.atLeastOne;
import static io.regulator.internal.Checks.nonNegative;
import static io.regulator.internal.Checks.positive;
import static io.regulator.internal.Checks.requireArgument;

import io.micrometer.core.instrument.MeterRegistry;
import io.regulator.HostKey;
import io.regulator.HostRegulator;
import io.regulator.RegulatorListener;
import io.regulator.zookeeper.internal.FleetSettings;
import io.regulator.zookeeper.internal.LeasedHostRegulator;
import java.net.InetAddress;
import java.net.UnknownHostException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.Executor;
import java.util.concurrent.ForkJoinPool;
import java.util.function.LongSupplier;
import org.apache.curator.framework.CuratorFramework;
import org.apache.curator.framework.imps.CuratorFrameworkState;
import org.apache.curator.utils.PathUtils;

/**
 * Builds fleet regulators: a local regulator for the node's cap, wrapped so that every slot also
 * takes a lease from a ZooKeeper semaphore shared by the fleet.
 *
 * <pre>{@code
 * CuratorFramework curator = CuratorFrameworkFactory.newClient(
 *     "zk1:2181,zk2:2181,zk3:2181", new ExponentialBackoffRetry(100, 5));
 * curator.start();
 * FleetHostRegulator regulator = FleetHostRegulators.builder(curator)
 *     .local(HostRegulators.builder().defaultLimit(20).build())
 *     .path("/regulator/payments")
 *     .fleetLimit(HostKey.of("api.partner.example", 443), 100)
 *     .build();
 * }</pre>
 *
 * <p>Thread-safe; each {@link Builder} is not.
 */
public final class FleetHostRegulators {
  private FleetHostRegulators() {}

  /**
   * A builder over a started Curator client, which the regulator uses but never closes. The
   * client's session timeout is how long a lost node's leases outlive it.
   */
  public static Builder builder(CuratorFramework client) {
    return new Builder(Objects.requireNonNull(client, "client"));
  }

  /**
   * Configures a fleet regulator. Each setter validates its argument at once and names it in the
   * error; {@link #build()} checks settings that conflict. Not thread-safe.
   */
  public static final class Builder {
    private final CuratorFramework client;
    private HostRegulator local;
    private String path = "/regulator";
    private int defaultFleetLimit = 50;
    private final Map<HostKey, Integer> fleetLimits = new HashMap<>();
    private WhenUnavailable whenUnavailable = WhenUnavailable.FAIL_FAST;
    private int expectedNodes;
    private Duration handoffWindow = Duration.ofMillis(100);
    private Duration acquireTimeout = Duration.ofSeconds(30);
    private int acquiresPerHost = 4;
    private Duration idleHostTimeout = Duration.ofMinutes(1);
    private final List<RegulatorListener> listeners = new ArrayList<>();
    private Executor asyncExecutor = ForkJoinPool.commonPool();
    private LongSupplier ticker = System::nanoTime;
    private String nodeId;
    private Object meterRegistry;
    private int maxTaggedHosts = 100;

    private Builder(CuratorFramework client) {
      this.client = client;
    }

    /**
     * The node's own regulator, which holds the local per-host limits; required. The fleet
     * regulator owns it: its pools are opened through the fleet regulator, and closing the fleet
     * regulator closes it.
     */
    public Builder local(HostRegulator localRegulator) {
      this.local = Objects.requireNonNull(localRegulator, "local");
      return this;
    }

    /**
     * The ZooKeeper path under which this fleet's hosts live; default {@code /regulator}. Nodes
     * that share a path share the fleet limits.
     */
    public Builder path(String zkPath) {
      Objects.requireNonNull(zkPath, "path");
      try {
        PathUtils.validatePath(zkPath);
      } catch (IllegalArgumentException e) {
        throw new IllegalArgumentException("path is not a ZooKeeper path: \"" + zkPath + "\"", e);
      }
      requireArgument(!zkPath.equals("/"), "path is the root: \"/\"");
      this.path = zkPath;
      return this;
    }

    /**
     * The fleet limit written for a host the fleet has never seen; default 50. The fleet's value
     * lives in ZooKeeper: once a host has one, this seed changes nothing (use {@link
     * FleetHostRegulator#setFleetLimit}).
     */
    public Builder defaultFleetLimit(int perHost) {
      this.defaultFleetLimit = atLeastOne(perHost, "defaultFleetLimit");
      return this;
    }

    /** A host's fleet limit, written if the fleet has none yet for the host; see above. */
    public Builder fleetLimit(HostKey key, int perHost) {
      Objects.requireNonNull(key, "key");
      fleetLimits.put(key, atLeastOne(perHost, "fleetLimit"));
      return this;
    }

    /** What to do while ZooKeeper is unreachable; default {@link WhenUnavailable#FAIL_FAST}. */
    public Builder whenUnavailable(WhenUnavailable policy) {
      this.whenUnavailable = Objects.requireNonNull(policy, "whenUnavailable");
      return this;
    }

    /**
     * How many nodes share the fleet limits: a node's local share of a host is {@code
     * floor(fleetLimit / expectedNodes)}. Required by {@link WhenUnavailable#LOCAL_SHARE}.
     */
    public Builder expectedNodes(int nodes) {
      this.expectedNodes = atLeastOne(nodes, "expectedNodes");
      return this;
    }

    /**
     * How long a fleet lease may pass from a releasing caller straight to a caller of this node
     * that is waiting for one, before it must go back to ZooKeeper; default 100 ms. Handoff saves
     * the semaphore's round trips under load; the bound keeps a busy node from starving others.
     * A lease is never kept without a caller using it or waiting for it. Zero: every release goes
     * back to ZooKeeper.
     */
    public Builder handoffWindow(Duration window) {
      this.handoffWindow = nonNegative(window, "handoffWindow");
      return this;
    }

    /**
     * How long {@code acquire(key)} waits for both caps together; default 30 s. Finite by default.
     */
    public Builder acquireTimeout(Duration timeout) {
      this.acquireTimeout = nonNegative(timeout, "acquireTimeout");
      return this;
    }

    /**
     * How many leases of one host this node may be taking from ZooKeeper at once; default 4. Each
     * one occupies a thread blocked in Curator, and a place in the fleet's queue.
     */
    public Builder acquiresPerHost(int concurrent) {
      this.acquiresPerHost = atLeastOne(concurrent, "acquiresPerHost");
      return this;
    }

    /** How long a host with nothing held or waiting keeps its fleet watch; default 1 minute. */
    public Builder idleHostTimeout(Duration timeout) {
      this.idleHostTimeout = positive(timeout, "idleHostTimeout");
      return this;
    }

    /**
     * Adds a listener of the fleet regulator's slots and pools: {@code acquired} when both caps
     * granted a slot, {@code released} when both halves went back, {@code timedOut} when either
     * wait ran out, {@code poolClosed} with the slots reclaimed; never {@code leakSuspected}. A
     * {@link FleetListener} also hears fleet events. The local regulator's own listeners, set on
     * its builder, hear its local half only, fleet refusals included; see {@code docs/fleet.md}.
     */
    public Builder listener(RegulatorListener listener) {
      listeners.add(Objects.requireNonNull(listener, "listener"));
      return this;
    }

    /** Where futures of {@code acquireAsync} are completed; default the common fork-join pool. */
    public Builder asyncExecutor(Executor executor) {
      this.asyncExecutor = Objects.requireNonNull(executor, "asyncExecutor");
      return this;
    }

    /** The nano clock of deadlines and lease ages; default {@link System#nanoTime()}. */
    public Builder ticker(LongSupplier nanoTicker) {
      this.ticker = Objects.requireNonNull(nanoTicker, "ticker");
      return this;
    }

    /**
     * This node's name, written into each lease node so that an operator can see who holds the
     * fleet's leases; default {@code pid@hostname}.
     */
    public Builder nodeId(String id) {
      Objects.requireNonNull(id, "nodeId");
      requireArgument(!id.isBlank(), "nodeId is blank: \"" + id + "\"");
      this.nodeId = id;
      return this;
    }

    /**
     * Publishes the fleet tier's own meters ({@link FleetMeters}) to {@code registry}: leases
     * held and waited for per host, the fleet limit, over-grants ({@code LOCAL_SHARE} grants,
     * leases lost with a session) and the connection state. Optional: without it no Micrometer
     * class is loaded. The local regulator's meters are configured on its own builder.
     */
    // "exports": Micrometer is a static dependency (requires static, not transitive): a platform
    // that calls this has Micrometer itself; one that does not never loads it.
    @SuppressWarnings("exports")
    public Builder meterRegistry(MeterRegistry registry) {
      this.meterRegistry = Objects.requireNonNull(registry, "meterRegistry");
      return this;
    }

    /**
     * How many hosts at a time get fleet meters tagged with their own name; default 100, as in
     * core. Every further host is metered under the tag {@link FleetMeters#OTHER_HOSTS}; a host's
     * tag is freed when its idle entry retires. 0 tags every host {@code other}.
     */
    public Builder maxTaggedHosts(int max) {
      this.maxTaggedHosts = nonNegative(max, "maxTaggedHosts");
      return this;
    }

    /**
     * A new fleet regulator with this configuration.
     *
     * @throws IllegalStateException if no local regulator was given, if {@link
     *     WhenUnavailable#LOCAL_SHARE} was chosen without {@link #expectedNodes}, or if the client
     *     was not started
     */
    public FleetHostRegulator build() {
      if (local == null) {
        throw new IllegalStateException("local regulator not set: call local(HostRegulator)");
      }
      if (whenUnavailable == WhenUnavailable.LOCAL_SHARE && expectedNodes == 0) {
        throw new IllegalStateException(
            "whenUnavailable LOCAL_SHARE needs expectedNodes(n) to compute the local share");
      }
      if (client.getState() != CuratorFrameworkState.STARTED) {
        throw new IllegalStateException("client is not started: " + client.getState());
      }
      return new LeasedHostRegulator(new FleetSettings(client, local, path, defaultFleetLimit,
          fleetLimits, whenUnavailable, Math.max(1, expectedNodes), saturatedNanos(handoffWindow),
          acquireTimeout, acquiresPerHost, saturatedNanos(idleHostTimeout), listeners,
          asyncExecutor, ticker, (nodeId != null) ? nodeId : defaultNodeId(), meterRegistry,
          maxTaggedHosts));
    }

    /** Nanoseconds of a duration, capped at ~73 years so that deadline sums cannot overflow. */
    private static long saturatedNanos(Duration duration) {
      long max = Long.MAX_VALUE / 4;
      return (duration.compareTo(Duration.ofNanos(max)) >= 0) ? max : duration.toNanos();
    }

    private static String defaultNodeId() {
      String host;
      try {
        host = InetAddress.getLocalHost().getHostName();
      } catch (UnknownHostException e) {
        host = "unknown-host";
      }
      return ProcessHandle.current().pid() + "@" + host;
    }
  }
}
