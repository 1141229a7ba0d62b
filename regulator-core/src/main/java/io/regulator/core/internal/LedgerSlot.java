package io.regulator.core.internal;

import io.regulator.DropReason;
import io.regulator.HostKey;
import io.regulator.Slot;
import java.time.Duration;

/**
 * A slot as its host semaphore records it: the token of one of the host's cells, naming its
 * pool's ledger, so taking and giving one back allocates nothing but this object and takes no
 * lock. A pool's close finds its slots by their cells.
 *
 * <p>Thread-safe: who gives it back is settled by one CAS of its cell from this slot's {@code
 * token} to free ({@code FifoHostSemaphore.giveBack}), by the holder, any other thread, or the
 * pool's close; the winner's CAS is also what returns the slot to its host. A cell's value counts
 * its takes, so no later take of the same cell has this token: a slot is released exactly when its
 * cell no longer holds its token ({@link #isReleased}), and once anyone sees it released, the host
 * has it back.
 */
final class LedgerSlot implements Slot {
  final FifoHostSemaphore semaphore;
  final PoolLedger ledger;
  final long acquiredAt;

  /** The segment of its host's cells that holds it, its index there, and the cell's held value. */
  final long[] cells;

  final int index;

  final long token;

  LedgerSlot(FifoHostSemaphore semaphore, PoolLedger ledger, long acquiredAt, long[] cells,
      int index, long token) {
    this.semaphore = semaphore;
    this.ledger = ledger;
    this.acquiredAt = acquiredAt;
    this.cells = cells;
    this.index = index;
    this.token = token;
  }

  /** Waits, if this slot's cell is still pending (a grant not yet marked held), until it is not. */
  void awaitTaken() {
    FifoHostSemaphore.settled(cells, index);
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
    // A pool closing meanwhile frees the cell first (giveBack then returns false) or finds it
    // freed: one CAS decides, and either way the slot is back once it reads as released.
    return semaphore.giveBack(this, true);
  }

  @Override
  public boolean isReleased() {
    return (long) FifoHostSemaphore.CELL.getVolatile(cells, index) != token;
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
