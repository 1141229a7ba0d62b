package io.regulator.reactor.netty;

import io.netty.resolver.AddressResolverGroup;
import io.regulator.HostKey;
import io.regulator.PoolClosedException;
import io.regulator.Slot;
import java.net.SocketAddress;
import java.util.Objects;
import java.util.concurrent.CancellationException;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.atomic.AtomicIntegerFieldUpdater;
import java.util.concurrent.atomic.AtomicReferenceFieldUpdater;
import java.util.function.Supplier;
import org.reactivestreams.Subscription;
import reactor.core.CoreSubscriber;
import reactor.core.publisher.Mono;
import reactor.core.publisher.Operators;
import reactor.netty.Connection;
import reactor.netty.ConnectionObserver;
import reactor.netty.transport.TransportConfig;
import reactor.util.context.Context;

/**
 * One regulated acquire: on the first request it takes a slot of the remote address's host with
 * {@code acquireAsync} (no thread waits), then acquires from the wrapped provider, and emits the
 * connection. Whatever ends it early gives the slot back: a failed slot wait emits its error, a
 * failed acquire releases, and a cancel at any step releases, including a slot or a connection
 * that arrives after the cancel (the connection is disposed, which hands it back to its pool).
 *
 * <p>Design. One state word moves NEW → WAITING (slot future pending) → CONNECTING (slot held,
 * wrapped provider subscribed) → DONE, or to CANCELLED from any state before DONE. Each step is a
 * CAS, so a completion and a cancel racing at any instant agree on who owns the slot: the step that
 * loses the CAS gives it back. Nothing here blocks; the slot future completes on the regulator's
 * executor, or at once on the requesting thread when a slot is free.
 *
 * <p>Thread-safe: the subscriber's {@code request} and {@code cancel}, the slot future's completion
 * and the wrapped provider's signals may come from different threads at once.
 */
final class SlotAcquire extends Mono<Connection> {
  private final RegulatedConnectionProvider provider;
  private final TransportConfig config;
  private final ConnectionObserver observer;
  private final Supplier<? extends SocketAddress> remoteAddress;
  private final AddressResolverGroup<?> resolverGroup;

  SlotAcquire(
      RegulatedConnectionProvider provider,
      TransportConfig config,
      ConnectionObserver observer,
      Supplier<? extends SocketAddress> remoteAddress,
      AddressResolverGroup<?> resolverGroup) {
    this.provider = provider;
    this.config = config;
    this.observer = observer;
    this.remoteAddress = remoteAddress;
    this.resolverGroup = resolverGroup;
  }

  @Override
  public void subscribe(CoreSubscriber<? super Connection> actual) {
    actual.onSubscribe(new Acquisition(this, actual));
  }

  private static final class Acquisition implements Subscription, CoreSubscriber<Connection> {
    private static final int NEW = 0;
    private static final int WAITING = 1;
    private static final int CONNECTING = 2;
    private static final int DONE = 3;
    private static final int CANCELLED = 4;

    private static final AtomicIntegerFieldUpdater<Acquisition> STATE =
        AtomicIntegerFieldUpdater.newUpdater(Acquisition.class, "state");
    private static final AtomicReferenceFieldUpdater<Acquisition, Subscription> UPSTREAM =
        AtomicReferenceFieldUpdater.newUpdater(Acquisition.class, Subscription.class, "upstream");

    private final SlotAcquire acquire;
    private final RegulatedConnectionProvider provider;
    private final CoreSubscriber<? super Connection> actual;
    // NEW, WAITING, CONNECTING, DONE or CANCELLED; moved only by CAS (see the class comment).
    private volatile int state;
    // Set once by start() when the slot is asked for; cancel() cancels it, and start() re-reads the
    // state after setting it, so a cancel racing start() is never missed.
    private volatile CompletableFuture<Slot> future;
    // Written once before the CAS WAITING → CONNECTING; null for an unregulated address.
    private volatile Lease lease;
    // The wrapped provider's subscription; Operators' cancelled marker once cancelled.
    private volatile Subscription upstream;

    Acquisition(SlotAcquire acquire, CoreSubscriber<? super Connection> actual) {
      this.acquire = acquire;
      this.provider = acquire.provider;
      this.actual = actual;
    }

    @Override
    public void request(long n) {
      if (Operators.validate(n) && STATE.compareAndSet(this, NEW, WAITING)) {
        start();
      }
    }

