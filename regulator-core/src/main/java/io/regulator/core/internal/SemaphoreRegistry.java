package io.regulator.core.internal;

import io.regulator.HostKey;
import io.regulator.HostRegulator;
import io.regulator.HostSnapshot;
import io.regulator.RegulatedPool;
import io.regulator.RegulatorListener;
import java.lang.ref.Cleaner;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashSet;
import java.util.List;
import java.util.Objects;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentMap;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledThreadPoolExecutor;
import java.util.concurrent.atomic.AtomicReference;

/**
 * The node-wide registry: the host table, the open pools by name, and the timer of async
 * timeouts. See {@link FifoHostSemaphore} for the concurrency design.
 *
 * <p>Thread-safe. Opening and closing race safely with {@link #close()}: a pool registers before
 * it checks {@code closed}, and close sets {@code closed} before it walks the pools, so every pool
 * is either refused or closed.
 */
public final class SemaphoreRegistry implements HostRegulator {
  private static final System.Logger LOG = System.getLogger(SemaphoreRegistry.class.getName());

  /** One cleaner thread for every regulator's pools. */
  private static final Cleaner CLEANER = Cleaner.create(runnable -> {
    Thread thread = new Thread(runnable, "regulator-pool-cleaner");
    thread.setDaemon(true);
    return thread;
  });

  private final RegulatorSettings settings;
  private final HostTable table;
  private final ConcurrentMap<String, PoolLedger> pools = new ConcurrentHashMap<>();
  private final AtomicReference<ScheduledExecutorService> timer = new AtomicReference<>();
  private volatile boolean closed;

  /** A regulator with these settings. */
  public SemaphoreRegistry(RegulatorSettings settings) {
    this.settings = Objects.requireNonNull(settings, "settings");
    this.table = new HostTable(settings);
  }

  RegulatorSettings settings() {
    return settings;
  }

  HostTable table() {
    return table;
  }

  /** The timer of async acquire timeouts, started on first use: sync-only users get no thread. */
  ScheduledExecutorService timer() {
    ScheduledExecutorService current = timer.get();
    if (current != null) {
      return current;
    }
    ScheduledThreadPoolExecutor created = new ScheduledThreadPoolExecutor(1, runnable -> {
      Thread thread = new Thread(runnable, "regulator-async-timeouts");
      thread.setDaemon(true);
      return thread;
    });
    created.setRemoveOnCancelPolicy(true);
    if (timer.compareAndSet(null, created)) {
      return created;
    }
    created.shutdownNow();
    return timer.get();
  }

  @Override
  public RegulatedPool newPool(String name) {
    Objects.requireNonNull(name, "name");
    if (name.isBlank()) {
      throw new IllegalArgumentException("name is blank: \"" + name + "\"");
    }
    if (closed) {
      throw new IllegalStateException("regulator is closed; cannot open pool '" + name + "'");
    }
    PoolLedger ledger = new PoolLedger(name);
    if (pools.putIfAbsent(name, ledger) != null) {
      throw new IllegalStateException("an open pool is already named '" + name + "'");
    }
    if (closed) {
      shutdown(ledger, false);
      throw new IllegalStateException("regulator is closed; cannot open pool '" + name + "'");
    }
    return new PoolHandle(ledger, this, CLEANER);
  }

  /**
   * Closes a pool's ledger: fails its waiters, gives back its slots, then tells the listeners.
   * Runs on the closing thread or the cleaner's; does nothing if the ledger was closed already.
   */
  void shutdown(PoolLedger ledger, boolean unreachable) {
    PoolLedger.Closing closing = ledger.close();
    if (closing == null) {
      return;
    }
    pools.remove(ledger.name, ledger);
    for (SlotWaiter waiter : closing.waiters()) {
      if (waiter.fail()) {
        waiter.semaphore.leave(waiter);
        waiter.wake();
      }
    }
    int reclaimed = 0;
    for (LedgerSlot slot : closing.slots()) {
      if (slot.reclaim()) {
        reclaimed++;
      }
    }
    if (unreachable) {
      LOG.log(System.Logger.Level.WARNING,
          "pool ''{0}'' became unreachable without close(); gave back its {1} slots",
          ledger.name, reclaimed);
    }
    for (RegulatorListener listener : settings.listeners()) {
      try {
        listener.poolClosed(ledger.name, reclaimed, unreachable);
      } catch (RuntimeException e) {
        LOG.log(System.Logger.Level.WARNING, "listener " + listener + " failed", e);
      }
    }
  }

  @Override
  public int limit(HostKey key) {
    return table.limit(Objects.requireNonNull(key, "key"));
  }

  @Override
  public void setLimit(HostKey key, int limit) {
    Objects.requireNonNull(key, "key");
    if (limit < 1) {
      throw new IllegalArgumentException("limit < 1: " + limit);
    }
    table.setLimit(key, limit);
  }

  @Override
  public int inUse(HostKey key) {
    FifoHostSemaphore semaphore = table.find(Objects.requireNonNull(key, "key"));
    return (semaphore == null) ? 0 : semaphore.inUse();
  }

  @Override
  public int waiting(HostKey key) {
    FifoHostSemaphore semaphore = table.find(Objects.requireNonNull(key, "key"));
    return (semaphore == null) ? 0 : semaphore.waiting();
  }

  @Override
  public List<HostSnapshot> snapshot() {
    List<HostSnapshot> hosts = new ArrayList<>();
    Set<HostKey> seen = new HashSet<>();
    for (FifoHostSemaphore semaphore : table.semaphores()) {
      HostSnapshot host = semaphore.snapshot(table.hasOwnLimit(semaphore.key));
      if (host != null) {
        hosts.add(host);
        seen.add(host.key());
      }
    }
    for (HostKey key : table.ownLimitKeys()) {
      if (!seen.contains(key)) {
        HostSnapshot host = table.semaphore(key).snapshot(true);
        hosts.add(host);
      }
    }
    hosts.sort(Comparator.comparing(HostSnapshot::key));
    return hosts;
  }

  @Override
  public int trackedHosts() {
    return table.size();
  }

  @Override
  public void close() {
    closed = true;
    for (PoolLedger ledger : pools.values()) {
      shutdown(ledger, false);
    }
    ScheduledExecutorService started = timer.get();
    if (started != null) {
      // Pending timeouts belong to waiters that the pools' close just failed.
      started.shutdownNow();
    }
  }

  @Override
  public String toString() {
    return "HostRegulator[" + pools.size() + " open pools, " + table.size() + " hosts]";
  }
}
