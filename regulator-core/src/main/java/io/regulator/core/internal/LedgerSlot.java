package io.regulator.core.internal;

import io.regulator.DropReason;
import io.regulator.HostKey;
import io.regulator.Slot;
import java.time.Duration;

/**
 * A slot as its host semaphore records it: in the host's intrusive list of held slots (in
 * acquisition order), naming its pool's ledger, so taking and giving one back allocates nothing
 * but this object and takes no lock but the host's. A pool's close finds its slots there.
 *
 * <p>Thread-safe: {@code released} flips once, under the host's lock and atomically with the
 * host's count, so whoever flips it (the holder, another thread, or the pool's close) is the one
 * that gives the slot back, and once anyone sees it released the host already has it back. A CAS
 * outside the lock would leave a window where the slot is marked released but still counted, and a
 * pool's close could return inside it.
 */
final class LedgerSlot implements Slot {
  final FifoHostSemaphore semaphore;
  final PoolLedger ledger;
  final long acquiredAt;

  /** Written under {@code semaphore.lock}; volatile so that a repeated release needs no lock. */
  volatile boolean released;

  @GuardedBy("semaphore.lock")
  LedgerSlot hostPrev;

  @GuardedBy("semaphore.lock")
  LedgerSlot hostNext;

  LedgerSlot(FifoHostSemaphore semaphore, PoolLedger ledger, long acquiredAt) {
    this.semaphore = semaphore;
    this.ledger = ledger;
    this.acquiredAt = acquiredAt;
  }

  @Override
  public HostKey key() {
    return semaphore.key;
  }

  @Override
  public String poolName() {
    return ledger.name;
  }

  @Override
  public boolean release() {
    // A pool closing meanwhile either reclaimed it first (giveBack then returns false) or finds
    // it gone from the host's list; either way no close returns while it is counted.
    return !released && semaphore.giveBack(this, true);
  }

  @Override
  public boolean isReleased() {
    return released;
  }

  @Override
  public void close() {
    release();
  }

  // Issue 16: outcome reports go to the regulator's adaptive limits and shared backoff, if any.

  @Override
  public void reportSuccess(Duration latency) {
    long nanos = OutcomeSink.latencyNanos(latency);
    OutcomeSink outcomes = ledger.outcomes;
    if (outcomes != null) {
      outcomes.success(this, nanos);
    }
  }

  @Override
  public void reportDropped(DropReason reason, Duration retryAfter) {
    long retryAfterNanos = OutcomeSink.retryAfterNanos(reason, retryAfter);
    OutcomeSink outcomes = ledger.outcomes;
    if (outcomes != null) {
      outcomes.dropped(this, retryAfterNanos);
    }
  }

  @Override
  public String toString() {
    return "Slot[" + semaphore.key + " held by '" + ledger.name + "'"
        + (isReleased() ? ", released]" : "]");
  }
}
