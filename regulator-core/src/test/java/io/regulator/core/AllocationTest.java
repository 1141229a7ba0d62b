package io.regulator.core;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import com.sun.management.HotSpotDiagnosticMXBean;
import com.sun.management.ThreadMXBean;
import io.regulator.HostKey;
import io.regulator.HostRegulator;
import io.regulator.RegulatedPool;
import java.lang.management.ManagementFactory;
import org.junit.jupiter.api.Test;

/**
 * The free path allocates only the slot when nothing observes the regulator: observability must
 * cost an unobserved regulator nothing. Counted with the thread's allocated-bytes counter, which
 * is exact for this thread; even interpreted, nothing else on this path allocates, so the figure
 * does not depend on escape analysis or on when the JIT compiles. The speed and the figures with
 * observability on are measured by {@link ObservabilityOverheadBenchmark}.
 */
class AllocationTest {
  private static final HostKey HOST = HostKey.of("example.com", 443);

  /** The slot: a 12-byte header, three compressed references, an int and two longs, 8-aligned. */
  private static final double SLOT_BYTES = 48;

  @Test
  void freeAcquireAndRelease_allocateOnlyTheSlotWhenNothingObserves() throws Exception {
    HotSpotDiagnosticMXBean vm = ManagementFactory.getPlatformMXBean(HotSpotDiagnosticMXBean.class);
    assumeTrue(vm.getVMOption("UseCompressedOops").getValue().equals("true"),
        "the slot's size assumes compressed references");
    ThreadMXBean threads = (ThreadMXBean) ManagementFactory.getThreadMXBean();
    try (HostRegulator regulator = HostRegulators.builder().build()) {
      RegulatedPool pool = regulator.newPool("a");
      int perRound = 10_000;
      double fewest = Double.MAX_VALUE;
      for (int round = 0; round < 5; round++) { // the first round loads classes
        long before = threads.getCurrentThreadAllocatedBytes();
        for (int i = 0; i < perRound; i++) {
          pool.acquire(HOST).release();
        }
        long allocated = threads.getCurrentThreadAllocatedBytes() - before;
        fewest = Math.min(fewest, (double) allocated / perRound);
      }
      assertEquals(SLOT_BYTES, fewest, "bytes per acquire and release");
    }
  }
}
