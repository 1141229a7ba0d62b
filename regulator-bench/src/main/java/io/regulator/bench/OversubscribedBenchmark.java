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
import org.openjdk.jmh.infra.Blackhole;

/**
 * 64 threads share one host of limit 8 and hold each slot for a little work and one {@link
 * Thread#yield()}, which stands for the I/O wait of a real request: the holder gives up its core
 * (or, as a virtual thread, its carrier) while it keeps the slot, as it would while reading a
 * response. Without it, two cores would never have more than two holders at once and nobody
 * would ever queue. With it, most threads are queued, so throughput is set by how fast a released
 * slot reaches the next waiter.
 *
 * <p>JMH runs the 64 threads as platform threads; add {@code -jvmArgsAppend
 * -Djmh.executor=VIRTUAL} on JDK 21 or newer to run them as virtual threads (JMH 1.37 creates
 * them itself, so this module still compiles with {@code --release 17}).
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.Throughput)
@OutputTimeUnit(TimeUnit.MICROSECONDS)
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
@Fork(value = 2, jvmArgsAppend = {"-Xms1g", "-Xmx1g"})
@Threads(64)
public class OversubscribedBenchmark {
  @Param({"floor", "polling", "resilience4j", "failsafe", "guava", "netflix", "regulator"})
  String peer;

  /** Work done while holding the slot, in JMH's {@link Blackhole#consumeCPU} tokens. */
  @Param({"100"})
  int holdTokens;

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
  public Object acquireHoldRelease() throws InterruptedException {
    Object permit = gate.acquire(key);
    try {
      Blackhole.consumeCPU(holdTokens);
      Thread.yield();
    } finally {
      gate.release(key, permit);
    }
    return permit;
  }
}
