package io.regulator.core.internal;

import static io.regulator.core.RegulatorMeters.ACQUIRE;
import static io.regulator.core.RegulatorMeters.BACKOFFS;
import static io.regulator.core.RegulatorMeters.HOLD;
import static io.regulator.core.RegulatorMeters.HOST;
import static io.regulator.core.RegulatorMeters.LIMIT_CHANGES;
import static io.regulator.core.RegulatorMeters.OTHER_HOSTS;
import static io.regulator.core.RegulatorMeters.OUTCOME;
import static io.regulator.core.RegulatorMeters.POOL;
import static io.regulator.core.RegulatorMeters.POOL_IN_USE;
import static io.regulator.core.RegulatorMeters.REASON;
import static io.regulator.core.RegulatorMeters.SLOTS_IN_USE;
import static io.regulator.core.RegulatorMeters.SLOTS_LIMIT;
import static io.regulator.core.RegulatorMeters.SLOTS_WAITING;

import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.Meter;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Timer;
import io.regulator.HostKey;
import io.regulator.LimitChangeReason;
import io.regulator.Slot;
import io.regulator.internal.BoundedTags;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReferenceArray;
import java.util.function.LongSupplier;
import java.util.function.ToIntFunction;

/**
 * The regulator's Micrometer meters (names in {@link io.regulator.core.RegulatorMeters}). This is
 * the only class of the regulator that uses Micrometer, and it is loaded only when the builder was
 * given a {@code MeterRegistry}: without one, no Micrometer class is ever loaded.
 *
 * <p>Host gauges reference no semaphore: they look their host up in the {@link HostTable} when
 * read. A gauge that held its semaphore strongly would keep every metered host in the weak-valued
 * table forever; one that held it weakly would, once the idle semaphore was collected and a new
 * one created for the same host, keep reading the dead one, since Micrometer hands back the
 * existing gauge for the same name and tags.
 *
 * <p>At most {@code maxTaggedHosts} hosts at a time are tagged with their own name; the others are
 * metered together under {@code host=other}, whose gauges sum over those hosts. A host's meters
 * are created on its first acquire and removed when its entry leaves the table, freeing its tag;
 * both happen inside {@code tagged}'s compute for that key, so the two never interleave.
 *
 * <p>Thread-safe.
 */
final class MicrometerObserver implements SlotObserver {
  private final MeterRegistry registry;
  private final HostTable table;
  private final LongSupplier ticker;
  /** Host tags, bounded by {@code maxTaggedHosts}; the fleet tier's meters share the logic. */
  private final BoundedTags<HostKey, HostMeters> tagged;

  private final ConcurrentMap<String, PoolGauge> poolGauges = new ConcurrentHashMap<>();

  /** @param registry a {@code MeterRegistry}, typed so that callers need no Micrometer type */
  MicrometerObserver(Object registry, HostTable table, int maxTaggedHosts, LongSupplier ticker) {
    this.registry = (MeterRegistry) registry;
    this.table = table;
    this.ticker = ticker;
    // A host's meters read through this observer, not through the HostMeters object, so a
    // racing duplicate of other's (Micrometer hands back the same meters) serves as well.
    this.tagged = new BoundedTags<>(maxTaggedHosts, HostMeters::new);
  }

  /** The meters of a host: its own if it has (or can get) a tag, else those of {@code other}. */
  private HostMeters metersOf(HostKey key) {
    return tagged.of(key);
  }

  @Override
  public Slot acquired(LedgerSlot slot, long waitedNanos, Throwable site) {
    if (!tagged.isClosed()) {
      metersOf(slot.key()).recordAcquire(Outcome.GRANTED, waitedNanos);
    }
    return slot;
  }

  @Override
  public void released(LedgerSlot slot) {
    if (!tagged.isClosed()) {
      metersOf(slot.key()).recordHold(ticker.getAsLong() - slot.acquiredAt);
    }
  }

  @Override
  public void refused(HostKey key, PoolLedger ledger, Outcome outcome, long waitedNanos) {
    if (!tagged.isClosed()) {
      metersOf(key).recordAcquire(outcome, waitedNanos);
    }
  }

  // Issue 16. The limit gauge reads the live limit, so it moves by itself; these count the moves.
  @Override
  public void limitChanged(HostKey key, int previous, int limit, LimitChangeReason reason) {
    if (!tagged.isClosed()) {
      registry.counter(LIMIT_CHANGES, HOST, metersOf(key).host,
          REASON, reason.name().toLowerCase(Locale.ROOT)).increment();
    }
  }

  @Override
  public void backoffStarted(HostKey key, long waitNanos) {
    if (!tagged.isClosed()) {
      registry.counter(BACKOFFS, HOST, metersOf(key).host).increment();
    }
  }

  /**
   * Points the pool's gauge at this ledger. Gauges are per name, not per ledger: a new pool may
   * take a closed pool's name before the old one's close has finished, and Micrometer would hand
   * the new pool the old gauge (same name and tags) only for the old close to remove it.
   */
  @Override
  public void poolOpened(PoolLedger ledger) {
    poolGauges.compute(ledger.name, (name, gauge) -> {
      PoolGauge current = (gauge != null) ? gauge : new PoolGauge(name);
      current.ledger = ledger;
      return current;
    });
    if (ledger.isClosed()) {
      poolClosing(ledger); // the regulator closed it while we registered
    }
  }

