package io.regulator.jcstress;

import static org.openjdk.jcstress.annotations.Expect.ACCEPTABLE;
import static org.openjdk.jcstress.annotations.Expect.FORBIDDEN;

import io.regulator.HostKey;
import io.regulator.HostRegulator;
import io.regulator.RegulatedPool;
import io.regulator.Slot;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import org.openjdk.jcstress.annotations.Actor;
import org.openjdk.jcstress.annotations.Arbiter;
import org.openjdk.jcstress.annotations.JCStressTest;
import org.openjdk.jcstress.annotations.Outcome;
import org.openjdk.jcstress.annotations.State;
import org.openjdk.jcstress.infra.results.III_Result;
import org.openjdk.jcstress.infra.results.IIIII_Result;

/**
 * A live limit change racing a {@code tryAcquire}: never more granted than a linearizable
 * semaphore would, whichever of the two comes first, and afterwards exactly the new limit is
 * takeable. A lock-free take reads the limit and CASes the count; the limit change must not let
 * it grant past the limit in force, nor past a queued waiter.
 */
public class LimitVsTakeTest {
  private LimitVsTakeTest() {}

  private static final RecycledHosts HOSTS = new RecycledHosts("limit-vs-take", 1);
  private static final HostRegulator REGULATOR = HOSTS.regulator();
  private static final RegulatedPool HOLDERS = REGULATOR.newPool("holders");
  private static final RegulatedPool TAKERS = REGULATOR.newPool("takers");
  private static final RegulatedPool WAITERS = REGULATOR.newPool("waiters");
  private static final Duration PATIENCE = Duration.ofMinutes(10);

  /** A host of its own at {@code limit}, one slot of it held. */
  abstract static class OneHeld {
    final HostKey key = HOSTS.take();
    final Slot held;
    Slot taken;

    OneHeld(int limit) {
      REGULATOR.setLimit(key, limit);
      held = HOLDERS.tryAcquire(key).orElseThrow();
    }

    int take() {
      taken = TAKERS.tryAcquire(key).orElse(null);
      return (taken != null) ? 1 : 0;
    }

    /** Gives back what the trial holds; returns the slots then takeable under {@code limit}. */
    int settle(int limit) {
      held.release();
      if (taken != null) {
        taken.release();
      }
      return HOSTS.settle(key, limit);
    }
  }

  /**
   * Limit 1 → 2 on a host holding 1, racing a take. Result: the take (1/0), the host's in-use
   * after both, slots takeable once both gave theirs back.
   */
  @JCStressTest
  @Outcome(id = "1, 2, 2", expect = ACCEPTABLE, desc = "the raise came first; the take got the new slot")
  @Outcome(id = "0, 1, 2", expect = ACCEPTABLE, desc = "the take came first and found the host full")
  @Outcome(expect = FORBIDDEN, desc = "the take and the count disagree, or the new limit is not what is takeable")
  @State
  public static class Raise extends OneHeld {
    public Raise() {
      super(1);
    }

    @Actor
    public void raise() {
      REGULATOR.setLimit(key, 2);
    }

    @Actor
    public void take(III_Result r) {
      r.r1 = take();
    }

    @Arbiter
    public void settle(III_Result r) {
      r.r2 = REGULATOR.inUse(key);
      r.r3 = settle(2);
    }
  }

  /**
   * Limit 2 → 1 on a host holding 1, racing a take. Lowering revokes nothing, so a take that came
   * first keeps its slot. Result: the take (1/0), the host's in-use after both, slots takeable once
   * both gave theirs back.
   */
  @JCStressTest
  @Outcome(id = "1, 2, 1", expect = ACCEPTABLE,
      desc = "the take came first and keeps its slot; the lower limit revokes nothing")
  @Outcome(id = "0, 1, 1", expect = ACCEPTABLE, desc = "the lower limit came first; the host was full")
  @Outcome(expect = FORBIDDEN, desc = "the take and the count disagree, or the new limit is not what is takeable")
  @State
  public static class Lower extends OneHeld {
    public Lower() {
      super(2);
    }

    @Actor
    public void lower() {
      REGULATOR.setLimit(key, 1);
    }

    @Actor
    public void take(III_Result r) {
      r.r1 = take();
    }

    @Arbiter
    public void settle(III_Result r) {
      r.r2 = REGULATOR.inUse(key);
      r.r3 = settle(1);
    }
  }

  /**
   * Limit 1 → 2 on a host holding 1 with an async waiter queued, racing a take: the raised slot is
   * the waiter's, so the take never gets one, whichever comes first (before the raise the host is
   * full, after it the waiter holds the new slot; a take in between would barge past the queue).
   * Result: the take (1/0), the waiter's future holds a slot (1/0), the host's in-use and waiting
   * after both, slots takeable once everyone gave theirs back.
   */
  @JCStressTest
  @Outcome(id = "0, 1, 2, 0, 2", expect = ACCEPTABLE,
      desc = "the waiter got the raised slot; the take was refused")
  @Outcome(id = "1, .*", expect = FORBIDDEN,
      desc = "the take barged past the queued waiter, or past the limit")
  @Outcome(expect = FORBIDDEN, desc = "the raise did not admit the waiter, or a slot was lost or invented")
  @State
  public static class RaiseWithWaiter extends OneHeld {
    private final CompletableFuture<Slot> waiter = WAITERS.acquireAsync(key, PATIENCE);

    public RaiseWithWaiter() {
      super(1);
    }

    @Actor
    public void raise() {
      REGULATOR.setLimit(key, 2);
    }

    @Actor
    public void take(IIIII_Result r) {
      r.r1 = take();
    }

    @Arbiter
    public void settle(IIIII_Result r) {
      Slot granted = waiter.getNow(null);
      r.r2 = (granted != null) ? 1 : 0;
      r.r3 = REGULATOR.inUse(key);
      r.r4 = REGULATOR.waiting(key);
      if (granted != null) {
        granted.release();
      } else {
        waiter.cancel(false);
      }
      r.r5 = settle(2);
    }
  }
}
