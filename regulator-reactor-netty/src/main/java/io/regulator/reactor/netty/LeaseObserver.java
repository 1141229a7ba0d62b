package io.regulator.reactor.netty;

import reactor.netty.Connection;
import reactor.netty.ConnectionObserver;
import reactor.util.context.Context;

/**
 * The observer a regulated acquire hands to the wrapped provider: it gives the lease's slot back
 * when the pool reports the connection {@code RELEASED}, watches the channel for a close from the
 * first event that names it, and forwards everything to the caller's observer.
 *
 * <p>Thread-safe as {@link Lease} is; the wrapped provider calls it on the channel's event loop.
 */
final class LeaseObserver implements ConnectionObserver {
  private final Lease lease;
  private final ConnectionObserver next;

  LeaseObserver(Lease lease, ConnectionObserver next) {
    this.lease = lease;
    this.next = next;
  }

  @Override
  public void onStateChange(Connection connection, State newState) {
    if (newState == State.RELEASED) {
      // First the slot, then the caller: whatever the caller starts next may need that slot.
      lease.release();
    } else {
      lease.watch(connection);
    }
    next.onStateChange(connection, newState);
  }

  @Override
  public void onUncaughtException(Connection connection, Throwable error) {
    lease.watch(connection);
    next.onUncaughtException(connection, error);
  }

  @Override
  public Context currentContext() {
    return next.currentContext();
  }
}
