package io.regulator.jcstress;

import static org.openjdk.jcstress.annotations.Expect.ACCEPTABLE;
import static org.openjdk.jcstress.annotations.Expect.FORBIDDEN;

import io.regulator.HostRegulator;
import io.regulator.RegulatedPool;
import io.regulator.Slot;
import org.openjdk.jcstress.annotations.Actor;
import org.openjdk.jcstress.annotations.Arbiter;
import org.openjdk.jcstress.annotations.JCStressTest;
import org.openjdk.jcstress.annotations.Outcome;
import org.openjdk.jcstress.annotations.State;
import org.openjdk.jcstress.infra.results.IIIIII_Result;

/**
 * Concurrent changes to one host's cells of held slots, which a pool's close walks to take its
 * slots back and {@code RegulatedPool.inUse(key)} walks to count them. The failures to rule out:
 * two releases that free each other's cell, or none; a take that lands in a cell being freed and is
 * lost with it; two takes in one cell. Each shows here as a pool count that disagrees with the
 * host's, or as a slot that the pool's close does not take back. (Until issue 12's token cells
 * these were the races of a lock-free list of held slots: nodes unlinked together, a node linked
 * after one being unlinked.)
 *
 * <p>Every trial runs on a host of limit 2 with one pool, and ends by closing that pool. Result:
 * the two actors' calls (1 for true, or a slot taken; 0 otherwise), the host's in-use after both,
 * the pool's {@code inUse(key)} after both, the host's in-use after the pool's close, and slots a
 * fresh pool can take then.
 */
public class HeldCellsTest {
  private HeldCellsTest() {}

  private static final RecycledRegulators REGULATORS = new RecycledRegulators(2);

  /** A regulator of its own, with one pool. */
  abstract static class OnePool {
    final HostRegulator regulator = REGULATORS.take();
    final RegulatedPool pool = regulator.newPool("pool");

    Slot tryTake() {
      return pool.tryAcquire(RecycledRegulators.KEY).orElse(null);
    }

    /**
     * Records the counts after the race, closes the pool, records what is left, then gives back
     * any slot the close missed (so that only this trial shows it) and records what is takeable.
     */
    void settle(IIIIII_Result r, Slot... taken) {
      r.r3 = regulator.inUse(RecycledRegulators.KEY);
      r.r4 = pool.inUse(RecycledRegulators.KEY);
      pool.close();
      r.r5 = regulator.inUse(RecycledRegulators.KEY);
      for (Slot slot : taken) {
        if (slot != null) {
          slot.release();
        }
      }
      r.r6 = REGULATORS.settle(regulator);
    }
  }

  /** Both held slots given back at once: both cells freed, the host counts neither. */
  @JCStressTest
  @Outcome(id = "1, 1, 0, 0, 0, 2", expect = ACCEPTABLE, desc = "both went back, once each")
  @Outcome(id = "1, 1, 0, 1, .*", expect = FORBIDDEN,
      desc = "a freed slot still shows in a cell: the pool counts a slot the host does not")
  @Outcome(expect = FORBIDDEN, desc = "a release failed, or a slot was lost or given back twice")
  @State
  public static class ReleaseBoth extends OnePool {
    private final Slot older = tryTake();
    private final Slot newer = tryTake();

    @Actor
    public void releaseOlder(IIIIII_Result r) {
      r.r1 = older.release() ? 1 : 0;
    }

    @Actor
    public void releaseNewer(IIIIII_Result r) {
      r.r2 = newer.release() ? 1 : 0;
    }

    @Arbiter
    public void settle(IIIIII_Result r) {
      super.settle(r);
    }
  }

  /** One held slot given back while the same pool takes another: the new one stays in its cell. */
  @JCStressTest
  @Outcome(id = "1, 1, 1, 1, 0, 2", expect = ACCEPTABLE,
      desc = "the old slot went back, the new one was held and the close took it back")
  @Outcome(id = "1, 1, 1, 0, 1, .", expect = FORBIDDEN,
      desc = "the new slot was lost with the old one's cell: it outlived its pool's close")
  @Outcome(expect = FORBIDDEN, desc = "the release or the take failed, or a slot was lost or invented")
  @State
  public static class ReleaseAndTake extends OnePool {
    private final Slot old = tryTake();
    private Slot fresh;

    @Actor
    public void release(IIIIII_Result r) {
      r.r1 = old.release() ? 1 : 0;
    }

    @Actor
    public void take(IIIIII_Result r) {
      fresh = tryTake();
      r.r2 = (fresh != null) ? 1 : 0;
    }

    @Arbiter
    public void settle(IIIIII_Result r) {
      settle(r, fresh);
    }
  }

  /** Both slots of the host taken by one pool at once: both held, both taken back by its close. */
  @JCStressTest
  @Outcome(id = "1, 1, 2, 2, 0, 2", expect = ACCEPTABLE,
      desc = "both were held, and the close took both back")
  @Outcome(id = "1, 1, 2, [01], .*", expect = FORBIDDEN,
      desc = "a slot taken at the same time as the other was lost (two takes in one cell)")
  @Outcome(expect = FORBIDDEN, desc = "a take failed on a free host, or a slot was lost or invented")
  @State
  public static class TakeBoth extends OnePool {
    private Slot first;
    private Slot second;

    @Actor
    public void takeFirst(IIIIII_Result r) {
      first = tryTake();
      r.r1 = (first != null) ? 1 : 0;
    }

    @Actor
    public void takeSecond(IIIIII_Result r) {
      second = tryTake();
      r.r2 = (second != null) ? 1 : 0;
    }

    @Arbiter
    public void settle(IIIIII_Result r) {
      settle(r, first, second);
    }
  }
}
