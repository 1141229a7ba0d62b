package io.regulator.core.sim;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.regulator.HostRegulator;
import io.regulator.core.AdaptiveLimit;
import io.regulator.core.HostRegulators;
import java.time.Duration;
import java.util.ArrayList;
import java.util.IntSummaryStatistics;
import java.util.List;
import java.util.function.Function;
import java.util.function.LongSupplier;
import org.junit.jupiter.api.Test;

/**
 * Windowed AIMD against the synthetic server of {@link Simulation}, on its virtual clock: the
 * bands stated here are the ones docs/adaptive.md reports.
 */
class AdaptiveSimulationTest {
  private static final long SECOND = 1_000_000_000L;

  private static Function<LongSupplier, HostRegulator> aimd(int configured, int max) {
    return ticker -> HostRegulators.builder()
        .defaultLimit(configured)
        .adaptiveLimits(AdaptiveLimit.aimd().min(1).max(max).build())
        .ticker(ticker)
        .build();
  }

  /** The limits a node showed, sampled every 100 ms, from {@code fromNanos} on. */
  private static final class Trace {
    final List<long[]> samples = new ArrayList<>();

    void sample(long now, int limit) {
      samples.add(new long[] {now, limit});
    }

    IntSummaryStatistics between(long fromNanos, long toNanos) {
      IntSummaryStatistics stats = new IntSummaryStatistics();
      for (long[] sample : samples) {
        if (sample[0] >= fromNanos && sample[0] < toNanos) {
          stats.accept((int) sample[1]);
        }
      }
      return stats;
    }

    /** The first time at or after {@code fromNanos} the limit was at least {@code limit}, or -1. */
    long firstAtLeast(long fromNanos, int limit) {
      for (long[] sample : samples) {
        if (sample[0] >= fromNanos && sample[1] >= limit) {
          return sample[0];
        }
      }
      return -1;
    }
  }

  private static void assertBaseline(Simulation sim, Simulation.Node... nodes) {
    sim.drain();
    assertEquals(0, sim.inProgress(), "server in progress");
    for (Simulation.Node node : nodes) {
      assertEquals(0, node.regulator.inUse(Simulation.HOST), node.name + " in use");
      assertEquals(0, node.regulator.waiting(Simulation.HOST), node.name + " waiting");
      assertEquals(0, node.pool.inUse(), node.name + " pool in use");
      node.pool.close();
      node.regulator.close();
    }
  }

  @Test
  void capacity20_limitFallsFrom50AndStaysBetween18And21() {
    Simulation sim = new Simulation(20);
    Trace trace = new Trace();
    Simulation.Node node = sim.node("a", aimd(50, 50), 60);
    sim.runUntil(20 * SECOND, () -> trace.sample(sim.nowNanos(), node.limit()));
    long rejectedBefore = sim.rejected();
    long servedBefore = sim.served();
    sim.runUntil(60 * SECOND, () -> trace.sample(sim.nowNanos(), node.limit()));
    double steadyShare = (double) (sim.rejected() - rejectedBefore)
        / (sim.rejected() - rejectedBefore + sim.served() - servedBefore);

    long settled = trace.samples.stream().filter(s -> s[1] <= 21).findFirst().orElseThrow()[0];
    IntSummaryStatistics after = trace.between(20 * SECOND, 60 * SECOND);
    System.out.printf("capacity 20: settled at %.1f s; limit %d..%d (mean %.1f); 429 share"
            + " after 20 s %.2f%%%n", settled / 1e9, after.getMin(), after.getMax(),
        after.getAverage(), 100.0 * steadyShare);
    assertTrue(steadyShare < 0.01, "429 share once settled: " + steadyShare);
    assertTrue(settled <= 15 * SECOND, "settled after " + settled / 1e9 + " s");
    assertTrue(after.getMin() >= 18 && after.getMax() <= 21, "band " + after);
    assertTrue(sim.maxInProgress() <= 20, "the server never serves above its capacity");
    assertBaseline(sim, node);
  }

  @Test
  void capacityHalvedThenBack_limitFollowsDownAndRecovers() {
    Simulation sim = new Simulation(20);
    Trace trace = new Trace();
    Simulation.Node node = sim.node("a", aimd(20, 40), 60);
    Runnable sampler = () -> trace.sample(sim.nowNanos(), node.limit());
    sim.runUntil(30 * SECOND, sampler);
    sim.capacity(10);
    sim.runUntil(60 * SECOND, sampler);
    sim.capacity(20);
    sim.runUntil(90 * SECOND, sampler);

    IntSummaryStatistics low = trace.between(45 * SECOND, 60 * SECOND);
    long recovered = trace.firstAtLeast(60 * SECOND, 18);
    IntSummaryStatistics high = trace.between(75 * SECOND, 90 * SECOND);
    System.out.printf("capacity 20 -> 10 -> 20: low band %d..%d; back at 18 after %.1f s; "
            + "high band %d..%d%n", low.getMin(), low.getMax(), (recovered - 60 * SECOND) / 1e9,
        high.getMin(), high.getMax());
    assertTrue(low.getMin() >= 9 && low.getMax() <= 11, "band at capacity 10: " + low);
    assertTrue(recovered > 0 && recovered - 60 * SECOND <= 12 * SECOND,
        "recovered after " + (recovered - 60 * SECOND) / 1e9 + " s");
    assertTrue(high.getMin() >= 18 && high.getMax() <= 21, "band at capacity 20 again: " + high);
    assertBaseline(sim, node);
  }

