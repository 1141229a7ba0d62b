package io.regulator.core.internal;

import io.regulator.HostKey;
import io.regulator.HostRegulator;
import io.regulator.HostSnapshot;
import io.regulator.RegulatedPool;
import java.lang.ref.Cleaner;
import java.lang.ref.WeakReference;
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
import java.util.concurrent.TimeUnit;
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

  /** One cleaner thread for every regulator's pools and tracked slots. */
  private static final Cleaner CLEANER = Cleaner.create(runnable -> {
    Thread thread = new Thread(runnable, "regulator-pool-cleaner");
    thread.setDaemon(true);
    return thread;
  });

  private final RegulatorSettings settings;
  private final HostTable table;

  /** Resolved once: {@link SlotObserver#NONE} unless meters, listeners or leak detection. */
  private final SlotObserver observer;
  private final ConcurrentMap<String, PoolLedger> pools = new ConcurrentHashMap<>();
  private final AtomicReference<ScheduledExecutorService> timer = new AtomicReference<>();

  // Issue 16: adaptive limits and shared Retry-After, each null unless configured.
  private final AdaptiveLimits adaptive;
  private final HostBackoff backoff;
  private final OutcomeSink outcomes;
  private volatile boolean closed;

  /** A regulator with these settings. */
  public SemaphoreRegistry(RegulatorSettings settings) {
    this.settings = Objects.requireNonNull(settings, "settings");
    WaitPathWarmup.ensureLoaded(); // before any deadline of this JVM starts counting
    // Only meters care when a host leaves the table; without them the cache has no listener.
    this.table = new HostTable(settings,
        (settings.meterRegistry() == null && !settings.adapts()) ? null : this::hostRemoved);
    this.adaptive = settings.adapts() ? new AdaptiveLimits(settings.adaptiveDefault(),
        settings.adaptivePerHost(), table, settings.ticker()) : null;
    this.backoff = settings.sharesBackoff() ? new HostBackoff(settings.backoffDefault(),
        settings.backoffPerHost(), settings.ticker()) : null;
    this.outcomes = OutcomeSink.of(adaptive, backoff);
    List<SlotObserver> observers = new ArrayList<>(3);
    if (settings.meterRegistry() != null) {
      // The only mention of Micrometer: without a registry this class is never loaded.
      observers.add(new MicrometerObserver(settings.meterRegistry(), table,
          settings.maxTaggedHosts(), settings.ticker()));
    }
    ListenerNotifier listeners = null;
    if (!settings.listeners().isEmpty()) {
      listeners = new ListenerNotifier(settings.listeners(), settings.ticker());
      observers.add(listeners);
    }
    LeakTracker leaks = null;
    if (settings.detectsLeaks()) {
      leaks = new LeakTracker(settings.leakThreshold(), settings.reclaimUnreachableSlots(),
          settings.recordAcquisitionSites(), CLEANER, settings.ticker(), listeners);
      observers.add(leaks);
    }
    this.observer = ObserverChain.of(observers);
    if (adaptive != null) {
      adaptive.observer(observer);
    }
    if (backoff != null) {
      backoff.observer(observer);
    }
    if (leaks != null && leaks.reportsOverdue()) {
      LeakSweep.schedule(this, leaks, timer());
    }
  }

  private void hostRemoved(HostKey key) {
    if (adaptive != null) {
      adaptive.hostRemoved(key);
    }
    observer.hostRemoved(key);
  }

  RegulatorSettings settings() {
    return settings;
  }

  HostTable table() {
    return table;
  }

  /** The timer of async acquire timeouts and waiters' deadline sweeps, started on first use. */
  ScheduledExecutorService timer() {
    ScheduledExecutorService current = timer.get();
    if (current != null) {
      return current;
    }
    ScheduledThreadPoolExecutor created = new ScheduledThreadPoolExecutor(1, runnable -> {
      Thread thread = new Thread(runnable, "regulator-timeouts");
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
    PoolLedger ledger = new PoolLedger(name, observer, outcomes);
    while (true) {
      PoolLedger existing = pools.putIfAbsent(name, ledger);
      if (existing == null) {
        break;
      }
      if (!existing.isClosed()) {
        throw new IllegalStateException("an open pool is already named '" + name + "'");
      }
      // A pool that reports closed no longer owns its name, even while its closer is still
      // giving back its slots and has not unregistered it yet.
      if (pools.replace(name, existing, ledger)) {
        break;
      }
    }
    if (closed) {
      shutdown(ledger, false);
      throw new IllegalStateException("regulator is closed; cannot open pool '" + name + "'");
    }
    observer.poolOpened(ledger);
    RegulatedPool handle = new PoolHandle(ledger, this, CLEANER);
    // Issue 16: only a regulator with shared Retry-After puts a step before each acquire.
    return (backoff == null) ? handle : new BackoffPool(handle, backoff, this);
  }

  /**
   * Closes a pool's ledger: fails its waiters, gives back its slots, then tells the listeners.
   * Runs on the closing thread or the cleaner's. If another thread is closing the ledger, waits
   * until that thread gave every slot back, so that no close returns with the slots still out.
   */
  void shutdown(PoolLedger ledger, boolean unreachable) {
    if (!ledger.close()) {
      ledger.awaitReclaimed();
      return;
    }
    observer.poolClosing(ledger); // before the name is free, so a new pool's meters survive
    pools.remove(ledger.name, ledger);
    // Waiters are failed and slots given back now, but nobody is woken until the latch is open:
    // a woken waiter may run a continuation inline that closes this pool again.
    List<SlotWaiter> failed = new ArrayList<>();
    List<SlotWaiter> admitted = new ArrayList<>();
    List<LedgerSlot> reclaimed = new ArrayList<>(); // the slots themselves: only where stamped
    int reclaimedCount = 0;
    // Every host the pool could hold a slot of or wait for is in the table, pinned there while
    // busy or queued; a host that joined after this walk began never granted this pool a slot nor
    // queued its waiter (both read `closed`).
    for (FifoHostSemaphore semaphore : table.semaphores()) {
      semaphore.failAll(ledger, failed);
      reclaimedCount += semaphore.reclaimAll(ledger, admitted, reclaimed);
    }
    ledger.reclaimed();
    failed.forEach(SlotWaiter::wake);
    admitted.forEach(FifoHostSemaphore::wakeAll);
    if (unreachable) {
      LOG.log(System.Logger.Level.WARNING,
          "pool ''{0}'' became unreachable without close(); gave back its {1} slots",
          ledger.name, reclaimedCount);
    }
    // Observed only now that the latch is open: a listener that closes this pool again must not
    // wait for a latch that its own thread has yet to open.
    for (LedgerSlot slot : reclaimed) {
      observer.released(slot);
    }
    observer.poolClosed(ledger, reclaimedCount, unreachable);
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
    if (closed) {
      // As newPool: a limit set on a closed regulator would be silently lost with it.
      throw new IllegalStateException("regulator is closed; cannot set the limit of " + key + " to " + limit);
    }
    table.setLimit(key, limit);
    if (adaptive != null) {
      adaptive.limitSet(key, limit); // the algorithm continues from the limit set by hand
    }
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
    if (backoff != null) {
      backoff.closed(null); // acquires waiting out a shared backoff, in every pool (issue 16)
    }
    ScheduledExecutorService started = timer.get();
    if (started != null) {
      // Pending timeouts belong to waiters that the pools' close just failed.
      started.shutdownNow();
    }
    observer.regulatorClosed();
  }

  /**
   * Runs {@link LeakTracker#sweep} periodically on the timer thread. Holds its regulator weakly,
   * so that a regulator dropped without {@code close()} does not keep its timer running forever.
   */
  private static final class LeakSweep implements Runnable {
    private final WeakReference<SemaphoreRegistry> registry;
    private final LeakTracker leaks;
    private final ScheduledExecutorService timer;

    private LeakSweep(SemaphoreRegistry registry, LeakTracker leaks,
        ScheduledExecutorService timer) {
      this.registry = new WeakReference<>(registry);
      this.leaks = leaks;
      this.timer = timer;
    }

    static void schedule(SemaphoreRegistry registry, LeakTracker leaks,
        ScheduledExecutorService timer) {
      long period = leaks.sweepPeriod().toNanos();
      timer.scheduleWithFixedDelay(
          new LeakSweep(registry, leaks, timer), period, period, TimeUnit.NANOSECONDS);
    }

    @Override
    public void run() {
      SemaphoreRegistry current = registry.get();
      if (current == null) {
        timer.shutdown();
        return;
      }
      try {
        leaks.sweep(current.table.semaphores());
      } catch (RuntimeException e) {
        // A periodic task that throws is never run again; keep sweeping.
        LOG.log(System.Logger.Level.WARNING, "leak sweep failed", e);
      }
    }
  }

  @Override
  public String toString() {
    return "HostRegulator[" + pools.size() + " open pools, " + table.size() + " hosts]";
  }
}
