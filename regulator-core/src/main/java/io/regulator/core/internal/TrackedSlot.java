package io.regulator.core.internal;

import io.regulator.DropReason;
import io.regulator.HostKey;
import io.regulator.Slot;
import java.time.Duration;
import java.lang.ref.Cleaner;
import java.lang.ref.Reference;

/**
 * What a caller holds when unreachable slots are reclaimed: a thin handle around its {@link
 * LedgerSlot}, registered with a {@link Cleaner}. The ledger slot itself can never become
 * unreachable (its host's and its pool's lists link it), but this handle is referenced by nobody
 * but the caller; once the caller drops it unreleased, the cleaner gives the slot back and reports
 * the leak.
 *
 * <p>Thread-safe, as {@link LedgerSlot} is.
 */
final class TrackedSlot implements Slot {
  private final LedgerSlot slot;
  private final Cleaner.Cleanable cleanable;

  TrackedSlot(LedgerSlot slot, Cleaner cleaner, Runnable reclaim) {
    this.slot = slot;
    this.cleanable = cleaner.register(this, reclaim);
  }

  @Override
  public HostKey key() {
    return slot.key();
  }

  @Override
  public String poolName() {
    return slot.poolName();
  }

  @Override
  public boolean release() {
    try {
      boolean released = slot.release();
      if (released) {
        cleanable.clean(); // deregisters; the action sees the slot released and does nothing
      }
      return released;
    } finally {
      // Without this, the JIT may treat this handle as unreachable while release() runs, and the
      // cleaner could report a leak of a slot being released.
      Reference.reachabilityFence(this);
    }
  }

  @Override
  public boolean isReleased() {
    return slot.isReleased();
  }

  @Override
  public void close() {
    release();
  }

  @Override
  public void reportSuccess(Duration latency) {
    slot.reportSuccess(latency);
  }

  @Override
  public void reportDropped(DropReason reason, Duration retryAfter) {
    slot.reportDropped(reason, retryAfter);
  }

  @Override
  public void reportIgnored() {
    slot.reportIgnored();
  }

  @Override
  public String toString() {
    return slot.toString();
  }
}
