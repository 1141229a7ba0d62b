package io.regulator.jcstress;

import static org.openjdk.jcstress.annotations.Expect.ACCEPTABLE;
import static org.openjdk.jcstress.annotations.Expect.FORBIDDEN;

import io.regulator.HostRegulator;
import io.regulator.PoolClosedException;
import io.regulator.RegulatedPool;
import io.regulator.Slot;
import io.regulator.SlotTimeoutException;
import java.time.Duration;
import org.openjdk.jcstress.annotations.Actor;
import org.openjdk.jcstress.annotations.Arbiter;
import org.openjdk.jcstress.annotations.JCStressTest;
import org.openjdk.jcstress.annotations.Outcome;
import org.openjdk.jcstress.annotations.State;
import org.openjdk.jcstress.infra.results.IIII_Result;

/**
 * One thread queues for a slot of a full host while another closes its pool: the acquire is
 * refused with {@link PoolClosedException}, whether it queued before the close or came after it,
 * and nothing of it stays queued. The Dekker race of an acquire that queues (mark the host queued,
 * then read the pool's {@code closed} under the host's lock) against the close (set {@code
 * closed}, then fail the pool's waiters on every host that shows a queue): unless each side's
 * write is ordered before its read, the close can skip the host while the acquire queues anyway,
 * and the acquire then waits out its whole timeout for a slot its pool may no longer take.
 *
 * <p>Result: the acquire (2 {@code PoolClosedException}, 3 timed out, 1 got a slot), the host's
 * waiters after both, its in-use once the other pool's slot is back, slots a fresh pool can take.
 */
@JCStressTest
@Outcome(id = "2, 0, 0, 1", expect = ACCEPTABLE,
    desc = "refused by the close, before it queued or after")
@Outcome(id = "3, .*", expect = FORBIDDEN,
    desc = "the close missed the queued acquire, which waited out its timeout")
@Outcome(expect = FORBIDDEN, desc = "a slot was lost, invented or granted to a closed pool")
@State
public class QueueVsCloseTest {
  private static final RecycledRegulators REGULATORS = new RecycledRegulators(1);

  /** Long enough that only a missed waiter times out; a correct run is woken by the close. */
  private static final Duration MISSED = Duration.ofSeconds(2);

  private final HostRegulator regulator = REGULATORS.take();
  private final RegulatedPool holder = regulator.newPool("holder");
  /**
   * Taken asynchronously, so held by no thread: jcstress may build the state on the queueing
   * actor's thread, and a blocking take there would make the acquire a certain self-deadlock.
   */
  private final Slot held = holder.acquireAsync(RecycledRegulators.KEY, Duration.ZERO).join();
  private final RegulatedPool pool = regulator.newPool("closing");

  @Actor
  public void queue(IIII_Result r) {
    try {
      Slot slot = pool.acquire(RecycledRegulators.KEY, MISSED);
      slot.release();
      r.r1 = 1;
    } catch (PoolClosedException e) {
      r.r1 = 2;
    } catch (SlotTimeoutException e) {
      r.r1 = 3;
    } catch (InterruptedException e) {
      r.r1 = 4;
    }
  }

  @Actor
  public void close() {
    pool.close();
  }

  @Arbiter
  public void settle(IIII_Result r) {
    r.r2 = regulator.waiting(RecycledRegulators.KEY);
    held.release();
    holder.close();
    r.r3 = regulator.inUse(RecycledRegulators.KEY);
    r.r4 = REGULATORS.settle(regulator);
  }
}
