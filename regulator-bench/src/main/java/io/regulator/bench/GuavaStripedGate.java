package io.regulator.bench;

import com.google.common.util.concurrent.Striped;
import java.util.Collections;
import java.util.IdentityHashMap;
import java.util.Set;
import java.util.concurrent.Semaphore;

/**
 * Guava: {@link Striped#lazyWeakSemaphore} with 4,096 stripes. Hosts that hash to one stripe
 * share its permits, so the cap is per stripe, not per host; semaphores are created lazily and
 * weakly held, so idle stripes are collected. Non-fair semaphores. Thread-safe.
 */
final class GuavaStripedGate implements HostGate {
  static final int STRIPES = 4096;

  private final Striped<Semaphore> striped;

  GuavaStripedGate(int limit) {
    striped = Striped.lazyWeakSemaphore(STRIPES, limit);
  }

  /** Skips hosts whose stripe an earlier host already took, so each key has its own permits. */
  @Override
  public Object[] distinctKeys(int count) {
    if (count > STRIPES) {
      throw new IllegalArgumentException("count > " + STRIPES + " stripes: " + count);
    }
    // Holding the semaphores keeps the weakly held stripes, and so their identities, alive.
    Set<Semaphore> seen = Collections.newSetFromMap(new IdentityHashMap<>());
    Object[] keys = new Object[count];
    for (int i = 0, found = 0; found < count; i++) {
      Object key = key(HostNames.of(i));
      if (seen.add(striped.get(key))) {
        keys[found++] = key;
      }
    }
    return keys;
  }

  @Override
  public Object acquire(Object key) throws InterruptedException {
    Semaphore semaphore = striped.get(key);
    semaphore.acquire();
    return semaphore;
  }

  @Override
  public void release(Object key, Object permit) {
    ((Semaphore) permit).release();
  }
}
