package io.regulator.core;

import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.regulator.HostKey;
import io.regulator.HostRegulator;
import io.regulator.RegulatedPool;
import io.regulator.RegulatorListener;
import io.regulator.Slot;
import java.time.Duration;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;
import org.openjdk.jmh.annotations.Warmup;

/**
 * What observing costs on the path every request takes: one thread acquires a free slot and
 * releases it, with observability off and with each feature on. Run with {@code -prof gc}; the
 * figure that matters is {@code gc.alloc.rate.norm} (bytes per operation). The command is in
 * {@code docs/observability.md}.
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
@Fork(value = 1, jvmArgsAppend = {"-Xms512m", "-Xmx512m"})
public class ObservabilityOverheadBenchmark {
  private static final HostKey HOST = HostKey.of("example.com", 443);

  /**
   * off: nothing configured. listener: one listener that ignores every event. meters: a
   * SimpleMeterRegistry. threshold: leak threshold only (a timer sweep, nothing per acquire).
   * reclaim: unreachable slots reclaimed (a cleaner handle per acquire). sites: reclaim plus
   * acquisition sites (a stack trace per acquire).
   */
  @Param({"off", "listener", "meters", "threshold", "reclaim", "sites"})
  String observability;

  private HostRegulator regulator;
  private RegulatedPool pool;

  /** JMH instantiates the state. */
  public ObservabilityOverheadBenchmark() {}

  @Setup
  public void setUp() {
    HostRegulators.Builder builder = HostRegulators.builder();
    switch (observability) {
      case "off":
        break;
      case "listener":
        builder.listener(new RegulatorListener() {});
        break;
      case "meters":
        builder.meterRegistry(new SimpleMeterRegistry());
        break;
      case "threshold":
        builder.leakThreshold(Duration.ofMinutes(5));
        break;
      case "reclaim":
        builder.reclaimUnreachableSlots(true);
        break;
      case "sites":
        builder.reclaimUnreachableSlots(true).recordAcquisitionSites(true);
        break;
      default:
        throw new IllegalArgumentException("observability: " + observability);
    }
    regulator = builder.build();
    pool = regulator.newPool("bench");
  }

  @TearDown
  public void tearDown() {
    regulator.close();
  }

  @Benchmark
  public Slot acquireRelease() throws InterruptedException {
    Slot slot = pool.acquire(HOST);
    slot.release();
    return slot;
  }

  @Benchmark
  public Optional<Slot> tryAcquireRelease() {
    Optional<Slot> slot = pool.tryAcquire(HOST);
    slot.orElseThrow().release();
    return slot;
  }
}
