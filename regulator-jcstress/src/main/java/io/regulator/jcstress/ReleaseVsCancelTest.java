package io.regulator.jcstress;

import static org.openjdk.jcstress.annotations.Expect.ACCEPTABLE;
import static org.openjdk.jcstress.annotations.Expect.FORBIDDEN;

import io.regulator.HostKey;
import io.regulator.RegulatedPool;
import io.regulator.Slot;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import org.openjdk.jcstress.annotations.Actor;
import org.openjdk.jcstress.annotations.Arbiter;
import org.openjdk.jcstress.annotations.JCStressTest;
import org.openjdk.jcstress.annotations.Outcome;
import org.openjdk.jcstress.annotations.State;
import org.openjdk.jcstress.infra.results.IIIII_Result;

/**
 * The holder of a full host's only slot gives it back while the async waiter queued for it
 * cancels its future: the slot goes to the waiter or back to the host, never lost, never counted
 * twice, and the queue is empty after. The race of the grant (hand-off to the queue's head)
 * against the waiter leaving the queue; when the grant wins the waiter's state but the cancel
 * wins the future, the granting thread gives the slot straight back.
 *
 * <p>Result: {@code cancel(false)} (1/0), the future after both (1 holds a slot, 2 cancelled, 0
 * anything else), the host's in-use then (the waiter's slot, if it got one), the host's waiting,
 * and slots a fresh pool can take once the arbiter gave back what the waiter got.
 */
@JCStressTest
@Outcome(id = "1, 2, 0, 0, 1", expect = ACCEPTABLE,
    desc = "the cancel won: the slot went back to the host (from the grantor, if it won the grant)")
@Outcome(id = "0, 1, 1, 0, 1", expect = ACCEPTABLE,
    desc = "the grant won: the waiter's future holds the slot")
@Outcome(id = ".*, 1, 0, 1", expect = FORBIDDEN, desc = "the waiter left, but still counts as queued")
@Outcome(expect = FORBIDDEN, desc = "the slot was lost, granted twice, or counted for nobody")
@State
public class ReleaseVsCancelTest {
  private static final RecycledHosts HOSTS = new RecycledHosts("release-vs-cancel", 1);
  private static final RegulatedPool HOLDERS = HOSTS.regulator().newPool("holders");
  private static final RegulatedPool WAITERS = HOSTS.regulator().newPool("waiters");
  /** Far beyond any trial: the waiter's timeout never fires. */
  private static final Duration PATIENCE = Duration.ofMinutes(10);

  private final HostKey key = HOSTS.take();
  private final Slot held = HOLDERS.tryAcquire(key).orElseThrow();
  private final CompletableFuture<Slot> waiter = WAITERS.acquireAsync(key, PATIENCE);

  @Actor
  public void release() {
    held.release();
  }

  @Actor
  public void cancel(IIIII_Result r) {
    r.r1 = waiter.cancel(false) ? 1 : 0;
  }

  @Arbiter
  public void settle(IIIII_Result r) {
    Slot granted = waiter.isDone() && !waiter.isCompletedExceptionally() ? waiter.join() : null;
    r.r2 = (granted != null) ? 1 : (waiter.isCancelled() ? 2 : 0);
    r.r3 = HOSTS.regulator().inUse(key);
    r.r4 = HOSTS.regulator().waiting(key);
    if (granted != null) {
      granted.release();
    }
    r.r5 = HOSTS.settle(key, 1);
  }
}
