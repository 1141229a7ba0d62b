package io.regulator.core.internal;

import java.util.concurrent.locks.AbstractQueuedSynchronizer;

/**
 * The lock of one host: a non-reentrant mutual-exclusion lock on {@link
 * AbstractQueuedSynchronizer}, so a thread that waits for it parks (and a virtual thread unmounts)
 * exactly as with {@code ReentrantLock}.
 *
 * <p>Why not {@code ReentrantLock}: its owner tracking (a store of the owning thread on every
 * lock, a check and a clearing store on every unlock) was about a tenth of an uncontended acquire
 * and release in regulator-bench, and no code path re-enters a host's lock. What remains is one
 * compare-and-set to lock and one volatile store to unlock, the least a blocking lock can do.
 *
 * <p>Thread-safe. The caller pairs every {@link #lock()} with one {@link #unlock()} on the same
 * thread, in a {@code try}/{@code finally}; nothing checks it.
 */
final class HostLock extends AbstractQueuedSynchronizer {
  private static final long serialVersionUID = 1L;

  void lock() {
    if (!compareAndSetState(0, 1)) {
      acquire(1); // parks until an unlock hands over; ignores interrupts, as lock() does
    }
  }

  void unlock() {
    release(1);
  }

  @Override
  protected boolean tryAcquire(int ignored) {
    return compareAndSetState(0, 1);
  }

  @Override
  protected boolean tryRelease(int ignored) {
    setState(0);
    return true;
  }

  @Override
  protected boolean isHeldExclusively() {
    return getState() != 0;
  }
}
