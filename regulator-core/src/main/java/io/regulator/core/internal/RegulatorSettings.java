package io.regulator.core.internal;

import io.regulator.HostKey;
import io.regulator.RegulatorListener;
import io.regulator.core.AdaptiveLimit;
import io.regulator.core.SharedBackoff;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.Executor;
import java.util.function.LongSupplier;

/**
 * The validated, immutable configuration of one regulator, as its builder left it.
 *
 * @param defaultLimit the limit of a host without one of its own
 * @param limits hosts' own limits
 * @param acquireTimeout how long {@code acquire(key)} waits
 * @param maxWaitersPerHost how many callers may queue for one host before acquires are refused
 * @param meterRegistry a Micrometer {@code MeterRegistry}, or null; typed {@code Object} so that
 *     no Micrometer class loads unless one was configured
 * @param maxTaggedHosts how many hosts get meters tagged with their name; the rest share {@code
 *     other}
 * @param listeners listeners, called outside every lock
 * @param leakThreshold report slots held longer than this, or null to not
 * @param reclaimUnreachableSlots whether slots that become unreachable unreleased are reclaimed
 * @param recordAcquisitionSites whether each acquire records its stack for leak reports
 * @param asyncExecutor where futures from {@code acquireAsync} are completed
 * @param ticker the nano clock of timeouts and ages
 * @param adaptiveDefault every host's adaptive limit, or null (issue 16)
 * @param adaptivePerHost hosts' own adaptive limits
 * @param backoffDefault every host's shared Retry-After mode, or null for none
 * @param backoffPerHost hosts' own shared Retry-After modes
 */
public record RegulatorSettings(
    int defaultLimit,
    Map<HostKey, Integer> limits,
    Duration acquireTimeout,
    int maxWaitersPerHost,
    Object meterRegistry,
    int maxTaggedHosts,
    List<RegulatorListener> listeners,
    Duration leakThreshold,
    boolean reclaimUnreachableSlots,
    boolean recordAcquisitionSites,
    Executor asyncExecutor,
    LongSupplier ticker,
    AdaptiveLimit adaptiveDefault,
    Map<HostKey, AdaptiveLimit> adaptivePerHost,
    SharedBackoff backoffDefault,
    Map<HostKey, SharedBackoff> backoffPerHost) {

  /** Copies the collections; immutable and thread-safe. */
  public RegulatorSettings {
    limits = Map.copyOf(limits);
    Objects.requireNonNull(acquireTimeout, "acquireTimeout");
    listeners = List.copyOf(listeners);
    Objects.requireNonNull(asyncExecutor, "asyncExecutor");
    Objects.requireNonNull(ticker, "ticker");
    adaptivePerHost = Map.copyOf(adaptivePerHost);
    backoffPerHost = Map.copyOf(backoffPerHost);
  }

  /** Whether any host's limit adapts. */
  boolean adapts() {
    return adaptiveDefault != null || !adaptivePerHost.isEmpty();
  }

  /** Whether any host shares its Retry-After backoff. */
  boolean sharesBackoff() {
    return backoffDefault != null || !backoffPerHost.isEmpty();
  }

  /**
   * Whether something reads how long slots are held (meters, listeners, leak detection), so that
   * every slot must be stamped with the clock when it is taken. Without, a slot taken without
   * waiting reads no clock at all: on the uncontended path that read cost more than the rest of
   * the acquire (docs/benchmarks.md).
   */
  boolean observesHoldTimes() {
    return meterRegistry != null || !listeners.isEmpty() || detectsLeaks();
  }

  /** Whether any leak detection is on, so that slots handed out are tracked. */
  boolean detectsLeaks() {
    return leakThreshold != null || reclaimUnreachableSlots;
  }
}
