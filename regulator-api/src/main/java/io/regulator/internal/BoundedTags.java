package io.regulator.internal;

import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentMap;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.Consumer;
import java.util.function.Function;
import java.util.function.Predicate;

/**
 * The host tags of a regulator's meters, core's and the fleet tier's alike: at most {@code max}
 * hosts at a time have meters of their own; every further host shares one set, made with a null
 * key (the tag {@code other}). A host's meters are made on its first use and removed, freeing its
 * tag, when its entry leaves its table; both happen inside the map's compute for that key, so the
 * two never interleave. Not API: exported only to Regulator's own modules.
 *
 * <p>Thread-safe.
 *
 * @param <K> the host key
 * @param <M> a host's meters
 */
public final class BoundedTags<K, M> {
  private final int max;
  private final Function<K, M> meters;
  private final ConcurrentMap<K, M> tagged = new ConcurrentHashMap<>();
  private final AtomicInteger count = new AtomicInteger();
  private final AtomicReference<M> other = new AtomicReference<>();
  private volatile boolean closed;

  /** {@code meters} makes (and registers) a host's meters; given null, those of {@code other}. */
  public BoundedTags(int max, Function<K, M> meters) {
    this.max = max;
    this.meters = meters;
  }

  /** The meters of {@code key}: its own if it has (or can get) a tag, else those of other. */
  public M of(K key) {
    M own = tagged.get(key);
    if (own != null) {
      return own;
    }
    if (count.get() >= max) {
      return other();
    }
    own = tagged.computeIfAbsent(key, k -> {
      if (closed) {
        return null;
      }
      if (count.incrementAndGet() > max) {
        count.decrementAndGet();
        return null;
      }
      return meters.apply(k);
    });
    return (own != null) ? own : other();
  }

  private M other() {
    M shared = other.get();
    if (shared == null) {
      // A racing loser registers the same meters, which Micrometer hands back.
      shared = meters.apply(null);
      if (!other.compareAndSet(null, shared)) {
        shared = other.get();
      }
    }
    return shared;
  }

  /** Whether {@code key} has meters of its own. */
  public boolean isTagged(K key) {
    return tagged.containsKey(key);
  }

  /** The hosts with meters of their own, now. */
  public Set<K> taggedKeys() {
    return tagged.keySet();
  }

  /**
   * The host's entry left its table: unless {@code live} says a new entry for it exists already,
   * {@code remove} unregisters its meters and its tag is freed.
   */
  public void removed(K key, Predicate<K> live, Consumer<M> remove) {
    tagged.computeIfPresent(key, (k, own) -> {
      if (live.test(k)) {
        return own;
      }
      remove.accept(own);
      count.decrementAndGet();
      return null;
    });
  }

  /** The regulator closed: every host's meters and other's go, and no new ones are made. */
  public void close(Consumer<M> remove) {
    closed = true;
    for (K key : tagged.keySet()) {
      removed(key, k -> false, remove);
    }
    M shared = other.get();
    if (shared != null) {
      remove.accept(shared);
    }
  }

  /** Whether {@link #close} ran. */
  public boolean isClosed() {
    return closed;
  }
}
