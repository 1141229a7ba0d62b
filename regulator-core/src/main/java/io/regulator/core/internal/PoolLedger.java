package io.regulator.core.internal;

import io.regulator.PoolClosedException;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.locks.ReentrantLock;

/**
 * One pool's book: whether it is closed, and its queued waiters, so that closing the pool can fail
 * every waiter. Its held slots are not kept here but in their hosts' lists, each naming this
 * ledger, so that taking and giving back a slot take no pool-wide lock; closing the pool walks the
 * hosts to find them (see {@link FifoHostSemaphore}). This is what the Erlang client lacked: its
 * per-host counter knew how many connections were in use, but not whose.
 *
 * <p>Thread-safe. Lock order: a host semaphore's lock may be held while taking this ledger's lock
 * (a grant removes the waiter here atomically with the host's count), never the reverse.
 */
final class PoolLedger {
  /** How a grant to a waiter of this pool ended. */
  enum Grant {
    GRANTED,
    POOL_CLOSED,
    ABANDONED
  }

  final String name;

  /** The regulator's observer, reached through the ledger by its slots and waiters. */
  final SlotObserver observer;

  /** Where its slots' outcome reports go (issue 16); null unless adaptive limits or shared backoff. */
  final OutcomeSink outcomes;

  private final ReentrantLock lock = new ReentrantLock();

  /**
   * Written under {@code lock}; volatile so that hosts read it under their own lock (see {@link
   * FifoHostSemaphore}) and acquires can refuse early.
   */
  private volatile boolean closed;

  @GuardedBy("lock")
  private final Set<SlotWaiter> waiters = new HashSet<>();

  /** Opened by the closer that won {@link #close()} once every slot is back with its host. */
  private final CountDownLatch reclaimed = new CountDownLatch(1);

  PoolLedger(String name, SlotObserver observer, OutcomeSink outcomes) {
    this.name = name;
    this.observer = observer;
    this.outcomes = outcomes;
  }

  boolean isClosed() {
    return closed;
  }

  PoolClosedException closedException() {
    return new PoolClosedException(name);
  }

  /**
   * Hands a queued waiter its slot, unless the pool closed or the waiter left. Called by {@code
   * host.drain} under the host's lock; the slot is pushed and counted under this lock, so that a
   * close, which takes this lock to set {@code closed} before it walks the hosts, finds it.
   */
  Grant grant(SlotWaiter waiter, LedgerSlot slot, FifoHostSemaphore host) {
    lock.lock();
    try {
      if (closed) {
        return Grant.POOL_CLOSED;
      }
      waiters.remove(waiter);
      host.admit(slot);
      if (waiter.grant(slot)) {
        host.granted(slot, waiter.thread());
        return Grant.GRANTED;
      }
      host.abandoned(slot);
      return Grant.ABANDONED;
    } finally {
      lock.unlock();
    }
  }

  /** Records a queued waiter; false if the pool closed. */
  boolean addWaiter(SlotWaiter waiter) {
    lock.lock();
    try {
      return !closed && waiters.add(waiter);
    } finally {
      lock.unlock();
    }
  }

  void removeWaiter(SlotWaiter waiter) {
    lock.lock();
    try {
      waiters.remove(waiter);
    } finally {
      lock.unlock();
    }
  }

  /** Tells closers that lost the race that the winner gave every slot back. */
  void reclaimed() {
    reclaimed.countDown();
  }

  /**
   * Waits until the closer that won gave every slot back, so that no {@code close()} returns
   * before the pool's slots are with their hosts. Bounded by a few lock hand-offs: the winner
   * opens the latch before it calls any listener.
   */
  void awaitReclaimed() {
    boolean interrupted = false;
    while (true) {
      try {
        reclaimed.await();
        break;
      } catch (InterruptedException e) {
        interrupted = true;
      }
    }
    if (interrupted) {
      Thread.currentThread().interrupt();
    }
  }

  /**
   * Marks the ledger closed and hands over its queued waiters, or returns null if it was closed
   * already. The caller fails the waiters and reclaims the slots from the hosts, outside this
   * lock.
   */
  List<SlotWaiter> close() {
    lock.lock();
    try {
      if (closed) {
        return null;
      }
      closed = true;
      List<SlotWaiter> queued = new ArrayList<>(waiters);
      waiters.clear();
      return queued;
    } finally {
      lock.unlock();
    }
  }
}
