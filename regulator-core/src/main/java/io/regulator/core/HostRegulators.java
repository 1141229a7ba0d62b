package io.regulator.core;

import io.micrometer.core.instrument.MeterRegistry;
import io.regulator.HostKey;
import io.regulator.HostRegulator;
import io.regulator.RegulatorListener;
import io.regulator.core.internal.RegulatorSettings;
import io.regulator.core.internal.SemaphoreRegistry;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.Executor;
import java.util.concurrent.ForkJoinPool;
import java.util.function.LongSupplier;

/**
 * Builds regulators, and holds the JVM's shared one.
 *
 * <pre>{@code
 * HostRegulator regulator = HostRegulators.builder()
 *     .defaultLimit(20)
 *     .limit(HostKey.of("partner.example", 443), 25)
 *     .build();
 * }</pre>
 *
 * <p>Thread-safe; each {@link Builder} is not.
 */
public final class HostRegulators {
  private HostRegulators() {}

  /**
   * The JVM's shared regulator, built on first use from the defaults. Pools of every client and
   * library in the JVM that use it count against the same hosts. Do not close it.
   */
  public static HostRegulator nodeWide() {
    return NodeWide.INSTANCE;
  }

  /** A builder with the defaults: 50 slots per host, a 30 s acquire timeout, unbounded queues. */
  public static Builder builder() {
    return new Builder();
  }

  private static final class NodeWide {
    static final HostRegulator INSTANCE = builder().build();
  }

  /**
   * Configures a regulator. Each setter validates its argument at once and names it in the error.
   * Not thread-safe; the regulator it builds is immutable in its configuration.
   */
  public static final class Builder {
    private int defaultLimit = 50;
    private final Map<HostKey, Integer> limits = new HashMap<>();
    private Duration acquireTimeout = Duration.ofSeconds(30);
    private int maxWaitersPerHost = Integer.MAX_VALUE;
    private Object meterRegistry;
    private int maxTaggedHosts = 100;
    private final List<RegulatorListener> listeners = new ArrayList<>();
    private Duration leakThreshold;
    private boolean reclaimUnreachableSlots;
    private boolean recordAcquisitionSites;
    private Executor asyncExecutor = ForkJoinPool.commonPool();
    private LongSupplier ticker = System::nanoTime;

    private Builder() {}

    /** The limit of every host without one of its own; default 50. */
    public Builder defaultLimit(int perHost) {
      requireArgument(perHost >= 1, "defaultLimit < 1: " + perHost);
      this.defaultLimit = perHost;
      return this;
    }

    /** A host's own limit, which survives the host's entry being dropped while idle. */
    public Builder limit(HostKey key, int perHost) {
      Objects.requireNonNull(key, "key");
      requireArgument(perHost >= 1, "limit < 1: " + perHost);
      limits.put(key, perHost);
      return this;
    }

    /** How long {@code acquire(key)} waits for a slot; default 30 s. Finite by default. */
    public Builder acquireTimeout(Duration timeout) {
      Objects.requireNonNull(timeout, "acquireTimeout");
      requireArgument(!timeout.isNegative(), "acquireTimeout < 0: " + timeout);
      this.acquireTimeout = timeout;
      return this;
    }

    /**
     * How many callers may queue for one host; one more gets {@link
     * io.regulator.HostOverloadedException} at once. Default unbounded; 0 means never queue.
     */
    public Builder maxWaitersPerHost(int max) {
      requireArgument(max >= 0, "maxWaitersPerHost < 0: " + max);
      this.maxWaitersPerHost = max;
      return this;
    }

    /**
     * Where the regulator's meters go (see {@link RegulatorMeters}); Micrometer is needed, and
     * loaded, only when this is called. On the module path the application that calls this
     * {@code requires micrometer.core} itself: this module requires it only statically.
     */
    @SuppressWarnings("exports") // MeterRegistry's module is optional here, so not re-exported
    public Builder meterRegistry(MeterRegistry registry) {
      this.meterRegistry = Objects.requireNonNull(registry, "meterRegistry");
      return this;
    }

    /**
     * How many hosts at a time get meters tagged with their own name; default 100. Every further
     * host is metered under the tag {@link RegulatorMeters#OTHER_HOSTS}, so a crawler touching
     * millions of hosts cannot flood the meter registry. A host's tag is freed when its entry
     * leaves the host table. 0 tags every host {@code other}.
     */
    public Builder maxTaggedHosts(int max) {
      requireArgument(max >= 0, "maxTaggedHosts < 0: " + max);
      this.maxTaggedHosts = max;
      return this;
    }

    /** Adds a listener; listeners run outside every lock, and their exceptions are logged. */
    public Builder listener(RegulatorListener listener) {
      listeners.add(Objects.requireNonNull(listener, "listener"));
      return this;
    }

    /**
     * Reports every slot held longer than {@code heldLongerThan}, once, to the listeners' {@link
     * RegulatorListener#leakSuspected} and as a warning in the log; the slot stays held. A timer
     * thread checks the hosts' held slots, oldest first, every quarter threshold (at least once a
     * second). Default off.
     */
    public Builder leakThreshold(Duration heldLongerThan) {
      Objects.requireNonNull(heldLongerThan, "leakThreshold");
      requireArgument(heldLongerThan.compareTo(Duration.ZERO) > 0,
          "leakThreshold <= 0: " + heldLongerThan);
      this.leakThreshold = heldLongerThan;
      return this;
    }

    /**
     * Whether a slot that becomes unreachable without being released is given back to its host
     * (through a {@link java.lang.ref.Cleaner}) and reported as a leak. Callers then get a thin
     * handle around each slot, registered with the cleaner: a few dozen bytes per acquire. Default
     * off.
     */
    public Builder reclaimUnreachableSlots(boolean reclaim) {
      this.reclaimUnreachableSlots = reclaim;
      return this;
    }

    /**
     * Whether each acquire records its stack, so that a leak report says where the slot was
     * taken. Costs a stack walk per acquire; needs {@link #leakThreshold} or {@link
     * #reclaimUnreachableSlots}. Default off.
     */
    public Builder recordAcquisitionSites(boolean record) {
      this.recordAcquisitionSites = record;
      return this;
    }

    /**
     * Where futures of {@code acquireAsync} are completed, and so where their continuations run;
     * default the common fork-join pool. Never the releasing thread unless this executor runs
     * tasks inline.
     */
    public Builder asyncExecutor(Executor executor) {
      this.asyncExecutor = Objects.requireNonNull(executor, "asyncExecutor");
      return this;
    }

    /** The nano clock of deadlines, waits and ages; default {@link System#nanoTime()}. */
    public Builder ticker(LongSupplier nanoTicker) {
      this.ticker = Objects.requireNonNull(nanoTicker, "ticker");
      return this;
    }

    /**
     * A new regulator with this configuration.
     *
     * @throws IllegalStateException if acquisition sites are recorded without leak detection
     */
    public HostRegulator build() {
      if (recordAcquisitionSites && leakThreshold == null && !reclaimUnreachableSlots) {
        throw new IllegalStateException(
            "recordAcquisitionSites needs leakThreshold or reclaimUnreachableSlots");
      }
      return new SemaphoreRegistry(new RegulatorSettings(defaultLimit, limits, acquireTimeout,
          maxWaitersPerHost, meterRegistry, maxTaggedHosts, listeners, leakThreshold,
          reclaimUnreachableSlots, recordAcquisitionSites, asyncExecutor, ticker));
    }

    private static void requireArgument(boolean condition, String message) {
      if (!condition) {
        throw new IllegalArgumentException(message);
      }
    }
  }
}