    private void start() {
      SocketAddress address;
      HostKey key;
      CompletableFuture<Slot> acquiring;
      try {
        address = Objects.requireNonNull(acquire.remoteAddress.get(), "remoteAddress supplied null");
        key = provider.keyOf(address);
        if (key == null) {
          // Not a host and port (a Unix domain socket): nothing to regulate.
          if (STATE.compareAndSet(this, WAITING, CONNECTING)) {
            connect(null, address);
          }
          return;
        }
        acquiring = provider.pool().acquireAsync(key, provider.acquireTimeout());
      } catch (RuntimeException e) {
        failWaiting(e);
        return;
      }
      future = acquiring;
      if (state == CANCELLED) {
        acquiring.cancel(false); // a slot granted at this instant comes to onSlot, which releases it
      }
      acquiring.whenComplete((slot, failure) -> onSlot(slot, failure, address));
    }

    private void onSlot(Slot slot, Throwable failure, SocketAddress address) {
      if (failure != null) {
        Throwable cause = failure instanceof CompletionException && failure.getCause() != null
            ? failure.getCause() : failure;
        if (!(cause instanceof CancellationException)) {
          failWaiting(cause);
        }
        return;
      }
      Lease granted = provider.newLease(slot);
      lease = granted;
      if (!STATE.compareAndSet(this, WAITING, CONNECTING)) {
        granted.release(); // cancelled at the instant of the grant
        return;
      }
      if (provider.isDisposed()) {
        granted.release();
        fail(CONNECTING, new PoolClosedException(provider.pool().name()));
        return;
      }
      connect(granted, address);
    }

    private void connect(Lease granted, SocketAddress address) {
      ConnectionObserver observer = acquire.observer;
      ConnectionObserver leaseObserver = granted == null ? observer : new LeaseObserver(granted, observer);
      Mono<? extends Connection> connecting;
      try {
        connecting = provider.delegate().acquire(
            acquire.config, leaseObserver, () -> address, acquire.resolverGroup);
      } catch (RuntimeException e) {
        if (granted != null) {
          granted.release();
        }
        fail(CONNECTING, e);
        return;
      }
      connecting.subscribe(this);
    }

    private void failWaiting(Throwable error) {
      fail(WAITING, error);
    }

    private void fail(int from, Throwable error) {
      if (STATE.compareAndSet(this, from, DONE)) {
        actual.onError(error);
      } else if (state != CANCELLED) {
        Operators.onErrorDropped(error, actual.currentContext());
      } // else: an error after the subscriber left is nobody's business

    }

    // The wrapped provider's side.

    @Override
    public void onSubscribe(Subscription s) {
      if (Operators.setOnce(UPSTREAM, this, s)) {
        s.request(Long.MAX_VALUE);
      }
    }

    @Override
    public void onNext(Connection connection) {
      Lease held = lease;
      if (held != null) {
        held.watch(connection);
      }
      if (STATE.compareAndSet(this, CONNECTING, DONE)) {
        actual.onNext(connection);
        actual.onComplete();
        return;
      }
      // Cancelled while the wrapped provider was handing it over: nobody will use it. Disposing
      // hands a pooled connection back to its pool (as HttpClient does with one it cancelled).
      connection.dispose();
      if (held != null) {
        held.release();
      }
    }

    @Override
    public void onError(Throwable error) {
      Lease held = lease;
      if (held != null) {
        held.release();
      }
      fail(CONNECTING, error);
    }

    @Override
    public void onComplete() {
      // After onNext this finds DONE and does nothing; an empty acquire gives its slot back.
      if (state != CONNECTING) {
        return;
      }
      Lease held = lease;
      if (held != null) {
        held.release();
      }
      if (STATE.compareAndSet(this, CONNECTING, DONE)) {
        actual.onComplete();
      }
    }

    @Override
    public Context currentContext() {
      return actual.currentContext();
    }

    // The subscriber's side.

    @Override
    public void cancel() {
      for (;;) {
        int s = state;
        if (s == DONE || s == CANCELLED) {
          return;
        }
        if (STATE.compareAndSet(this, s, CANCELLED)) {
          if (s == WAITING) {
            CompletableFuture<Slot> acquiring = future;
            if (acquiring != null) {
              acquiring.cancel(false);
            }
          } else if (s == CONNECTING) {
            Operators.terminate(UPSTREAM, this);
            Lease held = lease;
            if (held != null) {
              held.release();
            }
          }
          return;
        }
      }
    }
  }
}
