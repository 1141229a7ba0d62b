package io.regulator.bench;

import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Semaphore;

/**
 * The floor: a {@code ConcurrentHashMap<String, Semaphore>} of fair semaphores, the least code
 * that caps a host exactly and hands slots over in FIFO order. Never forgets a host. Thread-safe.
 */
final class SemaphoreMapGate implements HostGate {
  private final ConcurrentHashMap<String, Semaphore> semaphores = new ConcurrentHashMap<>();
  private final int limit;

  SemaphoreMapGate(int limit) {
    this.limit = limit;
  }

  @Override
  public Object key(String host) {
    return host + ":443";
  }

  @Override
  public Object acquire(Object key) throws InterruptedException {
    // get() first: computeIfAbsent would lock the bin when the host is not its head.
    Semaphore semaphore = semaphores.get(key);
    if (semaphore == null) {
      semaphore = semaphores.computeIfAbsent((String) key, k -> new Semaphore(limit, true));
    }
    semaphore.acquire();
    return semaphore;
  }

  @Override
  public void release(Object key, Object permit) {
    ((Semaphore) permit).release();
  }
}
