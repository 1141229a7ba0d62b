package io.regulator.bench;

import io.regulator.HostKey;
import io.regulator.HostRegulator;
import io.regulator.RegulatedPool;
import io.regulator.Slot;
import io.regulator.core.HostRegulators;
import java.time.Duration;

/**
 * Ours, the full path a client takes: {@link RegulatedPool#acquire(HostKey)} (host table, host
 * semaphore, pool ledger) and {@link Slot#close()}. Thread-safe.
 */
final class RegulatorGate implements HostGate {
  private final HostRegulator regulator;
  private final RegulatedPool pool;

  RegulatorGate(int limit) {
    regulator =
        HostRegulators.builder().defaultLimit(limit).acquireTimeout(Duration.ofSeconds(30)).build();
    pool = regulator.newPool("bench");
  }

  @Override
  public Object key(String host) {
    return HostKey.of(host, 443);
  }

  @Override
  public Object acquire(Object key) throws InterruptedException {
    return pool.acquire((HostKey) key);
  }

  @Override
  public void release(Object key, Object permit) {
    ((Slot) permit).close();
  }

  @Override
  public void close() {
    pool.close();
    regulator.close();
  }
}
