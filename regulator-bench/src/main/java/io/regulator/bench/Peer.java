package io.regulator.bench;

import java.util.Locale;
import java.util.function.IntFunction;

/** Every contender of the comparison, by the name the benchmarks' {@code peer} parameter takes. */
public enum Peer {
  /** {@code ConcurrentHashMap<String, Semaphore>}: the floor every ratio is taken against. */
  FLOOR(SemaphoreMapGate::new),
  /** {@code ConcurrentHashMap<String, AtomicInteger>}, waiters poll every 10 ms. */
  POLLING(PollingCounterGate::new),
  /** Resilience4j {@code BulkheadRegistry}. */
  RESILIENCE4J(Resilience4jGate::new),
  /** Failsafe {@code Bulkhead} per host. */
  FAILSAFE(FailsafeGate::new),
  /** Guava {@code Striped.lazyWeakSemaphore}. */
  GUAVA(GuavaStripedGate::new),
  /** Netflix concurrency-limits {@code SimpleLimiter} behind {@code BlockingLimiter}. */
  NETFLIX(NetflixLimiterGate::new),
  /** Ours: {@code RegulatedPool.acquire} and {@code Slot.close}, the full path. */
  REGULATOR(RegulatorGate::new);

  private final IntFunction<HostGate> factory;

  Peer(IntFunction<HostGate> factory) {
    this.factory = factory;
  }

  /** A fresh gate that lets {@code limit} callers hold a slot of each host at once. */
  public HostGate open(int limit) {
    return factory.apply(limit);
  }

  /** The peer named {@code name}, case-insensitively. */
  public static Peer of(String name) {
    return valueOf(name.toUpperCase(Locale.ROOT));
  }
}
