package io.regulator.core.internal;

import io.regulator.HostKey;
import io.regulator.LimitChangeReason;
import io.regulator.core.AdaptiveLimit;
import java.lang.ref.WeakReference;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentMap;
import java.util.concurrent.locks.ReentrantLock;
import java.util.function.LongSupplier;

/**
 * The adaptive limits of one regulator (issue 16): per host, the state of its algorithm, fed by the
 * outcomes its pools report, moving the host's live limit. Only regulators built with {@code
 * adaptiveLimits} or {@code adaptiveLimit(key, ...)} have one; the acquire and release paths never
 * touch it.
 *
 * <h2>Concurrency</h2>
 *
 * Each host's algorithm state is guarded by its own {@link ReentrantLock} ({@link Host#lock}),
 * held only to update the state and record the newest decision ({@link Host#target}). The
 * decision is applied through {@link FifoHostSemaphore#setLimit} after that lock is released
 * (see {@link #apply}): a raised limit wakes waiters, whose continuations may report again, so no
 * adaptive lock is ever held while the semaphore's is taken or a waiter is woken. Listeners and
 * meters hear of a change after that.
 *
 * <h2>Entry lifecycle</h2>
 *
 * A host's state references its semaphore weakly and is dropped with it (the table's removal
 * callback): a host idle long enough to leave the table starts again from its configured limit.
 * A state whose semaphore was replaced meanwhile is rebuilt on the next report.
 *
 * <p>Thread-safe.
 */
final class AdaptiveLimits {
  private final AdaptiveLimit defaults;
  private final Map<HostKey, AdaptiveLimit> perHost;
  private final HostTable table;
  private final LongSupplier ticker;
  private final ConcurrentMap<HostKey, Host> hosts = new ConcurrentHashMap<>();

  /** Set once, right after the observer chain is built (it needs the table, which needs us). */
  private volatile SlotObserver observer = SlotObserver.NONE;

  AdaptiveLimits(AdaptiveLimit defaults, Map<HostKey, AdaptiveLimit> perHost, HostTable table,
      LongSupplier ticker) {
    this.defaults = defaults;
    this.perHost = Map.copyOf(perHost);
    this.table = table;
    this.ticker = ticker;
  }

  void observer(SlotObserver observer) {
    this.observer = observer;
  }

  /** Whether {@code key}'s limit adapts. */
  boolean adapts(HostKey key) {
    return defaults != null || perHost.containsKey(key);
  }

  /**
   * One attempt's outcome on a slot of {@code semaphore}.
   *
   * @param latencyNanos the attempt's latency (successes), or 0
   * @param dropped whether the host pushed back
   */
  void sample(FifoHostSemaphore semaphore, long latencyNanos, boolean dropped) {
    Host host = host(semaphore);
    if (host == null) {
      return;
    }
    long now = ticker.getAsLong();
    int inflight = semaphore.inUse();
    List<Change> changes;
    host.lock.lock();
    try {
      List<Change> decided = host.sample(now, latencyNanos, inflight, dropped);
      if (decided.isEmpty() && !host.pending) {
        return; // the usual report: no change, no allocation
      }
      if (!decided.isEmpty()) {
        host.target = decided.get(decided.size() - 1).limit;
      }
      changes = decided.isEmpty() ? List.of() : List.copyOf(decided);
    } finally {
      host.lock.unlock();
    }
    apply(host, semaphore);
    for (int i = 0; i < changes.size(); i++) {
      Change change = changes.get(i);
      observer.limitChanged(semaphore.key, change.previous, change.limit, change.reason);
    }
  }

  /**
   * Sets the semaphore's live limit to the host's latest decision, outside the host's lock: a
   * raised limit wakes waiters, and a waiter's continuation (on an inline executor) may report
   * again. Whoever applies reads the target again afterwards and applies once more if it moved,
   * so the last {@code setLimit} to run is always followed by a check that sees the newest target:
   * the semaphore ends at the newest decision whatever the order of concurrent appliers.
   */
  private static void apply(Host host, FifoHostSemaphore semaphore) {
    host.pending = false;
    int target = host.target;
    while (true) {
      semaphore.setLimit(target, NO_RECORD);
      int again = host.target;
      if (again == target) {
        return;
      }
      target = again;
    }
  }

  /** The adaptive limit is the live one only: a host's own configured limit stays as set. */
  private static final Runnable NO_RECORD = () -> {};

  /** Someone called {@code setLimit}: the algorithm continues from that limit. */
  void limitSet(HostKey key, int limit) {
    Host host = hosts.get(key);
    if (host != null) {
      host.lock.lock();
      try {
        host.reset(limit);
        host.target = limit;
      } finally {
        host.lock.unlock();
      }
      FifoHostSemaphore semaphore = host.semaphore.get();
      if (semaphore != null) {
        apply(host, semaphore); // an applier of an older decision may have run since setLimit
      }
    }
  }

  /** The host's entry left the table: its state goes with it, unless a new entry replaced it. */
  void hostRemoved(HostKey key) {
    hosts.computeIfPresent(key, (k, host) -> (host.semaphore.get() == null) ? null : host);
  }

