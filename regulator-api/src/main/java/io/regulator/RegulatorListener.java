package io.regulator;

/**
 * Hears what a regulator does to its pools. Every method has an empty default, so a listener
 * overrides only what it needs.
 *
 * <p>The regulator calls listeners after it released every lock; an exception thrown by a
 * listener is caught and logged and changes nothing. Implementations must be thread-safe.
 */
public interface RegulatorListener {

  /**
   * A pool closed.
   *
   * @param poolName the pool's name
   * @param reclaimedSlots how many slots it still held, now given back to their hosts
   * @param unreachable {@code true} when nobody called {@code close()}: the pool became
   *     unreachable and its cleaner closed it, which usually means a leak in the pool's owner
   */
  default void poolClosed(String poolName, int reclaimedSlots, boolean unreachable) {}
}
