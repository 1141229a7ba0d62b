package io.regulator.zookeeper.internal;

import io.regulator.HostKey;
import io.regulator.Slot;
import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;

/**
 * A slot that passed both caps: the local regulator's slot and a fleet permit. Releasing it gives
 * back the fleet permit first, so that a caller of this node already holding its local slot can
 * take the lease over, then the local slot, then reports {@code released}, and only then wakes the
 * caller the lease went to: a listener sees both halves back, and the next holder's {@code
 * acquired} after this {@code released}.
 *
 * <p>Thread-safe: {@code released} flips once by CAS, and only the thread that flipped it gives
 * the halves back, so release is idempotent whoever calls it, the holder, another thread, or the
 * pool's close.
 */
final class LeasedSlot implements Slot {
  private static final VarHandle RELEASED;

  static {
    try {
      RELEASED = MethodHandles.lookup().findVarHandle(LeasedSlot.class, "released", boolean.class);
    } catch (ReflectiveOperationException e) {
      throw new ExceptionInInitializerError(e);
    }
  }

  private final LeaseLedger ledger;
  private final HostLeases host;
  private final Slot local;
  private final FleetPermit permit;

  /** When both caps granted the slot, on the regulator's ticker; for the hold time. */
  private final long grantedAt;

  @SuppressWarnings("unused") // through RELEASED
  private volatile boolean released;

  /** Written and read only by the one thread that flipped {@code released}. */
  private boolean localGivenBack;

  LeasedSlot(LeaseLedger ledger, HostLeases host, Slot local, FleetPermit permit) {
    this.ledger = ledger;
    this.host = host;
    this.local = local;
    this.permit = permit;
    this.grantedAt = ledger.runtime.now();
  }

  @Override
  public HostKey key() {
    return host.key;
  }

  @Override
  public String poolName() {
    return ledger.name;
  }

  /** Whether the fleet half is a lease in ZooKeeper (not a local-share grant). */
  boolean isLease() {
    return permit.isLease();
  }

  @Override
  public boolean release() {
    if (!RELEASED.compareAndSet(this, false, true)) {
      return false;
    }
    ledger.unlink(this);
    giveBack();
    return true;
  }

  /** Gives the slot back on behalf of its closing pool, unless its holder already did. */
  boolean reclaim() {
    if (!RELEASED.compareAndSet(this, false, true)) {
      return false;
    }
    giveBack();
    return true;
  }

  private void giveBack() {
    try {
      host.release(permit, this::giveBackLocal);
    } finally {
      giveBackLocal(); // in case the fleet half failed before it ran it
    }
  }

  /** The local half and the event; once. Only the thread that released the slot calls it. */
  private void giveBackLocal() {
    if (localGivenBack) {
      return;
    }
    localGivenBack = true;
    try {
      local.release();
    } finally {
      FleetRuntime runtime = ledger.runtime;
      runtime.events.released(host.key, ledger.name, runtime.now() - grantedAt);
    }
  }

  @Override
  public boolean isReleased() {
    return (boolean) RELEASED.getVolatile(this);
  }

  @Override
  public void close() {
    release();
  }

  @Override
  public String toString() {
    return "Slot[" + host.key + " held by '" + ledger.name + "' with " + permit
        + (isReleased() ? ", released]" : "]");
  }
}
