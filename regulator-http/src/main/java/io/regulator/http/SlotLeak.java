package io.regulator.http;

import io.regulator.HostKey;
import java.util.Objects;
import java.util.Optional;

/**
 * A slot that its holder dropped without giving back (a response never closed), found and
 * reclaimed once the holder became unreachable.
 *
 * @param key the host the slot counted against
 * @param poolName the pool that held it
 * @param acquiredAt where the slot was taken, when the integration records acquisition sites
 *     (off by default: it costs a stack trace per request)
 */
public record SlotLeak(HostKey key, String poolName, Optional<Throwable> acquiredAt) {

  /** Checks for nulls; immutable and thread-safe. */
  public SlotLeak {
    Objects.requireNonNull(key, "key");
    Objects.requireNonNull(poolName, "poolName");
    Objects.requireNonNull(acquiredAt, "acquiredAt");
  }

  /** A one-line description for a log. */
  @Override
  public String toString() {
    return "slot of " + key + " held by pool '" + poolName + "' was never given back (response not "
        + "closed?); reclaimed" + (acquiredAt.isPresent() ? "; acquired at the attached trace" : 
        "; enable leak origins to see where it was acquired");
  }
}
