package io.regulator.spring.boot.autoconfigure;

import io.regulator.HostRegulator;
import io.regulator.RegulatedPool;
import java.time.Duration;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;
import org.springframework.beans.factory.DisposableBean;

/**
 * Opens one {@link RegulatedPool} per client that Boot builds, named after what built it, and closes
 * every one of them with the context: a RestTemplate or RestClient built from Boot's builders is no
 * bean, so nothing else would ever close its pool, and closing the context must give back every slot
 * the context's clients hold.
 *
 * <p>Thread-safe.
 */
public final class SpringPools implements DisposableBean {

  private final HostRegulator regulator;
  private final Duration acquireTimeout;
  private final Map<String, AtomicInteger> counters = new ConcurrentHashMap<>();
  private final Set<RegulatedPool> open = ConcurrentHashMap.newKeySet();

  SpringPools(HostRegulator regulator, Duration acquireTimeout) {
    this.regulator = regulator;
    this.acquireTimeout = acquireTimeout;
  }

  /** How long an asynchronous acquire of these pools waits for a slot. */
  public Duration acquireTimeout() {
    return acquireTimeout;
  }

  /** The regulator the pools are opened on. */
  public HostRegulator regulator() {
    return regulator;
  }

  /**
   * A new pool named {@code what#n}, the n-th client built by {@code what}.
   *
   * @param what the builder, e.g. {@code spring.http-components} or {@code spring.connector.reactor}
   */
  public RegulatedPool open(String what) {
    int n = counters.computeIfAbsent(what, w -> new AtomicInteger()).incrementAndGet();
    RegulatedPool pool = regulator.newPool(what + "#" + n);
    open.add(pool);
    return pool;
  }

  /** Closes every pool still open: their slots go back and their waiters fail. */
  @Override
  public void destroy() {
    for (RegulatedPool pool : open) {
      pool.close();
    }
    open.clear();
  }
}