  @Test
  void twoNodesSharingTheServer_convergeToFairShares() {
    Simulation sim = new Simulation(20);
    Trace traceA = new Trace();
    Trace traceB = new Trace();
    Simulation.Node a = sim.node("a", aimd(40, 50), 60);
    Simulation.Node b = sim.node("b", aimd(2, 50), 60);
    sim.runUntil(300 * SECOND, () -> {
      traceA.sample(sim.nowNanos(), a.limit());
      traceB.sample(sim.nowNanos(), b.limit());
    });
    IntSummaryStatistics lastA = traceA.between(240 * SECOND, 300 * SECOND);
    IntSummaryStatistics lastB = traceB.between(240 * SECOND, 300 * SECOND);
    System.out.printf("two nodes, capacity 20: a %d..%d (mean %.1f), b %d..%d (mean %.1f)%n",
        lastA.getMin(), lastA.getMax(), lastA.getAverage(),
        lastB.getMin(), lastB.getMax(), lastB.getAverage());
    assertTrue(Math.abs(lastA.getAverage() - lastB.getAverage()) <= 2.0,
        "a " + lastA + " vs b " + lastB);
    assertTrue(lastA.getAverage() + lastB.getAverage() >= 17
        && lastA.getAverage() + lastB.getAverage() <= 22, "sum of shares");
    assertBaseline(sim, a, b);
  }

  @Test
  void latencyBasedGradient2_staysUnderCapacityWithinItsBand() {
    Simulation sim = new Simulation(20);
    Trace trace = new Trace();
    Simulation.Node node = sim.node("a", ticker -> HostRegulators.builder()
        .defaultLimit(20)
        .adaptiveLimits(AdaptiveLimit.latency(() -> com.netflix.concurrency.limits.limit
            .Gradient2Limit.newBuilder().initialLimit(20).minLimit(2).maxConcurrency(40).build())
            .min(2).max(40).build())
        .ticker(ticker)
        .build(), 60);
    sim.runUntil(20 * SECOND, () -> trace.sample(sim.nowNanos(), node.limit()));
    long rejectedBefore = sim.rejected();
    long servedBefore = sim.served();
    sim.runUntil(60 * SECOND, () -> trace.sample(sim.nowNanos(), node.limit()));
    double share = (double) (sim.rejected() - rejectedBefore)
        / (sim.rejected() - rejectedBefore + sim.served() - servedBefore);
    IntSummaryStatistics after = trace.between(20 * SECOND, 60 * SECOND);
    System.out.printf("gradient2, capacity 20: limit %d..%d (mean %.1f); 429 share %.2f%%%n",
        after.getMin(), after.getMax(), after.getAverage(), 100 * share);
    assertTrue(after.getMin() >= 2 && after.getMax() <= 40, "band " + after);
    assertTrue(share < 0.01, "429 share " + share);
    assertTrue(sim.maxInProgress() <= 20, "the server never serves above its capacity");
    assertBaseline(sim, node);
  }

  @Test
  void latencyBasedVegas_staysUnderCapacityWithinItsBand() {
    Simulation sim = new Simulation(20);
    Trace trace = new Trace();
    Simulation.Node node = sim.node("a", ticker -> HostRegulators.builder()
        .defaultLimit(20)
        .adaptiveLimits(AdaptiveLimit.latency(() -> com.netflix.concurrency.limits.limit
            .VegasLimit.newBuilder().initialLimit(20).maxConcurrency(40).build())
            .min(2).max(40).build())
        .ticker(ticker)
        .build(), 60);
    sim.runUntil(20 * SECOND, () -> trace.sample(sim.nowNanos(), node.limit()));
    long rejectedBefore = sim.rejected();
    long servedBefore = sim.served();
    sim.runUntil(60 * SECOND, () -> trace.sample(sim.nowNanos(), node.limit()));
    double share = (double) (sim.rejected() - rejectedBefore)
        / (sim.rejected() - rejectedBefore + sim.served() - servedBefore);
    IntSummaryStatistics after = trace.between(20 * SECOND, 60 * SECOND);
    System.out.printf("vegas, capacity 20: limit %d..%d (mean %.1f); 429 share %.2f%%%n",
        after.getMin(), after.getMax(), after.getAverage(), 100 * share);
    assertTrue(after.getMin() >= 2 && after.getMax() <= 40, "band " + after);
    assertTrue(share < 0.01, "429 share " + share);
    assertTrue(sim.maxInProgress() <= 20, "the server never serves above its capacity");
    assertBaseline(sim, node);
  }
}
