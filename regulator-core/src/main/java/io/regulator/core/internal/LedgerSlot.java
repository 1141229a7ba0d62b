package io.regulator.core.internal;

import io.regulator.HostKey;
import io.regulator.Slot;
import java.util.List;

/**
 * A slot as its host semaphore and its pool's ledger both record it. It sits in two intrusive
 * lists, so taking and giving one back allocates nothing but this object: the host's list (in
 * acquisition order, for "who holds this host" diagnostics) and the pool's list (for close).
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

  @GuardedBy("ledger.lock")
  LedgerSlot poolPrev;

  @GuardedBy("ledger.lock")
  LedgerSlot poolNext;

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
    if (released || !semaphore.giveBack(this, true)) {
      return false;
    }
    // After the host has it back: a pool closing meanwhile either reclaimed it first (and we
    // returned above) or finds it released; either way no close returns while it is counted.
    ledger.unlink(this);
    return true;
  }

  /** Gives the slot back on behalf of its closing pool, unless its holder already did. */
  boolean reclaim(List<SlotWaiter> wakeLater) {
    return !released && semaphore.reclaim(this, wakeLater); // its close reports it
  }

  @Override
  public boolean isReleased() {
    return released;
  }

  @Override
  public void close() {
    release();
  }

  @Override
  public String toString() {
    return "Slot[" + semaphore.key + " held by '" + ledger.name + "'"
        + (isReleased() ? ", released]" : "]");
  }
}
