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
 * Two threads release the same slot at once: exactly one {@code release()} returns true, and the
 * host gets the slot back once. The race of two CASes on the slot's released flag.
 *
 * <p>Result: the first {@code release()} (1/0), the second (1/0), the host's in-use after both,
 * slots a fresh pool can take.
 */
@JCStressTest
@Outcome(id = {"1, 0, 0, 1", "0, 1, 0, 1"}, expect = ACCEPTABLE,
    desc = "one release gave the slot back, the other had no effect")
@Outcome(id = "1, 1, .*", expect = FORBIDDEN, desc = "both releases returned true")
@Outcome(id = "0, 0, .*", expect = FORBIDDEN, desc = "neither release returned true")
@Outcome(expect = FORBIDDEN, desc = "the slot was lost or given back twice")
@State
public class ReleaseVsReleaseTest {
  private static final RecycledRegulators REGULATORS = new RecycledRegulators(1);

  private final HostRegulator regulator = REGULATORS.take();
  private final RegulatedPool pool = regulator.newPool("holder");
  private final Slot slot = pool.tryAcquire(RecycledRegulators.KEY).orElseThrow();

  @Actor
  public void releaseHere(IIII_Result r) {
    r.r1 = slot.release() ? 1 : 0;
  }

  @Actor
  public void releaseThere(IIII_Result r) {
    r.r2 = slot.release() ? 1 : 0;
  }

  @Arbiter
  public void settle(IIII_Result r) {
    r.r3 = regulator.inUse(RecycledRegulators.KEY);
    pool.close();
    r.r4 = REGULATORS.settle(regulator);
  }
}
