package io.regulator.jetty;

import io.regulator.HostKey;
import io.regulator.PoolClosedException;
import io.regulator.RegulatedPool;
import io.regulator.RegulatorException;
import io.regulator.Slot;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.Queue;
import java.util.concurrent.CancellationException;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.ConcurrentLinkedDeque;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.Executor;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.locks.ReentrantLock;
import org.eclipse.jetty.client.Connection;
import org.eclipse.jetty.client.ConnectionPool;
import org.eclipse.jetty.client.transport.HttpDestination;
import org.eclipse.jetty.client.transport.HttpExchange;
import org.eclipse.jetty.util.component.ContainerLifeCycle;

/**
 * A Jetty {@link ConnectionPool} that takes a regulator slot for every exchange a connection
 * carries, decorating the pool the transport would have built ({@code DuplexConnectionPool} for
 * HTTP/1.1, {@code MultiplexConnectionPool} for HTTP/2). Built by {@link RegulatedPoolFactory}, one
 * per destination (origin); the key is the origin's host and port. Thread-safe.
 *
 * <h2>Design</h2>
 *
 * <p><b>Acquire never blocks.</b> {@link #acquire(boolean)} runs on whatever thread Jetty is on
 * (the caller's, a selector's, one completing a response), so it only ever calls
 * {@link RegulatedPool#tryAcquire}. Without a free slot it returns {@code null}: the exchange stays
 * queued in the {@link HttpDestination}, exactly as when the wrapped pool has no idle connection.
 * It then registers {@link RegulatedPool#acquireAsync} waits, one per queued exchange that has none
 * (places in the host's FIFO queue, across every pool of the node, so a Jetty request takes its turn
 * like a waiter of any other pool). When a wait is granted, the slot is parked in
 * {@code granted} and the destination is woken on the client's executor through
 * {@link HttpDestination#succeeded()}, the same call the wrapped pool makes when a new connection is
 * ready; its {@code process} loop calls {@code acquire} again, which takes the parked slot first.
 * A parked slot nobody took (the queue emptied meanwhile) goes straight back to the host.
 *
 * <p><b>Slot then connection.</b> A slot is taken before the wrapped pool is asked for a
 * connection. When it has no idle connection (it starts opening one and returns {@code null}), the slot, and
 * any other parked one, is given back at once: a connect never holds a slot, and the new connection
 * wakes the destination itself when it is ready (its exchanges then take their place in the host's
 * queue again).
 *
 * <p><b>A slot per exchange.</b> Each successful acquire carries exactly one exchange, for HTTP/1.1
 * and for HTTP/2 alike (a multiplexed pool hands the same connection out once per stream), and is
 * paired by Jetty with one {@link #release} or with the connection's {@link #remove}. The slots of
 * each connection are kept in {@code held}: a release gives back one of them, a remove all that are
 * left (Jetty does not release the streams of a removed HTTP/2 connection to the pool), so each
 * slot goes back exactly once.
 *
 * <p><b>Shutdown.</b> Stopping this pool (the destination stops: the client stops, or the destination
 * was idle and removed) stops the wrapped pool, which closes its connections, then gives back every
 * slot still held or parked and cancels the wait. Closing the {@link RegulatedPool} (the client's
 * stop does, see {@link RegulatedPoolFactory}) gives back all slots of all destinations at once.
 *
 * <p><b>Failures of a wait.</b> A {@link io.regulator.SlotTimeoutException} or
 * {@link io.regulator.HostOverloadedException} aborts the destination's oldest queued request with
 * it (each wait stands for one request), then the destination is woken to try again for the others;
 * a {@link PoolClosedException} aborts every queued request. Waits left over when queued requests
 * went away otherwise (their own timeout, an abort) are granted in turn and give their slot straight
 * back.
 */
public final class RegulatedConnectionPool extends ContainerLifeCycle implements ConnectionPool {

  private final ConnectionPool delegate;
  private final HttpDestination destination;
  private final RegulatedPool pool;
  private final HostKey key;
  private final Duration acquireTimeout;

  private final ReentrantLock lock = new ReentrantLock();
  /** The slots of the exchanges each connection carries now (several on a multiplexed one). */
  // @GuardedBy("lock")
  private final Map<Connection, ArrayDeque<Slot>> held = new IdentityHashMap<>();
  /** Slots granted to the destination's wait and not yet on a connection. */
  private final Queue<Slot> granted = new ConcurrentLinkedQueue<>();
  /** This destination's waits in the host's queue, oldest first; cancelled at stop. */
  private final Deque<CompletableFuture<Slot>> waits = new ConcurrentLinkedDeque<>();
  /** How many waits are registered or being registered (reserved before {@code acquireAsync}). */
  private final AtomicInteger waitCount = new AtomicInteger();
  /** Whether a failed wait is deciding which queued request it fails (at most one at a time). */
  private final AtomicBoolean aborting = new AtomicBoolean();
  /** Set once, when the pool stops; from then on every slot that turns up is given back. */
  private volatile boolean closed;

