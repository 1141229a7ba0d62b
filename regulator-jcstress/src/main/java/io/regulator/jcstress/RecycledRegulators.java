package io.regulator.jcstress;

import io.regulator.HostKey;
import io.regulator.HostRegulator;
import io.regulator.RegulatedPool;
import io.regulator.core.HostRegulators;

/**
 * A regulator of its own for each jcstress state, with one host, {@link #KEY}: for races with a
 * pool's close, which walks every host of its regulator, so that the walk is one host long and
 * meets the racing actor. Regulators are recycled through a {@link FreeList}; none has meters or
 * listeners, and none ever starts the async timer (no test of this kind queues an async acquire),
 * so a regulator costs no thread.
 *
 * <p>Thread-safe.
 */
final class RecycledRegulators {
  /** The one host every such regulator is asked about. */
  static final HostKey KEY = HostKey.of("jcstress.test", 443);

  private final int limit;
  private final FreeList<HostRegulator> free;

  RecycledRegulators(int limit) {
    this.limit = limit;
    this.free = new FreeList<>(() -> HostRegulators.builder().defaultLimit(limit).build());
  }

  /** A regulator no other state holds, every pool of it closed, {@link #KEY} at baseline. */
  HostRegulator take() {
    return free.take();
  }

  /**
   * Checks what the race left, once the state closed every pool it opened: returns how many slots
   * of {@link #KEY} a fresh pool can take (the limit, if no slot was lost or invented), and
   * recycles the regulator only if that is the limit and nothing is held or queued.
   */
  int settle(HostRegulator regulator) {
    int takeable;
    try (RegulatedPool probe = regulator.newPool("probe")) {
      takeable = Capacity.takeable(probe, KEY, limit);
    }
    if (takeable == limit && regulator.inUse(KEY) == 0 && regulator.waiting(KEY) == 0) {
      free.giveBack(regulator);
    } else {
      regulator.close();
    }
    return takeable;
  }
}
