package io.regulator.bench;

import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Semaphore;
import java.util.function.Function;

/**
 * The floor: a {@code ConcurrentHashMap<String, Semaphore>} of fair semaphores, the least code
 * that caps a host exactly and hands slots over in FIFO order. Never forgets a host. Thread-safe.
 */
final class SemaphoreMapGate implements HostGate {
  private final ConcurrentHashMap<String, Semaphore> semaphores = new ConcurrentHashMap<>();
  private final Function<String, Semaphore> create;

  SemaphoreMapGate(int limit) {
    this.create = key -> new Semaphore(limit, true);
  }

  @Override
  public Object acquire(Object key) throws InterruptedException {
    Semaphore semaphore = HostGate.perHost(semaphores, key, create);
    semaphore.acquire();
    return semaphore;
  }

  @Override
  public void release(Object key, Object permit) {
    ((Semaphore) permit).release();
  }
}
