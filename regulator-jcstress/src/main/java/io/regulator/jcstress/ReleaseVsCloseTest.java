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
import org.openjdk.jcstress.infra.results.IIIII_Result;

/**
 * A holder gives its slot back while another thread closes the holder's pool: the slot goes back
 * to the host exactly once. The race of the slot's release CAS against the close's reclaim of the
 * host's cells; if both counted it back, the host would have one slot too many.
 *
 * <p>Result: the holder's {@code release()} (1/0), {@code isReleased()} after both (1/0), a second
 * {@code release()} after both (1/0), the host's in-use, slots a fresh pool can take.
 */
@JCStressTest
@Outcome(id = "1, 1, 0, 0, 1", expect = ACCEPTABLE,
    desc = "the release gave it back; the close found nothing to reclaim")
@Outcome(id = "0, 1, 0, 0, 1", expect = ACCEPTABLE,
    desc = "the close reclaimed it first; the release had no effect")
@Outcome(id = {".*, -1, .", ".*, 2"}, expect = FORBIDDEN,
    desc = "given back twice: the host counts a slot too many")
@Outcome(expect = FORBIDDEN, desc = "the slot was lost, given back twice, or not marked released")
@State
public class ReleaseVsCloseTest {
  private static final RecycledRegulators REGULATORS = new RecycledRegulators(1);

  private final HostRegulator regulator = REGULATORS.take();
  private final RegulatedPool pool = regulator.newPool("holder");
  private final Slot slot = pool.tryAcquire(RecycledRegulators.KEY).orElseThrow();

  @Actor
  public void release(IIIII_Result r) {
    r.r1 = slot.release() ? 1 : 0;
  }

  @Actor
  public void close() {
    pool.close();
  }

  @Arbiter
  public void settle(IIIII_Result r) {
    r.r2 = slot.isReleased() ? 1 : 0;
    r.r3 = slot.release() ? 1 : 0;
    r.r4 = regulator.inUse(RecycledRegulators.KEY);
    r.r5 = REGULATORS.settle(regulator);
  }
}
