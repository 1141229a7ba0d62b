package io.regulator.bench;

import java.util.concurrent.ConcurrentHashMap;
import java.util.function.Function;

/**
 * The one shape every contender is measured through: take one slot of a host, give it back.
 *
 * <p>Hosts are turned into the contender's own key once, outside the measured path, because a
 * real client resolves its route's key when it builds the route, not per request. {@link
 * #acquire} waits as long as the contender lets it (its longest timeout); the benchmarks never
 * let it time out.
 *
 * <p>Implementations are thread-safe.
 */
public interface HostGate extends AutoCloseable {

  /**
   * The contender's key for {@code host} (port 443); built once per host, not measured. By
   * default {@code host:443}, the string a map of per-host entries is keyed by.
   */
  default Object key(String host) {
    return host + ":443";
  }

  /**
   * The entry of {@code key} in a peer's map of per-host entries, created on first use. {@code
   * get} first: {@code computeIfAbsent} would lock the bin when the host is not its head. Pass a
   * {@code create} held in a field, so that a hit allocates nothing.
   */
  static <V> V perHost(ConcurrentHashMap<String, V> entries, Object key,
      Function<String, V> create) {
    V entry = entries.get(key);
    return (entry != null) ? entry : entries.computeIfAbsent((String) key, create);
  }

  /** Takes one slot of the host behind {@code key}, waiting if none is free. */
  Object acquire(Object key) throws InterruptedException;

  /** Gives back the slot that {@link #acquire} returned as {@code permit}. */
  void release(Object key, Object permit);

  /**
   * Keys of {@code count} hosts that share no slots with each other; a peer that caps groups of
   * hosts rather than each host (Guava's stripes) overrides it.
   */
  default Object[] distinctKeys(int count) {
    return HostNames.keys(this, count);
  }

  /** Frees whatever the contender holds beyond the heap, such as the regulator's cleaner. */
  @Override
  default void close() {}
}
