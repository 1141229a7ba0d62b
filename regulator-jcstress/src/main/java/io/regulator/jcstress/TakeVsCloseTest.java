package io.regulator.jcstress;

import static org.openjdk.jcstress.annotations.Expect.ACCEPTABLE;
import static org.openjdk.jcstress.annotations.Expect.FORBIDDEN;

import io.regulator.HostRegulator;
import io.regulator.PoolClosedException;
import io.regulator.RegulatedPool;
import io.regulator.Slot;
import org.openjdk.jcstress.annotations.Actor;
import org.openjdk.jcstress.annotations.Arbiter;
import org.openjdk.jcstress.annotations.JCStressTest;
import org.openjdk.jcstress.annotations.Outcome;
import org.openjdk.jcstress.annotations.State;
import org.openjdk.jcstress.infra.results.IIII_Result;

/**
 * One thread takes a slot while another closes the pool: either the take is refused with {@link
 * PoolClosedException}, or it gets the slot and the close takes it back; no slot outlives the
 * close. The Dekker race of a lock-free take (CAS a free cell, then check the pool is open)
 * against the close (mark the pool closed, then walk the host's cells): unless each side's
 * write is ordered before its read, the take can miss the close and the close miss the slot.
 *
 * <p>Result: the take (1 got a slot, 2 {@code PoolClosedException}, 0 refused),
 * {@code isReleased()} of its slot after the close (1/0, -1 if none), the host's in-use after both,
 * slots a fresh pool can take.
 */
@JCStressTest
@Outcome(id = "1, 1, 0, 1", expect = ACCEPTABLE,
    desc = "the take won; the close took the slot back")
@Outcome(id = "2, -1, 0, 1", expect = ACCEPTABLE,
    desc = "the close won; the take was refused with PoolClosedException")
@Outcome(id = "1, 0, .*", expect = FORBIDDEN,
    desc = "the take got a slot the close did not take back: it outlives its pool")
@Outcome(expect = FORBIDDEN, desc = "a slot was lost or invented, or the free host refused the take")
@State
public class TakeVsCloseTest {
  private static final RecycledRegulators REGULATORS = new RecycledRegulators(1);

  private final HostRegulator regulator = REGULATORS.take();
  private final RegulatedPool pool = regulator.newPool("closing");
  private Slot slot;

  @Actor
  public void take(IIII_Result r) {
    try {
      slot = pool.tryAcquire(RecycledRegulators.KEY).orElse(null);
      r.r1 = (slot != null) ? 1 : 0;
    } catch (PoolClosedException e) {
      r.r1 = 2;
    }
  }

  @Actor
  public void close() {
    pool.close();
  }

  @Arbiter
  public void settle(IIII_Result r) {
    r.r2 = (slot == null) ? -1 : (slot.isReleased() ? 1 : 0);
    r.r3 = regulator.inUse(RecycledRegulators.KEY);
    if (slot != null) {
      slot.release(); // if the close missed it, so that the host settles and shows only this trial
    }
    r.r4 = REGULATORS.settle(regulator);
  }
}
