package io.regulator;

import java.time.Duration;

/**
 * One load-regulation slot of one host, held by one pool: the right to open or use one connection.
 *
 * <p>Give it back exactly once, when the connection closes or returns to its pool; a
 * try-with-resources block does that. Releasing is idempotent and safe from any thread: only the
 * first {@link #release()} gives the slot back, and a slot that its pool took back on close is
 * already released.
 *
 * <p>A pool that uses the slot for an attempt (one request, one connect) reports how the attempt
 * ended, once, before it releases the slot: {@link #reportSuccess}, {@link #reportDropped} or
 * {@link #reportIgnored}. A regulator with adaptive limits or shared {@code Retry-After} learns the
 * host's health from these reports; without them configured, reports cost a few loads and do
 * nothing. Time each attempt on its own: a retry's backoff is never part of a latency. A slot
 * whose regulator does not adapt (or a pool that never reports) changes nothing; the defaults do
 * nothing.
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

  /**
   * The attempt on this slot succeeded, the host answering after {@code latency} (from sending to
   * the response head; never a retry's wait).
   *
   * @throws NullPointerException if {@code latency} is null
   */
  default void reportSuccess(Duration latency) {}

  /**
   * The host pushed back on the attempt on this slot (429, 503, a timeout, a refused
   * connection). A success later in the same window, for instance the retry that then worked,
   * does not undo it.
   *
   * @throws NullPointerException if {@code reason} is null
   */
  default void reportDropped(DropReason reason) {
    reportDropped(reason, null);
  }

  /**
   * The host pushed back on the attempt and asked, with {@code Retry-After}, that nobody try again
   * for {@code retryAfter} (already capped by the caller's retry policy); null if it did not ask.
   * Where the regulator shares {@code Retry-After} for this host, every pool of the node then
   * waits it out.
   *
   * @throws NullPointerException if {@code reason} is null
   * @throws IllegalArgumentException if {@code retryAfter} is negative
   */
  default void reportDropped(DropReason reason, Duration retryAfter) {}

  /**
   * The attempt on this slot says nothing about the host's load: cancelled by the caller, or
   * answered with a client error.
   */
  default void reportIgnored() {}
}
