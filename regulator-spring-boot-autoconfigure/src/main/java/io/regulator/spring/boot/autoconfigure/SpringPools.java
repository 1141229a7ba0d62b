package io.regulator.spring.boot.autoconfigure;

import io.regulator.HostKey;
import io.regulator.HostRegulator;
import io.regulator.PoolClosedException;
import io.regulator.RegulatedPool;
import io.regulator.Slot;
import java.time.Duration;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;
import org.apache.commons.logging.Log;
import org.apache.commons.logging.LogFactory;
import org.springframework.beans.factory.DisposableBean;

/**
 * Opens one {@link RegulatedPool} per client that Boot builds, named after what built it, and closes
 * every one of them with the context: a RestTemplate or RestClient built from Boot's builders is no
 * bean, so nothing else would ever close its pool, and closing the context must give back every slot
 * the context's clients hold.
 *
 * <p>Shutdown keeps the cap: the context's pools are closed one after another, and a slot that one
 * of them gives back could go to a waiter of a pool not closed yet, whose request would then start
 * while the first pool's requests are still on the wire. So shutdown first marks every pool as
 * closing (a slot granted to one of them from then on is given straight back and its caller fails
 * with {@link PoolClosedException}), then closes each client that can abort its connections (an
 * HttpClient 5 manager), then each pool.
 *
 * <p>Thread-safe.
 */
public final class SpringPools implements DisposableBean {

  private static final Log log = LogFactory.getLog(SpringPools.class);

  private final HostRegulator regulator;
  private final Duration acquireTimeout;
  private final Map<String, AtomicInteger> counters = new ConcurrentHashMap<>();
  /** Each open pool, with the client that owns it (or the pool itself when there is none). */
  private final Map<RegulatedPool, AutoCloseable> open = new ConcurrentHashMap<>();
  /** Set once, by {@link #destroy()}, before any pool is closed. */
  private volatile boolean closing;

  SpringPools(HostRegulator regulator, Duration acquireTimeout) {
    this.regulator = regulator;
    this.acquireTimeout = acquireTimeout;
  }

  /** The regulator the pools are opened on. */
  public HostRegulator regulator() {
    return regulator;
  }

  /** How long an asynchronous acquire of these pools waits for a slot. */
  public Duration acquireTimeout() {
    return acquireTimeout;
  }

  /**
   * A new pool named {@code what#n}, the n-th client built by {@code what}.
   *
   * @param what the builder, e.g. {@code spring.request-factory.jdk}
   * @throws IllegalStateException once the context is closing
   */
  public RegulatedPool open(String what) {
    if (closing) {
      throw new IllegalStateException("the context is closing; no new pool for " + what);
    }
    int n = counters.computeIfAbsent(what, w -> new AtomicInteger()).incrementAndGet();
    RegulatedPool pool = new GuardedPool(regulator.newPool(what + "#" + n));
    open.put(pool, pool);
    return pool;
  }

  /**
   * Records the client that owns a pool, so that shutdown closes the client (aborting its
   * connections, then closing the pool) instead of the pool alone.
   */
  public void ownedBy(RegulatedPool pool, AutoCloseable client) {
    open.replace(pool, client);
  }

  /** Closes every client and pool still open: their slots go back and their waiters fail. */
  @Override
  public void destroy() {
    closing = true;
    for (Map.Entry<RegulatedPool, AutoCloseable> entry : open.entrySet()) {
      if (entry.getValue() != entry.getKey()) {
        try {
          entry.getValue().close();
        } catch (Exception e) {
          log.warn("Closing the client of pool " + entry.getKey().name() + " failed", e);
        }
      }
    }
    for (RegulatedPool pool : open.keySet()) {
      pool.close();
    }
    open.clear();
  }

  /** A pool that hands out no slot once the context is closing. */
  private final class GuardedPool implements RegulatedPool {
    private final RegulatedPool delegate;

    GuardedPool(RegulatedPool delegate) {
      this.delegate = delegate;
    }

    private Slot admit(Slot slot) {
      if (closing) {
        slot.release();
        throw new PoolClosedException(delegate.name());
      }
      return slot;
    }

    @Override
    public String name() {
      return delegate.name();
    }

    @Override
    public Slot acquire(HostKey key) throws InterruptedException {
      return admit(delegate.acquire(key));
    }

    @Override
    public Slot acquire(HostKey key, Duration timeout) throws InterruptedException {
      return admit(delegate.acquire(key, timeout));
    }

    @Override
    public Optional<Slot> tryAcquire(HostKey key) {
      return delegate.tryAcquire(key).map(this::admit);
    }

    /**
     * The delegate's future behind one of ours: cancelling or failing ours cancels the wait, and a
     * slot granted to a future nobody waits for any more goes straight back.
     */
    @Override
    public CompletableFuture<Slot> acquireAsync(HostKey key, Duration timeout) {
      CompletableFuture<Slot> source = delegate.acquireAsync(key, timeout);
      CompletableFuture<Slot> result = new CompletableFuture<>();
      source.whenComplete(
          (slot, failure) -> {
            if (failure != null) {
              result.completeExceptionally(failure);
              return;
            }
            Slot admitted;
            try {
              admitted = admit(slot);
            } catch (PoolClosedException e) {
              result.completeExceptionally(e);
              return;
            }
            if (!result.complete(admitted)) {
              admitted.release();
            }
          });
      result.whenComplete(
          (slot, failure) -> {
            if (failure != null) {
              source.cancel(false);
            }
          });
      return result;
    }

    @Override
    public int inUse() {
      return delegate.inUse();
    }

    @Override
    public int inUse(HostKey key) {
      return delegate.inUse(key);
    }

    @Override
    public boolean isClosed() {
      return delegate.isClosed();
    }

    @Override
    public void close() {
      delegate.close();
    }

    @Override
    public String toString() {
      return delegate.toString();
    }
  }
}
