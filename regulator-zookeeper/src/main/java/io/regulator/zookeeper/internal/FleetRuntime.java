package io.regulator.zookeeper.internal;

import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ScheduledThreadPoolExecutor;
import java.util.concurrent.ThreadFactory;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * What every host entry of one fleet regulator shares: settings, the connection view, counters,
 * events, and the threads that talk to ZooKeeper.
 *
 * <p>ZooKeeper work runs on daemon platform threads of a cached pool: Curator's recipes block in
 * {@code synchronized}/{@code wait}, which would pin a caller's virtual thread. Their number is
 * bounded by {@code acquiresPerHost} per active host plus the callers of {@code tryAcquire} and
 * the admin methods. One timer thread arms async timeouts and sweeps idle hosts.
 *
 * <p>Thread-safe.
 */
final class FleetRuntime {
  static final System.Logger LOG = System.getLogger("io.regulator.zookeeper");

  /** A piece of ZooKeeper work. */
  @FunctionalInterface
  interface ZooKeeperCall<T> {
    T call() throws Exception;
  }

  final FleetSettings settings;
  final FleetConnection connection;
  final FleetCounters counters = new FleetCounters();
  final FleetObserver observer;
  final FleetEvents events;
  final ExecutorService zooKeeperThreads;
  final ScheduledThreadPoolExecutor timer;
  private volatile boolean closed;

  FleetRuntime(FleetSettings settings, FleetConnection connection) {
    this.settings = settings;
    this.connection = connection;
    // The only mention of Micrometer: without a registry that class is never loaded.
    this.observer = (settings.meterRegistry() == null)
        ? FleetObserver.NONE
        : new MicrometerFleetObserver(
            settings.meterRegistry(), settings.maxTaggedHosts(), connection);
    this.events = new FleetEvents(settings.listeners(), observer);
    this.zooKeeperThreads = Executors.newCachedThreadPool(daemonThreads("regulator-fleet-zk-"));
    this.timer = new ScheduledThreadPoolExecutor(1, daemonThreads("regulator-fleet-timer-"));
    timer.setRemoveOnCancelPolicy(true);
  }

  long now() {
    return settings.ticker().getAsLong();
  }

  boolean isClosed() {
    return closed;
  }

  void markClosed() {
    closed = true;
  }

  /** Runs {@code call} on a ZooKeeper thread; the caller parks on the future, pinning nothing. */
  <T> CompletableFuture<T> onZooKeeperThread(ZooKeeperCall<T> call) {
    CompletableFuture<T> result = new CompletableFuture<>();
    try {
      zooKeeperThreads.execute(() -> {
        try {
          result.complete(call.call());
        } catch (Exception e) {
          result.completeExceptionally(e);
        }
      });
    } catch (RejectedExecutionException e) {
      result.completeExceptionally(new IllegalStateException("fleet regulator is closed", e));
    }
    return result;
  }

  private static ThreadFactory daemonThreads(String prefix) {
    AtomicInteger count = new AtomicInteger();
    return runnable -> {
      Thread thread = new Thread(runnable, prefix + count.incrementAndGet());
      thread.setDaemon(true);
      return thread;
    };
  }
}
