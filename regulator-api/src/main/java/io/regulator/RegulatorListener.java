package io.regulator;

import java.time.Duration;

/**
 * Hears what a regulator does to its slots and pools. Every method has an empty default, so a
 * listener overrides only what it needs.
 *
 * <p>The regulator calls listeners after it released every lock, on the thread where the event
 * happened (the acquiring or releasing thread, the async executor, the timer or the cleaner
 * thread); an exception thrown by a listener is caught and logged and changes nothing. Each slot
 * handed to a caller yields one {@link #acquired} and, once it is given back by whatever path, one
 * {@link #released}. Implementations must be thread-safe and quick.
 */
public interface RegulatorListener {

  /**
   * A caller got a slot.
   *
   * @param key the host
   * @param poolName the pool that holds the slot
   * @param waited how long the caller queued for it; zero when a slot was free
   */
  default void acquired(HostKey key, String poolName, Duration waited) {}

  /**
   * A slot went back to its host: released by its holder, taken back by its pool's close, or
   * reclaimed as a leak.
   *
   * @param key the host
   * @param poolName the pool that held the slot
   * @param held how long the slot was held
   */
  default void released(HostKey key, String poolName, Duration held) {}

  /**
   * An acquire gave up without a slot because its timeout passed; a {@code tryAcquire} that found
   * no free slot counts as a time-out after waiting zero.
   *
   * @param key the host
   * @param poolName the pool that asked
   * @param waited how long the caller queued
   */
  default void timedOut(HostKey key, String poolName, Duration waited) {}

  /**
   * A pool closed.
   *
   * @param poolName the pool's name
   * @param reclaimedSlots how many slots it still held, now given back to their hosts
   * @param unreachable {@code true} when nobody called {@code close()}: the pool became
   *     unreachable and its cleaner closed it, which usually means a leak in the pool's owner
   */
  default void poolClosed(String poolName, int reclaimedSlots, boolean unreachable) {}

  /**
   * A slot looks leaked: it was held longer than the regulator's leak threshold (reported once
   * per slot, and the slot stays held), or it became unreachable without being released and was
   * reclaimed. Only regulators built with leak detection report these.
   */
  default void leakSuspected(SlotLeak leak) {}

  /**
   * A host's adaptive limit moved (only regulators built with adaptive limits report these).
   *
   * @param key the host
   * @param previous the limit before
   * @param limit the limit now
   * @param reason why it moved
   */
  default void limitChanged(HostKey key, int previous, int limit, LimitChangeReason reason) {}

  /**
   * A host asked to be left alone ({@code Retry-After}) and the node shares the wait: new acquires
   * of the host wait for its end or fail fast, as configured (only hosts with shared backoff).
   *
   * @param key the host
   * @param wait how long from now the backoff lasts
   */
  default void backoffStarted(HostKey key, Duration wait) {}
}
