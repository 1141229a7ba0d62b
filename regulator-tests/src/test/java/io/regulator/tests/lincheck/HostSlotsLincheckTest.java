package io.regulator.tests.lincheck;

import io.regulator.HostKey;
import io.regulator.HostRegulator;
import io.regulator.RegulatedPool;
import io.regulator.SelfDeadlockException;
import io.regulator.Slot;
import io.regulator.SlotTimeoutException;
import io.regulator.core.HostRegulators;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.Objects;
import java.util.Optional;
import java.util.concurrent.atomic.AtomicLong;
import org.jetbrains.lincheck.datastructures.IntGen;
import org.jetbrains.lincheck.datastructures.Operation;
import org.jetbrains.lincheck.datastructures.Param;
import org.jetbrains.lincheck.datastructures.Validate;
import org.junit.jupiter.api.Test;

/**
 * Linearizability of one host's slots shared by two pools: {@code tryAcquire}, timed {@code
 * acquire}, {@code release} and live {@code setLimit}, checked by Lincheck against {@link
 * Specification}, a plain sequential counter.
 *
 * <p>Each pool's operations run on one thread at a time ({@code nonParallelGroup}), so the slots a
 * pool holds can be kept in a plain deque that its operations push and pop: the harness itself adds
 * no race. Races between the two pools, and with {@code setLimit} and {@code inUse} from any
 * thread, are what the model checker explores.
 *
 * <p>A timed acquire runs on the regulator's injectable ticker, a counter that moves one {@link
 * #TICK} per read, so a waiter times out after a bounded number of its own clock reads whatever the
 * interleaving: the run is deterministic, as model checking needs, and no test waits on the wall
 * clock.
 */
@Param(name = "limit", gen = IntGen.class, conf = "1:3")
public class HostSlotsLincheckTest {
  static final HostKey HOST = HostKey.of("lincheck.test", 443);
  static final long TICK = 200_000;
  static final Duration WAIT = Duration.ofNanos(3 * TICK);
  static final int INITIAL_LIMIT = 2;

  private final AtomicLong clock = new AtomicLong();
  private final HostRegulator regulator = HostRegulators.builder()
      .defaultLimit(INITIAL_LIMIT)
      .ticker(() -> clock.addAndGet(TICK))
      .asyncExecutor(Runnable::run)
      .build();
  private final RegulatedPool a = regulator.newPool("a");
  private final RegulatedPool b = regulator.newPool("b");
  private final ArrayDeque<Slot> heldByA = new ArrayDeque<>();
  private final ArrayDeque<Slot> heldByB = new ArrayDeque<>();

  @Operation(nonParallelGroup = "a")
  public boolean tryAcquireA() {
    return tryAcquire(a, heldByA);
  }

  @Operation(nonParallelGroup = "b")
  public boolean tryAcquireB() {
    return tryAcquire(b, heldByB);
  }

  @Operation(nonParallelGroup = "a")
  public boolean acquireA() throws InterruptedException {
    return acquire(a, heldByA);
  }

  @Operation(nonParallelGroup = "b")
  public boolean acquireB() throws InterruptedException {
    return acquire(b, heldByB);
  }

  @Operation(nonParallelGroup = "a")
  public String releaseA() {
    return release(heldByA);
  }

  @Operation(nonParallelGroup = "b")
  public String releaseB() {
    return release(heldByB);
  }

  @Operation
  public void setLimit(@Param(name = "limit") int limit) {
    regulator.setLimit(HOST, limit);
  }

  @Operation
  public int inUse() {
    return regulator.inUse(HOST);
  }

  /** After every run: nobody is left queued, and the host counts exactly the slots still held. */
  @Validate
  public void countsMatchHeldSlots() {
    int held = heldByA.size() + heldByB.size();
    if (regulator.waiting(HOST) != 0 || regulator.inUse(HOST) != held
        || a.inUse(HOST) != heldByA.size() || b.inUse(HOST) != heldByB.size()) {
      throw new AssertionError("waiting " + regulator.waiting(HOST) + ", inUse "
          + regulator.inUse(HOST) + ", held " + heldByA.size() + "+" + heldByB.size());
    }
  }

  private static boolean tryAcquire(RegulatedPool pool, ArrayDeque<Slot> held) {
    Optional<Slot> slot = pool.tryAcquire(HOST);
    slot.ifPresent(held::push);
    return slot.isPresent();
  }

  private static boolean acquire(RegulatedPool pool, ArrayDeque<Slot> held)
      throws InterruptedException {
    try {
      held.push(pool.acquire(HOST, WAIT));
      return true;
    } catch (SlotTimeoutException e) {
      return false;
    } catch (SelfDeadlockException e) {
      // The pool's one thread holds every slot: refused at once instead of timing out, the same
      // "none" at a moment when the host was full.
      return false;
    }
  }

  private static String release(ArrayDeque<Slot> held) {
    Slot slot = held.poll();
    if (slot == null) {
      return "none held";
    }
    return slot.release() ? "released" : "already released";
  }

  @Test
  void modelChecking_everyInterleavingMatchesTheSequentialCounter() {
    LincheckRuns.modelChecking(Specification.class, 6).check(HostSlotsLincheckTest.class);
  }

  @Test
  void stress_everyObservedHistoryMatchesTheSequentialCounter() {
    LincheckRuns.stress(Specification.class).check(HostSlotsLincheckTest.class);
  }

  /**
   * The sequential meaning of the operations: a counter of slots in use under a limit. An acquire
   * that finds no free slot fails at once; in a concurrent run its linearization point is a
   * moment while it waited, when the host was full.
   */
  public static final class Specification {
    private int limit = INITIAL_LIMIT;
    private int heldByA;
    private int heldByB;

    public boolean tryAcquireA() {
      return take(true);
    }

    public boolean tryAcquireB() {
      return take(false);
    }

    public boolean acquireA() {
      return take(true);
    }

    public boolean acquireB() {
      return take(false);
    }

    public String releaseA() {
      if (heldByA == 0) {
        return "none held";
      }
      heldByA--;
      return "released";
    }

    public String releaseB() {
      if (heldByB == 0) {
        return "none held";
      }
      heldByB--;
      return "released";
    }

    public void setLimit(int newLimit) {
      limit = newLimit;
    }

    public int inUse() {
      return heldByA + heldByB;
    }

    private boolean take(boolean byA) {
      if (inUse() >= limit) {
        return false;
      }
      if (byA) {
        heldByA++;
      } else {
        heldByB++;
      }
      return true;
    }

    @Override
    public boolean equals(Object o) {
      return o instanceof Specification s
          && s.limit == limit && s.heldByA == heldByA && s.heldByB == heldByB;
    }

    @Override
    public int hashCode() {
      return Objects.hash(limit, heldByA, heldByB);
    }
  }
}
