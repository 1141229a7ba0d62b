package io.regulator;

/**
 * One load-regulation slot of one host, held by one pool: the right to open or use one connection.
 *
 * <p>Give it back exactly once, when the connection closes or returns to its pool; a
 * try-with-resources block does that. Releasing is idempotent and safe from any thread: only the
 * first {@link #release()} gives the slot back, and a slot that its pool took back on close is
 * already released.
 *
 * <p>Thread-safe.
 */
public interface Slot extends AutoCloseable {

  /** The host this slot counts against. */
  HostKey key();

  /** The name of the pool that holds this slot. */
  String poolName();

  /**
   * Gives the slot back to its host, which hands it to the longest waiter at once.
   *
   * @return {@code true} the first time; {@code false}, with no effect, on every later call and
   *     after the owning pool closed and took the slot back
   */
  boolean release();

  /** Whether the slot was given back, by {@link #release()} or by the owning pool's close. */
  boolean isReleased();

  /** Same as {@link #release()}; throws nothing. */
  @Override
  void close();
}
