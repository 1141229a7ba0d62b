package io.regulator.bench;

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
 * Both cores take and give back slots of one host of limit 8: nobody waits, so this measures how
 * the shared state of one hot host behaves under contention (CAS retries, cache-line traffic).
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.Throughput)
@OutputTimeUnit(TimeUnit.MICROSECONDS)
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
@Fork(value = 2, jvmArgsAppend = {"-Xms1g", "-Xmx1g"})
@Threads(2)
public class OneHostContendedBenchmark {
  @Param({"floor", "polling", "resilience4j", "failsafe", "guava", "netflix", "regulator"})
  String peer;

  private HostGate gate;
  private Object key;

  @Setup(Level.Trial)
  public void setUp() throws InterruptedException {
    gate = Peer.of(peer).open(8);
    key = gate.key(HostNames.of(0));
    gate.release(key, gate.acquire(key));
  }

  @TearDown(Level.Trial)
  public void tearDown() {
    gate.close();
  }

  @Benchmark
  public Object acquireRelease() throws InterruptedException {
    Object permit = gate.acquire(key);
    gate.release(key, permit);
    return permit;
  }
}
