package io.regulator.core.internal;

import com.github.benmanes.caffeine.cache.Cache;
import com.github.benmanes.caffeine.cache.Caffeine;
import io.regulator.HostKey;
import java.util.Collection;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentMap;
import java.util.function.Consumer;
import java.util.function.Function;
import java.util.function.LongSupplier;

/**
 * The node's hosts: one {@link FifoHostSemaphore} per {@link HostKey}, held in a Caffeine cache
 * with weak values, and each host's own limit, held strongly.
 *
 * <p>Weak values are the eviction policy because reachability is exactly "busy": held slots and
 * queued waiters reference their semaphore, so a busy host can never be dropped, while an idle one
 * goes with the next GC however many hosts churn through. A time or size policy would instead
 * have to veto evicting busy entries, which Caffeine cannot do atomically.
 *
 * <p>Thread-safe.
 */
final class HostTable {
  private final Cache<HostKey, FifoHostSemaphore> semaphores;
  private final ConcurrentMap<HostKey, Integer> ownLimits;
  private final int defaultLimit;
  private final int maxWaiters;
  private final LongSupplier ticker;
  private final Function<HostKey, FifoHostSemaphore> factory = this::create;

  /**
   * @param onRemoved told the key of every entry that left the table (on Caffeine's executor,
   *     outside every lock), or null if nobody needs to know
   */
  HostTable(RegulatorSettings settings, Consumer<HostKey> onRemoved) {
    Caffeine<Object, Object> builder = Caffeine.newBuilder().weakValues();
    this.semaphores = (onRemoved == null)
        ? builder.build()
        : builder.<HostKey, FifoHostSemaphore>removalListener((key, semaphore, cause) -> {
          if (key != null) {
            onRemoved.accept(key);
          }
        }).build();
    this.ownLimits = new ConcurrentHashMap<>(settings.limits());
    this.defaultLimit = settings.defaultLimit();
    this.maxWaiters = settings.maxWaitersPerHost();
    this.ticker = settings.ticker();
  }

  private FifoHostSemaphore create(HostKey key) {
    return new FifoHostSemaphore(
        key, ownLimits.getOrDefault(key, defaultLimit), maxWaiters, ticker);
  }

  /** The host's live semaphore, created if it has none. */
  FifoHostSemaphore semaphore(HostKey key) {
    return semaphores.get(key, factory);
  }

  /** The host's live semaphore, or null if it is idle and was dropped (or never used). */
  FifoHostSemaphore find(HostKey key) {
    return semaphores.getIfPresent(key);
  }

  int limit(HostKey key) {
    FifoHostSemaphore semaphore = find(key);
    return (semaphore != null) ? semaphore.limit() : ownLimits.getOrDefault(key, defaultLimit);
  }

  void setLimit(HostKey key, int limit) {
    // Recorded under the semaphore's lock, so concurrent setLimit calls leave the table and the
    // live semaphore agreeing, and a semaphore created later starts from the newest limit.
    semaphore(key).setLimit(limit, () -> ownLimits.put(key, limit));
  }

  boolean hasOwnLimit(HostKey key) {
    return ownLimits.containsKey(key);
  }

  Set<HostKey> ownLimitKeys() {
    return ownLimits.keySet();
  }

  Collection<FifoHostSemaphore> semaphores() {
    return semaphores.asMap().values();
  }

  /** How many hosts the cache holds, after dropping those the GC collected. */
  int size() {
    semaphores.cleanUp();
    return (int) semaphores.estimatedSize();
  }
}
