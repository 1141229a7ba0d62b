package io.regulator.bench;

import java.util.SplittableRandom;
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
 * One thread takes and gives back a slot, never waiting: the cost every request pays. With 10,000
 * hosts the host is drawn from a fixed random sequence, so the table lookup misses the cache as
 * it would in a crawler or a gateway. Run with {@code -prof gc} for the allocation per operation.
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
@Fork(value = 2, jvmArgsAppend = {"-Xms1g", "-Xmx1g"})
@Threads(1)
public class UncontendedBenchmark {
  private static final int SEQUENCE = 1 << 16;

  @Param({"floor", "polling", "resilience4j", "failsafe", "guava", "netflix", "regulator"})
  String peer;

  @Param({"1", "10000"})
  int hosts;

  private HostGate gate;
  private Object[] keys;
  private int[] sequence;
  private int next;

  @Setup(Level.Trial)
  public void setUp() throws InterruptedException {
    gate = Peer.of(peer).open(8);
    keys = HostNames.keys(gate, hosts);
    SplittableRandom random = new SplittableRandom(42);
    sequence = new int[SEQUENCE];
    for (int i = 0; i < SEQUENCE; i++) {
      sequence[i] = random.nextInt(hosts);
    }
    // Every host is known before measuring: the steady state of a long-running client.
    for (Object key : keys) {
      gate.release(key, gate.acquire(key));
    }
  }

  @TearDown(Level.Trial)
  public void tearDown() {
    gate.close();
  }

  @Benchmark
  public Object acquireRelease() throws InterruptedException {
    Object key = keys[sequence[next++ & (SEQUENCE - 1)]];
    Object permit = gate.acquire(key);
    gate.release(key, permit);
    return permit;
  }
}