  private Host host(FifoHostSemaphore semaphore) {
    HostKey key = semaphore.key;
    Host host = hosts.get(key);
    if (host != null && host.semaphore.get() == semaphore) {
      return host;
    }
    AdaptiveLimit config = perHost.getOrDefault(key, defaults);
    if (config == null) {
      return null;
    }
    return hosts.compute(key, (k, old) -> (old != null && old.semaphore.get() == semaphore)
        ? old : newHost(config, semaphore));
  }

  private Host newHost(AdaptiveLimit config, FifoHostSemaphore semaphore) {
    int start = semaphore.limit();
    int max = (config.max() == 0) ? Math.max(start, config.min()) : config.max();
    Aimd aimd = new Aimd(config.min(), max, config.window().toNanos(), config.backoffRatio());
    Algorithm algorithm = config.isLatencyBased()
        ? new NetflixAlgorithm(config.latencyLimitFactory().get(), aimd, config.min(), max)
        : aimd;
    Host host = new Host(semaphore, algorithm);
    // The host starts from its configured limit, clamped to the band; a clamp is applied by the
    // report that created the state, outside every lock (see apply).
    int clamped = Math.max(config.min(), Math.min(max, start));
    host.reset(clamped);
    host.target = clamped;
    host.pending = clamped != start;
    return host;
  }

  int trackedHosts() {
    return hosts.size();
  }

  /** One limit change, told to listeners once the lock is released. */
  static final class Change {
    final int previous;
    final int limit;
    final LimitChangeReason reason;

    Change(int previous, int limit, LimitChangeReason reason) {
      this.previous = previous;
      this.limit = limit;
      this.reason = reason;
    }
  }

  /** An algorithm's state for one host; called under its host's lock only. */
  interface Algorithm {
    /** Continue from {@code limit}. */
    void reset(int limit);

    /** The limit it decided last. */
    int limit();

    /** Feeds one sample; adds the limit changes it decided to {@code changes}, in order. */
    void sample(long now, long latencyNanos, int inflight, boolean dropped, List<Change> changes);
  }

  /** One adaptive host: its semaphore (weakly), its algorithm and the lock over it. */
  private static final class Host {
    final WeakReference<FifoHostSemaphore> semaphore;
    final Algorithm algorithm;
    final ReentrantLock lock = new ReentrantLock();

    /** The newest limit decided; written under {@code lock}, read by appliers without it. */
    volatile int target;

    /** Whether the first report must apply a clamped start limit. */
    volatile boolean pending;

    Host(FifoHostSemaphore semaphore, Algorithm algorithm) {
      this.semaphore = new WeakReference<>(semaphore);
      this.algorithm = algorithm;
    }

    void reset(int limit) {
      algorithm.reset(limit);
    }

    /** Reused under the lock, so that a report that changes nothing allocates nothing. */
    @GuardedBy("lock")
    private final List<Change> decided = new ArrayList<>(2);

    /** The changes this sample decided, in a list valid until the lock is released. */
    @GuardedBy("lock")
    List<Change> sample(long now, long latencyNanos, int inflight, boolean dropped) {
      decided.clear();
      algorithm.sample(now, latencyNanos, inflight, dropped, decided);
      return decided;
    }
  }

  /**
   * Windowed AIMD. A window opens at the first sample after the previous one closed and lasts
   * {@code windowNanos}. The first drop of a window cuts the limit at once (×{@code ratio}, at
   * least {@code min}); later drops of that window change nothing, so a burst of 429s from
   * requests already in flight costs one cut, not one per response. A window that closes without
   * a drop, and in which in-use reached the limit, adds one (at most {@code max}): a host that is
   * not asked for more than it gets is not probed for more.
   */
  static final class Aimd implements Algorithm {
    private static final long NO_WINDOW = Long.MIN_VALUE;

    private final int min;
    private final int max;
    private final long windowNanos;
    private final double ratio;
    private int limit;
    private long windowStart = NO_WINDOW;
    private boolean dropped;
    private boolean reached;

    Aimd(int min, int max, long windowNanos, double ratio) {
      this.min = min;
      this.max = max;
      this.windowNanos = windowNanos;
      this.ratio = ratio;
    }

    @Override
    public void reset(int newLimit) {
      limit = newLimit;
    }

    @Override
    public int limit() {
      return limit;
    }

    @Override
    public void sample(long now, long latencyNanos, int inflight, boolean drop,
        List<Change> changes) {
      if (windowStart == NO_WINDOW) {
        windowStart = now;
      } else if (now - windowStart >= windowNanos) {
        if (!dropped && reached && limit < max) {
          changes.add(new Change(limit, limit + 1, LimitChangeReason.PROBE));
          limit++;
        }
        windowStart = now;
        dropped = false;
        reached = false;
      }
      if (inflight >= limit) {
        reached = true;
      }
      if (drop && !dropped) {
        dropped = true;
        int cut = Math.max(min, Math.min(max, (int) Math.floor(limit * ratio)));
        if (cut != limit) {
          changes.add(new Change(limit, cut, LimitChangeReason.PUSH_BACK));
          limit = cut;
        }
      }
    }
  }
}
