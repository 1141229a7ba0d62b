package io.regulator.reactor.netty;

import io.netty.channel.Channel;
import io.netty.channel.ChannelFuture;
import io.netty.util.concurrent.Future;
import io.netty.util.concurrent.GenericFutureListener;
import io.regulator.Slot;
import java.util.concurrent.atomic.AtomicIntegerFieldUpdater;
import java.util.concurrent.atomic.AtomicReferenceFieldUpdater;
import reactor.netty.Connection;

/**
 * The slot of one acquire, given back exactly once: when its connection goes back to the pool
 * ({@code RELEASED}), when its channel closes, or when the acquire fails or is cancelled before
 * the connection was handed over, whichever comes first.
 *
 * <p>Thread-safe: {@link #release()} and {@link #watch(Connection)} may race from any threads.
 */
final class Lease implements GenericFutureListener<Future<? super Void>> {
  private static final AtomicIntegerFieldUpdater<Lease> DONE =
      AtomicIntegerFieldUpdater.newUpdater(Lease.class, "done");
  private static final AtomicReferenceFieldUpdater<Lease, Channel> CHANNEL =
      AtomicReferenceFieldUpdater.newUpdater(Lease.class, Channel.class, "channel");

  private final Slot slot;
  private final RegulatedConnectionProvider provider;
  // 0 until the first release(); the one that flips it gives the slot back.
  private volatile int done;
  // The channel whose close gives the slot back; set once, by the first watch().
  private volatile Channel channel;

  Lease(Slot slot, RegulatedConnectionProvider provider) {
    this.slot = slot;
    this.provider = provider;
    provider.live().add(this);
  }

  Slot slot() {
    return slot;
  }

  /** Gives the slot back when {@code connection}'s channel closes, unless released before. */
  void watch(Connection connection) {
    Channel ch = connection.channel();
    if (ch == null || !CHANNEL.compareAndSet(this, null, ch)) {
      return;
    }
    ch.closeFuture().addListener(this); // runs at once if the channel is already closed
    if (done != 0) {
      // Released while the listener was being added: a keep-alive channel must not collect one
      // listener per lease.
      ch.closeFuture().removeListener(this);
    } else if (provider.isDisposed()) {
      // The provider's dispose swept its leases before this one named its channel (it writes
      // the flag, then reads channels; this writes the channel, then reads the flag).
      ch.close();
    }
  }

  /** Gives the slot back; true the first time. Never blocks, so it may run on an event loop. */
  boolean release() {
    if (!DONE.compareAndSet(this, 0, 1)) {
      return false;
    }
    provider.live().remove(this);
    Channel ch = channel;
    if (ch != null) {
      ch.closeFuture().removeListener(this);
    }
    slot.release();
    return true;
  }

  boolean isReleased() {
    return done != 0;
  }

  /**
   * Closes the watched channel, if any: the provider's dispose stops the exchanges in flight. The
   * future completes once it closed, or failed to (an event loop already shut down rejects the
   * close); null when no channel is known yet.
   */
  ChannelFuture closeChannel() {
    Channel ch = channel;
    return ch == null ? null : ch.close();
  }

  @Override
  public void operationComplete(Future<? super Void> closed) {
    release();
  }

  @Override
  public String toString() {
    return "Lease{" + slot.key() + ", released=" + isReleased() + ", channel=" + channel + '}';
  }
}
