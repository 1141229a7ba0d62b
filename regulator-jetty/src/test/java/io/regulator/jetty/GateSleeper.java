package io.regulator.jetty;

import io.regulator.http.Sleeper;

import java.time.Duration;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.function.IntSupplier;

/**
 * A sleeper that holds every retry in its backoff until the test opens the gate, and records each
 * requested delay and what {@code probe} read at the instant the wait began (the slots in use).
 */
final class GateSleeper implements Sleeper {
  private final CompletableFuture<Void> gate = new CompletableFuture<>();
  private final List<Duration> delays = new CopyOnWriteArrayList<>();
  private final List<Integer> probes = new CopyOnWriteArrayList<>();
  private final IntSupplier probe;

  GateSleeper(IntSupplier probe) {
    this.probe = probe;
  }

  /** A sleeper whose gate is open from the start: it only records. */
  static GateSleeper open(IntSupplier probe) {
    GateSleeper sleeper = new GateSleeper(probe);
    sleeper.open();
    return sleeper;
  }

  @Override
  public CompletableFuture<Void> sleep(Duration delay) {
    probes.add(probe.getAsInt());
    delays.add(delay);
    return gate.thenApply(ignored -> null);
  }

  void open() {
    gate.complete(null);
  }

  int sleeping() {
    return delays.size();
  }

  List<Duration> delays() {
    return List.copyOf(delays);
  }

  /** What the probe read as each wait began. */
  List<Integer> probes() {
    return List.copyOf(probes);
  }
}
