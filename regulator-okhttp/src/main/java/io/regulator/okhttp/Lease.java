package io.regulator.okhttp;

import io.regulator.Slot;
import java.lang.ref.Cleaner;
import java.util.Set;
import okhttp3.Call;

/**
 * One slot held by one call's exchange, registered with its client's interceptor while it is held
 * so that closing the client can cancel the call. Refers to no response body, so that a body's leak
 * watch may hold it. Thread-safe: releasing is idempotent.
 */
final class Lease {
  private final Slot slot;
  private final Call call;
  private final Set<Lease> active;
  /** The leak watch of the body that holds this lease, once there is one; set once. */
  private volatile Cleaner.Cleanable watch;

  Lease(Slot slot, Call call, Set<Lease> active) {
    this.slot = slot;
    this.call = call;
    this.active = active;
    active.add(this);
  }

  Slot slot() {
    return slot;
  }

  Call call() {
    return call;
  }

  void watchedBy(Cleaner.Cleanable watch) {
    this.watch = watch;
  }

  /** Gives the slot back, once; later calls change nothing. */
  void release() {
    slot.release();
    active.remove(this);
    Cleaner.Cleanable leakWatch = watch;
    if (leakWatch != null) {
      // Unregisters the watch; its reclaim finds the slot released and does nothing.
      leakWatch.clean();
    }
  }

  /** Forgets the call: its slot was reclaimed (or released) by a leak watch. */
  void untrack() {
    active.remove(this);
  }
}
