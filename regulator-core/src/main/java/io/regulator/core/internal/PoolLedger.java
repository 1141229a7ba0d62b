package io.regulator.core.internal;

import io.regulator.HostKey;
import io.regulator.PoolClosedException;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.locks.ReentrantLock;

/**
 * One pool's book of what it holds: its slots and its queued waiters, so that closing the pool
 * can give back every slot and fail every waiter. This is what the Erlang client lacked: its
 * per-host counter knew how many connections were in use, but not whose.
 *
 * <p>Thread-safe. Lock order: a host semaphore's lock may be held while taking this ledger's lock
 * (a grant links the slot here atomically with the host's count), never the reverse.
 */
final class PoolLedger {
  /** How a grant to a waiter of this pool ended. */
  enum Grant {
    GRANTED,
    POOL_CLOSED,
    ABANDONED
  }

  /** What a closing ledger hands back: the slots to reclaim and the waiters to fail. */
  record Closing(List<LedgerSlot> slots, List<SlotWaiter> waiters) {}

  final String name;

  /** The regulator's observer, reached through the ledger by its slots and waiters. */
  final SlotObserver observer;

  private final ReentrantLock lock = new ReentrantLock();

  /** Written under {@code lock}; volatile so that acquires can refuse early without it. */
  private volatile boolean closed;

  @GuardedBy("lock")
  private LedgerSlot head;

  @GuardedBy("lock")
  private int held;

  @GuardedBy("lock")
  private final Set<SlotWaiter> waiters = new HashSet<>();

  /** Opened by the closer that won {@link #close()} once every slot is back with its host. */
  private final CountDownLatch reclaimed = new CountDownLatch(1);

  PoolLedger(String name, SlotObserver observer) {
    this.name = name;
    this.observer = observer;
  }

  boolean isClosed() {
    return closed;
  }

  PoolClosedException closedException() {
    return new PoolClosedException(name);
  }

  /** Records a slot taken without waiting; false if the pool closed. */
  boolean link(LedgerSlot slot) {
    lock.lock();
    try {
      if (closed) {
        return false;
      }
      push(slot);
      return true;
    } finally {
      lock.unlock();
    }
  }

  /** Hands a queued waiter its slot, atomically with recording it here. */
  Grant grant(SlotWaiter waiter, LedgerSlot slot) {
    lock.lock();
    try {
      if (closed) {
        return Grant.POOL_CLOSED;
      }
      waiters.remove(waiter);
      if (!waiter.grant(slot)) {
        return Grant.ABANDONED;
      }
      push(slot);
      return Grant.GRANTED;
    } finally {
      lock.unlock();
    }
  }

  @GuardedBy("lock")
  private void push(LedgerSlot slot) {
    slot.poolNext = head;
    if (head != null) {
      head.poolPrev = slot;
    }
    head = slot;
    held++;
  }

  /** Forgets a released slot; after close the whole book was already handed over. */
  void unlink(LedgerSlot slot) {
    lock.lock();
    try {
      if (closed) {
        return;
      }
      if (slot.poolPrev != null) {
        slot.poolPrev.poolNext = slot.poolNext;
      } else {
        head = slot.poolNext;
      }
      if (slot.poolNext != null) {
        slot.poolNext.poolPrev = slot.poolPrev;
      }
      slot.poolPrev = null;
      slot.poolNext = null;
      held--;
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

  int held() {
    lock.lock();
    try {
      return held;
    } finally {
      lock.unlock();
    }
  }

  int held(HostKey key) {
    lock.lock();
    try {
      int count = 0;
      for (LedgerSlot slot = head; slot != null; slot = slot.poolNext) {
        if (slot.semaphore.key.equals(key)) {
          count++;
        }
      }
      return count;
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
   * Marks the ledger closed and hands over its book, or returns null if it was closed already.
   * The caller reclaims the slots and fails the waiters outside this lock.
   */
  Closing close() {
    lock.lock();
    try {
      if (closed) {
        return null;
      }
      closed = true;
      List<LedgerSlot> slots = new ArrayList<>(held);
      for (LedgerSlot slot = head; slot != null; slot = slot.poolNext) {
        slots.add(slot);
      }
      head = null;
      held = 0;
      List<SlotWaiter> queued = new ArrayList<>(waiters);
      waiters.clear();
      return new Closing(slots, queued);
    } finally {
      lock.unlock();
    }
  }
}
