package io.regulator.core.internal;

import io.regulator.PoolClosedException;
import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.util.concurrent.CountDownLatch;

/**
 * One pool's book: its name, whether it is closed, and the latch its closers wait on. Its held
 * slots and queued waiters are not kept here but in their hosts' lists and queues, each naming
 * this ledger, so that taking, waiting for and giving back a slot take no pool-wide lock (a set of
 * waiters here, under a lock of its own, was 16% of the samples of 64 virtual threads queueing on
 * one host); closing the pool walks the hosts to find them (see {@link FifoHostSemaphore}). This
 * is what the Erlang client lacked: its per-host counter knew how many connections were in use,
 * but not whose.
 *
 * <p>Thread-safe, lock-free.
 */
final class PoolLedger {
  private static final VarHandle CLOSED;

  static {
    try {
      CLOSED = MethodHandles.lookup().findVarHandle(PoolLedger.class, "closed", boolean.class);
    } catch (ReflectiveOperationException e) {
      throw new ExceptionInInitializerError(e);
    }
  }

  final String name;

  /** The regulator's observer, reached through the ledger by its slots and waiters. */
  final SlotObserver observer;

  /** Where its slots' outcome reports go (issue 16); null unless adaptive limits or shared backoff. */
  final OutcomeSink outcomes;

  /**
   * Set once, by the CAS of {@link #close}. Takes and grants read it after pushing their slot, and
   * acquires after marking their host queued, so that the closer's walk of the hosts finds
   * whatever they did before it (see {@link FifoHostSemaphore}).
   */
  @SuppressWarnings("unused") // written through CLOSED
  private volatile boolean closed;

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
   * Marks the ledger closed; false if it was closed already. The winner then fails the waiters
   * and reclaims the slots from the hosts.
   */
  boolean close() {
    return CLOSED.compareAndSet(this, false, true);
  }
}
