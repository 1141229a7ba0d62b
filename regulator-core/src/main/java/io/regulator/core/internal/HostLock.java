package io.regulator.core.internal;

import java.util.concurrent.locks.AbstractQueuedSynchronizer;

/**
 * The lock of one host, which its {@link FifoHostSemaphore} extends: a non-reentrant
 * mutual-exclusion lock on {@link AbstractQueuedSynchronizer}, so a thread that waits for it parks
 * (and a virtual thread unmounts) exactly as with {@code ReentrantLock}.
 *
 * <p>Why not a {@code ReentrantLock} field: its owner tracking (a store of the owning thread on
 * every lock, a check and a clearing store on every unlock) was about a tenth of an uncontended
 * acquire and release in regulator-bench, no code path re-enters a host's lock, and a separate
 * lock object is one more dependent cache miss per acquire when many hosts are in use. What
 * remains is one compare-and-set to lock and one volatile store to unlock.
 *
 * <p>Critical sections are a few field writes, so a thread that finds the lock taken retries a
 * few times, spinning, before it queues and parks: parking and unparking cost microseconds, and
 * two threads taking slots of one host would otherwise park each other on almost every collision.
 *
 * <p>Thread-safe. The caller pairs every {@link #lock()} with one {@link #unlock()} on the same
 * thread, in a {@code try}/{@code finally}; nothing checks it.
 */
abstract class HostLock extends AbstractQueuedSynchronizer {
  private static final long serialVersionUID = 1L;

  /** How many times a thread retries a taken lock before it parks; a few hundred nanoseconds. */
  private static final int SPINS = 32;

  final void lock() {
    if (compareAndSetState(0, 1)) {
      return;
    }
    for (int i = 0; i < SPINS; i++) {
      Thread.onSpinWait();
      if (getState() == 0 && compareAndSetState(0, 1)) {
        return;
      }
    }
    acquire(1); // queues and parks until an unlock hands over; ignores interrupts, as lock() does
  }

  /** Takes the lock if it is free, never waiting. */
  final boolean tryLock() {
    return compareAndSetState(0, 1);
  }

  final void unlock() {
    release(1);
  }

  @Override
  protected final boolean tryAcquire(int ignored) {
    return compareAndSetState(0, 1);
  }

  @Override
  protected final boolean tryRelease(int ignored) {
    setState(0);
    return true;
  }

  @Override
  protected final boolean isHeldExclusively() {
    return getState() != 0;
  }
}
