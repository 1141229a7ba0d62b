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
import org.openjdk.jcstress.infra.results.IIII_Result;

/**
 * Two pools each {@code tryAcquire} the one slot of a host of limit 1: exactly one gets it. The
 * race of a lock-free fast path: two CASes on the host's state word, one of which must fail and
 * then see the host full.
 *
 * <p>Result: taken by a (1/0), taken by b (1/0), the host's in-use after the race, slots a fresh
 * pool can take once both gave theirs back.
 */
@JCStressTest
@Outcome(id = {"1, 0, 1, 1", "0, 1, 1, 1"}, expect = ACCEPTABLE,
    desc = "one take got the only slot, the other was refused; afterwards it is takeable again")
@Outcome(id = "1, 1, .*", expect = FORBIDDEN, desc = "both got the only slot: the cap broke")
@Outcome(id = "0, 0, .*", expect = FORBIDDEN, desc = "neither got the free slot")
@Outcome(expect = FORBIDDEN, desc = "the count is off, or a slot was lost or invented")
@State
public class TakeVsTakeTest {
  private static final RecycledRegulators REGULATORS = new RecycledRegulators(1);

  private final HostRegulator regulator = REGULATORS.take();
  private final RegulatedPool a = regulator.newPool("a");
  private final RegulatedPool b = regulator.newPool("b");
  private Slot slotA;
  private Slot slotB;

  @Actor
  public void takeA(IIII_Result r) {
    slotA = a.tryAcquire(RecycledRegulators.KEY).orElse(null);
    r.r1 = (slotA != null) ? 1 : 0;
  }

  @Actor
  public void takeB(IIII_Result r) {
    slotB = b.tryAcquire(RecycledRegulators.KEY).orElse(null);
    r.r2 = (slotB != null) ? 1 : 0;
  }

  @Arbiter
  public void settle(IIII_Result r) {
    r.r3 = regulator.inUse(RecycledRegulators.KEY);
    if (slotA != null) {
      slotA.release();
    }
    if (slotB != null) {
      slotB.release();
    }
    a.close();
    b.close();
    r.r4 = REGULATORS.settle(regulator);
  }
}
