package io.regulator.jcstress;

import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.function.Supplier;

/**
 * Regulators, or hosts of one regulator, handed from one jcstress state to the next.
 *
 * <p>jcstress builds a fresh state object for every trial, hundreds of thousands a second, and
 * runs the trials of one stride concurrently: actor 1 of one state may overlap actor 2 of another.
 * So every state needs a regulator (or a host) nobody else touches while it lives, and building a
 * new one each time costs what the trial should measure: each regulator registers its host table
 * with the process-wide reaper, and each new host of a shared regulator makes every pool close
 * walk one more host. A state therefore takes one here and gives it back in its arbiter, once it
 * checked that the race left it exactly at baseline (nothing held, nobody queued, every slot of the
 * limit takeable). One that did not stays out of circulation, so a slot lost in one trial can fail
 * that trial only, never a later one. jcstress's own barriers order one state's arbiter before the
 * next state's actors, so a recycled object is safely published to them.
 *
 * <p>Thread-safe.
 */
final class FreeList<T> {
  private final ConcurrentLinkedQueue<T> free = new ConcurrentLinkedQueue<>();
  private final Supplier<T> factory;

  FreeList(Supplier<T> factory) {
    this.factory = factory;
  }

  /** One nobody else holds: a recycled one, or a new one if none is free. */
  T take() {
    T recycled = free.poll();
    return (recycled != null) ? recycled : factory.get();
  }

  /** Hands one back for a later state; only once it is back at baseline. */
  void giveBack(T clean) {
    free.offer(clean);
  }
}
