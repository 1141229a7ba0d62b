package io.regulator;

import java.time.Duration;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;

/**
 * A connection pool's view of the regulator: one per HTTP connection pool, client or library.
 *
 * <p>The pool takes a slot before it opens or leases a connection to a host and gives it back
 * when the connection closes or returns. {@link #close()} is the pool's shutdown hook: it gives
 * back every slot the pool still holds and fails its waiters, so a stopped pool never leaks the
 * host's capacity. A pool that becomes unreachable without {@code close()} is closed by a
 * {@link java.lang.ref.Cleaner} and the event is reported.
 *
 * <p>Thread-safe.
 */
public interface RegulatedPool extends AutoCloseable {

  /** The pool's name, unique among the regulator's open pools. */
  String name();

  /**
   * Takes a slot of {@code key}, waiting in FIFO order up to the regulator's default acquire
   * timeout.
   *
   * @throws SlotTimeoutException if no slot came in time
   * @throws HostOverloadedException if the host's waiter queue is full
   * @throws PoolClosedException if this pool is closed, or closes while waiting
   * @throws InterruptedException if the thread is interrupted while waiting; the interrupt status
   *     is cleared and a slot granted at that instant goes back to the host
   */
  Slot acquire(HostKey key) throws InterruptedException;

  /**
   * Takes a slot of {@code key}, waiting in FIFO order up to {@code timeout}; a zero timeout
   * never waits.
   *
   * @throws IllegalArgumentException if {@code timeout} is negative
   * @throws SlotTimeoutException if no slot came in time
   * @throws HostOverloadedException if the host's waiter queue is full
   * @throws PoolClosedException if this pool is closed, or closes while waiting
   * @throws InterruptedException if the thread is interrupted while waiting
   */
  Slot acquire(HostKey key, Duration timeout) throws InterruptedException;

  /**
   * Takes a slot of {@code key} if one is free and nobody is queued for it; never waits.
   *
   * @throws PoolClosedException if this pool is closed
   */
  Optional<Slot> tryAcquire(HostKey key);

  /**
   * Takes a slot of {@code key} without blocking the caller. The future completes with the slot,
   * or exceptionally with {@link SlotTimeoutException}, {@link HostOverloadedException} or
   * {@link PoolClosedException}. Cancelling the future, or completing it yourself, leaves the
   * queue; a slot granted at that instant goes back to the host.
   *
   * @throws IllegalArgumentException if {@code timeout} is negative
   */
  CompletableFuture<Slot> acquireAsync(HostKey key, Duration timeout);

  /** How many slots this pool holds now, across all hosts. */
  int inUse();

  /** How many slots of {@code key} this pool holds now. */
  int inUse(HostKey key);

  /** Whether {@link #close()} ran, explicitly or through the cleaner. */
  boolean isClosed();

  /**
   * Gives back every slot this pool still holds and fails its waiters with {@link
   * PoolClosedException}; when it returns, other pools' waiters can already have those slots.
   * Later acquires throw {@link PoolClosedException}, and releases of the reclaimed slots do
   * nothing. Idempotent.
   */
  @Override
  void close();
}