  RegulatedConnectionPool(ConnectionPool delegate, HttpDestination destination, RegulatedPool pool,
      Duration acquireTimeout) {
    this.delegate = Objects.requireNonNull(delegate, "delegate");
    this.destination = Objects.requireNonNull(destination, "destination");
    this.pool = Objects.requireNonNull(pool, "pool");
    this.acquireTimeout = Objects.requireNonNull(acquireTimeout, "acquireTimeout");
    this.key = HostKey.of(destination.getHost(), destination.getPort());
    addBean(delegate, true);
  }

  /** The pool this one decorates. */
  public ConnectionPool delegate() {
    return delegate;
  }

  /** The host and port whose slots this pool takes: its destination's origin. */
  public HostKey key() {
    return key;
  }

  /** The regulator's pool the slots are taken from (shared by every destination of the client). */
  public RegulatedPool regulatedPool() {
    return pool;
  }

  /** The slots this destination's connections hold now, one per exchange in flight. */
  public int heldSlots() {
    lock.lock();
    try {
      int n = 0;
      for (ArrayDeque<Slot> slots : held.values()) {
        n += slots.size();
      }
      return n;
    } finally {
      lock.unlock();
    }
  }

  /** How many of this destination's queued exchanges wait in the host's queue for a slot. */
  public int waitingExchanges() {
    return waitCount.get();
  }

  @Override
  public Connection acquire(boolean create) {
    Slot slot = granted.poll();
    if (slot == null) {
      Optional<Slot> free;
      try {
        free = pool.tryAcquire(key);
      } catch (RegulatorException e) {
        // The regulator's pool was closed under a running client: nothing queued can go out.
        destination.failed(e);
        return null;
      }
      if (free.isEmpty()) {
        awaitSlot();
        return null;
      }
      slot = free.get();
    }
    Connection connection;
    try {
      connection = delegate.acquire(create);
    } catch (RuntimeException | Error e) {
      slot.release();
      throw e;
    }
    if (connection == null) {
      // Opening a connection (or the wrapped pool is full): its readiness or a release wakes us,
      // and the exchanges then wait again. No slot stays parked meanwhile: if the connect fails,
      // Jetty fails the queue without calling this pool, and a parked slot would be held by nobody.
      slot.release();
      returnGranted();
      return null;
    }
    if (!hold(connection, slot)) {
      slot.release();
    } else if (!delegate.isActive(connection)) {
      // Removed (closed) between the wrapped acquire and hold(): that remove found nothing to give back.
      for (Slot orphan : unholdAll(connection)) {
        orphan.release();
      }
    }
    return connection;
  }

  @Override
  public boolean release(Connection connection) {
    boolean reusable = delegate.release(connection);
    Slot slot = unholdOne(connection);
    if (slot != null) {
      slot.release();
    }
    return reusable;
  }

  @Override
  public boolean remove(Connection connection) {
    boolean removed = delegate.remove(connection);
    for (Slot slot : unholdAll(connection)) {
      slot.release();
    }
    return removed;
  }

  @Override
  public boolean isActive(Connection connection) {
    return delegate.isActive(connection);
  }

  @Override
  public boolean isEmpty() {
    return delegate.isEmpty();
  }

  @Override
  public boolean accept(Connection connection) {
    return delegate.accept(connection);
  }

  @Override
  public CompletableFuture<Void> preCreateConnections(int connectionCount) {
    return delegate.preCreateConnections(connectionCount);
  }

  @Override
  protected void doStop() throws Exception {
    closed = true;
    for (CompletableFuture<Slot> pending : List.copyOf(waits)) {
      pending.cancel(false);
    }
    try {
      super.doStop();
    } finally {
      List<Slot> left = new ArrayList<>();
      lock.lock();
      try {
        held.values().forEach(left::addAll);
        held.clear();
      } finally {
        lock.unlock();
      }
      left.forEach(Slot::release);
      returnGranted();
    }
  }

  private boolean hold(Connection connection, Slot slot) {
    lock.lock();
    try {
      if (closed) {
        return false;
      }
      held.computeIfAbsent(connection, c -> new ArrayDeque<>(1)).add(slot);
      return true;
    } finally {
      lock.unlock();
    }
  }

