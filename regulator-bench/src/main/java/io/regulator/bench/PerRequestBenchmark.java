package io.regulator.bench;

import io.regulator.HostKey;
import java.net.URI;
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
 * The full per-request path of an integration that does not cache its route's key: the key built
 * from the request (its {@link URI}, or its host string and port), then acquire and release, one
 * thread, never waiting. Hosts are drawn as in {@link UncontendedBenchmark}.
 *
 * <p>{@code path}: {@code floor} is the floor with its key prepared (the reference of every
 * ratio); {@code floor-uri} the floor keyed per request by {@code host + ":" + port} from the
 * URI; {@code regulator} ours with the key prepared; {@code regulator-uri} ours with {@code
 * HostKey.of(uri)} per request; {@code regulator-host} ours with {@code HostKey.of(host, 443)}
 * per request.
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
@Fork(value = 2, jvmArgsAppend = {"-Xms1g", "-Xmx1g"})
@Threads(1)
public class PerRequestBenchmark {
  private static final int SEQUENCE = 1 << 16;

  @Param({"floor", "floor-uri", "regulator", "regulator-uri", "regulator-host"})
  String path;

  @Param({"1", "10000"})
  int hosts;

  private HostGate gate;
  private Object[] keys;
  private URI[] uris;
  private String[] names;
  private int[] sequence;
  private int next;

  /** {@code path} as a number, so that the measured switch is not a string switch. */
  private int mode;

  @Setup(Level.Trial)
  public void setUp() throws InterruptedException {
    mode = java.util.List.of("floor", "floor-uri", "regulator", "regulator-uri", "regulator-host")
        .indexOf(path);
    gate = (path.startsWith("floor") ? Peer.FLOOR : Peer.REGULATOR).open(8);
    keys = HostNames.keys(gate, hosts);
    uris = new URI[hosts];
    names = new String[hosts];
    for (int i = 0; i < hosts; i++) {
      names[i] = HostNames.of(i);
      // As a client holds it: parsed once when the request was built, not by the regulator.
      uris[i] = URI.create("https://" + names[i] + "/v1/items?page=2");
    }
    SplittableRandom random = new SplittableRandom(42);
    sequence = new int[SEQUENCE];
    for (int i = 0; i < SEQUENCE; i++) {
      sequence[i] = random.nextInt(hosts);
    }
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
    int host = sequence[next++ & (SEQUENCE - 1)];
    Object key;
    switch (mode) {
      case 1:
        URI uri = uris[host];
        key = uri.getHost() + ":" + (uri.getPort() == -1 ? 443 : uri.getPort());
        break;
      case 3:
        key = HostKey.of(uris[host]);
        break;
      case 4:
        key = HostKey.of(names[host], 443);
        break;
      default:
        key = keys[host];
        break;
    }
    Object permit = gate.acquire(key);
    gate.release(key, permit);
    return permit;
  }
}
