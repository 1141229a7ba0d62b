package io.regulator.jcstress;

import io.regulator.HostKey;
import io.regulator.HostRegulator;
import io.regulator.RegulatedPool;
import io.regulator.core.HostRegulators;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * One regulator for every state of a jcstress test, and a host of its own for each state: for
 * races with an async acquire, whose timeout needs the regulator's timer thread (one per
 * regulator, so not one per state), and with {@code setLimit}, which the regulator remembers per
 * host (so hosts are recycled rather than made anew for each state). Futures complete inline on
 * the thread that granted or failed them ({@code asyncExecutor(Runnable::run)}), so by the time
 * both actors returned, everything the race set off has run and the arbiter reads a settled host.
 * Its pools stay open for every state; only the hosts change hands.
 *
 * <p>Thread-safe.
 */
final class RecycledHosts {
  private final HostRegulator regulator;
  private final RegulatedPool probe;
  private final FreeList<HostKey> free;

  /** Hosts named {@code h<n>.<test>.jcstress.test:443}, each of limit {@code defaultLimit} until set. */
  RecycledHosts(String test, int defaultLimit) {
    this.regulator = HostRegulators.builder()
        .defaultLimit(defaultLimit)
        .asyncExecutor(Runnable::run)
        .build();
    this.probe = regulator.newPool("probe");
    AtomicInteger hosts = new AtomicInteger();
    this.free = new FreeList<>(
        () -> HostKey.of("h" + hosts.incrementAndGet() + "." + test + ".jcstress.test", 443));
  }

  HostRegulator regulator() {
    return regulator;
  }

  /** A host no other state holds: nothing held, nobody queued. */
  HostKey take() {
    return free.take();
  }

  /**
   * Checks what the race left, once the state gave back every slot it holds: returns how many
   * slots of {@code key} can be taken ({@code limit}, if no slot was lost or invented), and
   * recycles the host only if that is the limit and nothing is held or queued.
   */
  int settle(HostKey key, int limit) {
    int takeable = Capacity.takeable(probe, key, limit);
    if (takeable == limit && regulator.inUse(key) == 0 && regulator.waiting(key) == 0) {
      free.giveBack(key);
    }
    return takeable;
  }
}
