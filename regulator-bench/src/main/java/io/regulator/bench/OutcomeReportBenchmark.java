package io.regulator.bench;

import io.regulator.DropReason;
import io.regulator.HostKey;
import io.regulator.HostRegulator;
import io.regulator.RegulatedPool;
import io.regulator.Slot;
import io.regulator.core.AdaptiveLimit;
import io.regulator.core.HostRegulators;
import io.regulator.core.SharedBackoff;
import java.time.Duration;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;
import org.openjdk.jmh.annotations.Threads;
import org.openjdk.jmh.annotations.Warmup;

/**
 * The cost of reporting an attempt's outcome on a slot (issue 16), on one held slot: {@code off}
 * (a regulator without adaptive limits: the report stops at a null check), {@code aimd} (windowed
 * AIMD: the host's in-use read, its algorithm lock, one window check), {@code aimd+backoff} (the
 * same, with shared Retry-After configured). A drop cuts the limit at most once per window, so in
 * steady state it costs what a success does; the first of each window also applies a limit change.
 * And the acquire and release of a host not in backoff, with shared backoff configured, against
 * without: the price of the hook in the acquire path. Run with {@code -prof gc} for allocation.
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
@Fork(value = 1, jvmArgsAppend = {"-Xms1g", "-Xmx1g"})
@Threads(1)
public class OutcomeReportBenchmark {
  private static final HostKey HOST = HostKey.of("partner.example", 443);
  private static final Duration LATENCY = Duration.ofMillis(12);

  @Param({"off", "aimd", "aimd+backoff"})
  String regulatorKind;

  private HostRegulator regulator;
  private RegulatedPool pool;
  private Slot held;

  @Setup(Level.Trial)
  public void setUp() {
    HostRegulators.Builder builder = HostRegulators.builder().defaultLimit(1000);
    if (regulatorKind.startsWith("aimd")) {
      // A large max and a long window: the limit stays put, so each op measures the report itself.
      builder.adaptiveLimits(AdaptiveLimit.aimd().max(1000).window(Duration.ofDays(1)).build());
    }
    if (regulatorKind.endsWith("backoff")) {
      builder.sharedRetryAfter(SharedBackoff.WAIT);
    }
    regulator = builder.build();
    pool = regulator.newPool("bench");
    held = pool.tryAcquire(HOST).orElseThrow();
  }

  @TearDown(Level.Trial)
  public void tearDown() {
    held.release();
    regulator.close();
  }

  @Benchmark
  public void reportSuccess() {
    held.reportSuccess(LATENCY);
  }

  @Benchmark
  public void reportDropped() {
    held.reportDropped(DropReason.RATE_LIMITED);
  }

  @Benchmark
  public boolean acquireReportRelease() {
    Slot slot = pool.tryAcquire(HOST).orElseThrow();
    slot.reportSuccess(LATENCY);
    return slot.release();
  }

  @Benchmark
  public boolean acquireRelease() {
    return pool.tryAcquire(HOST).orElseThrow().release();
  }
}
