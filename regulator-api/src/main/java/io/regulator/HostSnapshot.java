package io.regulator;

import java.util.Map;
import java.util.Objects;

/**
 * One host's counts at one instant.
 *
 * @param key the host
 * @param limit the host's limit
 * @param inUse slots held across all pools
 * @param waiting callers queued across all pools
 * @param inUseByPool slots held by each open pool that holds any
 */
public record HostSnapshot(
    HostKey key, int limit, int inUse, int waiting, Map<String, Integer> inUseByPool) {

  /** Validates the figures and copies the map; immutable and thread-safe. */
  public HostSnapshot {
    Objects.requireNonNull(key, "key");
    inUseByPool = Map.copyOf(inUseByPool);
  }
}