  /** Removes the pool's gauge, unless a newer pool of the same name took it over. */
  @Override
  public void poolClosing(PoolLedger ledger) {
    poolGauges.computeIfPresent(ledger.name, (name, gauge) -> {
      if (gauge.ledger != ledger) {
        return gauge;
      }
      registry.remove(gauge.gauge);
      return null;
    });
  }

  @Override
  public void hostRemoved(HostKey key) {
    // A new entry for the host may exist already; its meters stay then.
    tagged.removed(key, k -> table.find(k) != null, HostMeters::remove);
  }

  @Override
  public void regulatorClosed() {
    tagged.close(HostMeters::remove);
    for (String pool : poolGauges.keySet()) {
      poolGauges.computeIfPresent(pool, (name, gauge) -> {
        registry.remove(gauge.gauge);
        return null;
      });
    }
  }

  private int sumOfUntagged(ToIntFunction<FifoHostSemaphore> figure) {
    int sum = 0;
    for (FifoHostSemaphore semaphore : table.semaphores()) {
      if (!tagged.isTagged(semaphore.key)) {
        sum += figure.applyAsInt(semaphore);
      }
    }
    return sum;
  }

  /** The in-use gauge of the open pool of one name. */
  private final class PoolGauge {
    final Gauge gauge;

    /** The open pool of this name; set and read under {@code poolGauges}' compute for the name. */
    volatile PoolLedger ledger;

    PoolGauge(String name) {
      gauge = Gauge.builder(POOL_IN_USE, MicrometerObserver.this, o -> held())
          .tag(POOL, name)
          .description("Slots the pool holds now, across hosts")
          .register(registry);
    }

    private double held() {
      PoolLedger current = ledger;
      return (current == null) ? 0 : table.heldBy(current);
    }
  }

  /** One host's meters, or those of every untagged host when {@code key} is null. */
  private final class HostMeters {
    private final HostKey key;
    private final String host;
    private final AtomicReferenceArray<Timer> acquires =
        new AtomicReferenceArray<>(Outcome.values().length);
    private final List<Meter> gauges = new ArrayList<>(3);
    private final Timer hold;

    /** Set before the meters are removed: a late recorder must not register them again. */
    private volatile boolean removed;

    HostMeters(HostKey key) {
      this.key = key;
      this.host = (key == null) ? OTHER_HOSTS : key.toString();
      // The state object is the observer, which lives as long as the regulator: Micrometer holds
      // it weakly. Each function reads through this HostMeters, which remove() unregisters.
      MicrometerObserver state = MicrometerObserver.this;
      gauges.add(Gauge.builder(SLOTS_IN_USE, state, o -> figure(FifoHostSemaphore::inUse))
          .tag(HOST, host)
          .description("Slots of the host held now, across all pools")
          .register(registry));
      gauges.add(Gauge.builder(SLOTS_WAITING, state, o -> figure(FifoHostSemaphore::waiting))
          .tag(HOST, host)
          .description("Callers queued now for a slot of the host, across all pools")
          .register(registry));
      if (key != null) {
        gauges.add(Gauge.builder(SLOTS_LIMIT, state, o -> table.limit(key))
            .tag(HOST, host)
            .description("The host's limit of slots")
            .register(registry));
      }
      hold = Timer.builder(HOLD)
          .tag(HOST, host)
          .description("How long slots of the host were held")
          .register(registry);
    }

    private double figure(ToIntFunction<FifoHostSemaphore> figure) {
      if (key == null) {
        return sumOfUntagged(figure);
      }
      FifoHostSemaphore semaphore = table.find(key);
      return (semaphore == null) ? 0 : figure.applyAsInt(semaphore);
    }

    void recordAcquire(Outcome outcome, long waitedNanos) {
      if (removed) {
        return;
      }
      Timer timer = acquires.get(outcome.ordinal());
      if (timer == null) {
        // Registering twice is harmless: Micrometer returns the meter it already has.
        timer = Timer.builder(ACQUIRE)
            .tag(HOST, host)
            .tag(OUTCOME, outcome.tag)
            .description("How long acquires waited for a slot of the host, by outcome")
            .register(registry);
        acquires.set(outcome.ordinal(), timer);
        if (removed) {
          registry.remove(timer); // remove() ran meanwhile and may have missed it
          return;
        }
      }
      timer.record(Math.max(0, waitedNanos), TimeUnit.NANOSECONDS);
    }

    void recordHold(long heldNanos) {
      if (!removed) {
        hold.record(Math.max(0, heldNanos), TimeUnit.NANOSECONDS);
      }
    }

    void remove() {
      removed = true;
      for (Meter gauge : gauges) {
        registry.remove(gauge);
      }
      registry.remove(hold);
      for (int i = 0; i < acquires.length(); i++) {
        Timer timer = acquires.getAndSet(i, null);
        if (timer != null) {
          registry.remove(timer);
        }
      }
    }
  }
}