  private Slot unholdOne(Connection connection) {
    lock.lock();
    try {
      ArrayDeque<Slot> slots = held.get(connection);
      if (slots == null) {
        return null;
      }
      Slot slot = slots.poll();
      if (slots.isEmpty()) {
        held.remove(connection);
      }
      return slot;
    } finally {
      lock.unlock();
    }
  }

  private List<Slot> unholdAll(Connection connection) {
    lock.lock();
    try {
      ArrayDeque<Slot> slots = held.remove(connection);
      return slots == null ? List.of() : List.copyOf(slots);
    } finally {
      lock.unlock();
    }
  }

  /**
   * Keeps one wait in the host's queue for each queued exchange that has no parked slot: registers
   * the missing ones, and cancels the newest surplus ones. Never blocks.
   *
   * <p>Jetty's queue still counts an exchange whose acquire just succeeded until its thread polls
   * it, so a concurrent count can run one high and register a wait too many; the next balance, on
   * the thread that goes on processing the queue, cancels it. A surplus is judged on that same
   * high count, so no wait that an exchange needs is ever cancelled for good: after each cancel the
   * count is read again.
   */
  private void awaitSlot() {
    while (!closed) {
      int registered = waitCount.get();
      int needed = destination.getQueuedRequestCount() - granted.size();
      if (registered > needed) {
        CompletableFuture<Slot> newest = waits.pollLast();
        if (newest == null || !newest.cancel(false)) {
          return; // being registered, or granted meanwhile: its own handler accounts for it
        }
      } else if (registered == needed) {
        return;
      } else if (waitCount.compareAndSet(registered, registered + 1) && !register()) {
        return; // refused at once (full waiter queue): its failure handling takes it from here
      }
    }
  }

  /** Registers one wait; false if it failed at once. */
  private boolean register() {
    CompletableFuture<Slot> future;
    try {
      future = pool.acquireAsync(key, acquireTimeout);
    } catch (RuntimeException e) {
      waitCount.decrementAndGet();
      dispatch(() -> onWaitFailed(e));
      return false;
    }
    waits.addLast(future);
    if (closed) {
      future.cancel(false);
    }
    future.whenComplete((slot, failure) -> {
      waits.remove(future);
      if (failure == null) {
        // Parked before the count drops, so a concurrent acquire sees either the slot or the wait.
        granted.add(slot);
        waitCount.decrementAndGet();
        if (closed) {
          returnGranted();
        } else {
          dispatch(this::wake);
        }
      } else {
        waitCount.decrementAndGet();
        dispatch(() -> onWaitFailed(failure));
      }
    });
    return !future.isCompletedExceptionally();
  }

  /** Lets the destination send its queued exchanges with the parked slot; returns it if unused. */
  private void wake() {
    if (!closed) {
      destination.succeeded();
    }
    if (closed || destination.getQueuedRequestCount() == 0) {
      returnGranted();
    }
  }

  private void onWaitFailed(Throwable failure) {
    Throwable cause = (failure instanceof CompletionException && failure.getCause() != null)
        ? failure.getCause() : failure;
    if (closed || cause instanceof CancellationException) {
      return;
    }
    if (cause instanceof PoolClosedException) {
      destination.failed(cause);
      return;
    }
    // A slot timeout or a full waiter queue: the oldest queued request gets it, the others go on.
    // Unless every queued request still has a wait or a parked slot: then this wait was a surplus
    // one (registered for an exchange that was already leaving the queue) and fails nobody. One
    // failure decides at a time, so two cannot both count the same uncovered request; one that
    // finds another deciding leaves it to the next round (its wake registers, and fails, again).
    if (aborting.compareAndSet(false, true)) {
      try {
        if (destination.getQueuedRequestCount() > waitCount.get() + granted.size()) {
          HttpExchange oldest = destination.getHttpExchanges().peek();
          if (oldest != null) {
            oldest.getRequest().abort(cause);
          }
        }
      } finally {
        aborting.set(false);
      }
    }
    wake();
  }

  private void returnGranted() {
    Slot slot;
    while ((slot = granted.poll()) != null) {
      slot.release();
    }
  }

  private void dispatch(Runnable task) {
    Executor executor = destination.getHttpClient().getExecutor();
    try {
      executor.execute(task);
    } catch (RejectedExecutionException stopping) {
      returnGranted();
    }
  }

  @Override
  public String toString() {
    return "RegulatedConnectionPool[" + key + " in '" + pool.name() + "', held=" + heldSlots()
        + ", granted=" + granted.size() + ", waiting=" + waitCount.get() + ", " + delegate + "]";
  }
}
