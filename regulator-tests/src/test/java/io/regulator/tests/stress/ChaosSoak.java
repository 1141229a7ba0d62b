package io.regulator.tests.stress;

import io.regulator.HostKey;
import io.regulator.HostOverloadedException;
import io.regulator.HostRegulator;
import io.regulator.HostSnapshot;
import io.regulator.PoolClosedException;
import io.regulator.RegulatedPool;
import io.regulator.Slot;
import io.regulator.SlotTimeoutException;
import io.regulator.core.HostRegulators;
import java.io.IOException;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.io.UncheckedIOException;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.net.http.HttpTimeoutException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.Optional;
import java.util.Random;
import java.util.concurrent.CancellationException;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.ConcurrentMap;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReferenceArray;
import java.util.concurrent.locks.LockSupport;
import java.util.function.BooleanSupplier;
import java.util.function.Supplier;
import org.awaitility.Awaitility;
import org.awaitility.core.ConditionTimeoutException;

/**
 * The chaos soak: pools of three raw kinds and of every real integration share three loopback hosts
 * through one regulator, while workers acquire slots (raw pools) or call the real clients, which
 * take slots themselves, and send requests that the server answers with injected faults, and
 * a chaos thread closes and rebuilds pools, shrinks and grows limits and interrupts workers. A
 * monitor checks the bounds of {@link HostWatch} continuously; the end checks that every count is
 * back to its baseline, nobody is left waiting and no thread is stuck.
 *
 * <p>Every random decision comes from {@link Random}s derived from one seed, one per thread, so a
 * seed replays the same decisions; the interleaving is the scheduler's, so a failing race may need
 * its seed run a few times.
 *
 * <p>Not thread-safe: {@link #run} once.
 */
final class ChaosSoak {
  static final int HOSTS = 3;
  static final int WORKERS = 14;
  static final int MAX_WAITERS = 8;
  static final int MAX_LIMIT = 8;
  static final Duration ACQUIRE_TIMEOUT = Duration.ofMillis(50);
  static final long BOUND_SECONDS = 30;

  private static final ChaosPool.Kind[] KINDS = {
    ChaosPool.Kind.BLOCKING, ChaosPool.Kind.BLOCKING, ChaosPool.Kind.ASYNC,
    ChaosPool.Kind.ASYNC, ChaosPool.Kind.TRY_FIRST,
    ChaosPool.Kind.JDK_CLIENT, ChaosPool.Kind.APACHE_CLASSIC, ChaosPool.Kind.APACHE_ASYNC,
    ChaosPool.Kind.APACHE_4, ChaosPool.Kind.OKHTTP, ChaosPool.Kind.REACTOR_NETTY,
    ChaosPool.Kind.JETTY
  };

  private final long seed;
  private final long durationNanos;
  private final SoakReport report = new SoakReport();
  private final ConcurrentMap<Long, Exchange> exchanges = FaultServer.newExchangeTable();
  private final AtomicLong ids = new AtomicLong();
  private final List<FaultServer> servers = new ArrayList<>();
  private final List<HostWatch> hosts = new ArrayList<>();
  private final AtomicReferenceArray<ChaosPool> pools = new AtomicReferenceArray<>(KINDS.length);
  private final HttpClient[] clients = new HttpClient[KINDS.length];
  private final Thread[] workers = new Thread[WORKERS];
  private final ExecutorService releaser = Executors.newSingleThreadExecutor(runnable -> {
    Thread thread = new Thread(runnable, "soak-releaser");
    thread.setDaemon(true);
    return thread;
  });
  private HostRegulator regulator;
  private volatile boolean stop;
  /** Wall-clock time of the phases, for the summary. */
  private volatile long setupMillis;
  private volatile long runMillis;
  private volatile long endMillis;
  private boolean shutDown;

  ChaosSoak(long seed, Duration duration) {
    this.seed = seed;
    this.durationNanos = duration.toNanos();
  }

  /** Runs the soak and returns its report; violations are in the report, not thrown. */
  SoakReport run() throws Exception {
    long began = System.nanoTime();
    Random setup = random(-1);
    HostRegulators.Builder builder = HostRegulators.builder()
        .defaultLimit(4)
        .acquireTimeout(ACQUIRE_TIMEOUT)
        .maxWaitersPerHost(MAX_WAITERS);
    for (int i = 0; i < HOSTS; i++) {
      FaultServer server = new FaultServer(exchanges);
      servers.add(server);
      HostKey key = HostKey.of("127.0.0.1", server.port());
      int limit = 1 + setup.nextInt(MAX_LIMIT);
      builder.limit(key, limit);
      hosts.add(new HostWatch(key, limit, report));
    }
    regulator = builder.build();
    for (int i = 0; i < KINDS.length; i++) {
      // A raw pool's plain client; a JDK_CLIENT pool's delegate, which outlives its rebuilds.
      clients[i] = HttpClient.newBuilder()
          .version(HttpClient.Version.HTTP_1_1)
          .connectTimeout(Duration.ofSeconds(2))
          .build();
      pools.set(i, newPool(i));
    }
    try {
      warmUp();
      long start = System.nanoTime();
      setupMillis = TimeUnit.NANOSECONDS.toMillis(start - began);
      runThreads();
      long end = System.nanoTime();
      runMillis = TimeUnit.NANOSECONDS.toMillis(end - start);
      checkBaseline();
      shutdown();
      endMillis = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - end);
    } finally {
      shutdown();
    }
    return report;
  }

  /**
   * One uncounted request per client and server (an unknown id, answered 410), so that the first
   * requests of the soak do not time out on class loading and connection setup.
   */
  private void warmUp() throws Exception {
    for (int i = 0; i < KINDS.length; i++) {
      for (FaultServer server : servers) {
        if (KINDS[i].raw()) {
          HttpRequest request = HttpRequest.newBuilder(server.uri(0))
              .timeout(Duration.ofSeconds(BOUND_SECONDS))
              .build();
          clients[i].send(request, HttpResponse.BodyHandlers.discarding());
        } else {
          pools.get(i).real.get(server.uri(0)).answer().get(BOUND_SECONDS, TimeUnit.SECONDS);
          // A client may give the slot back just after it completed the call; the next warm-up
          // call to this host (limit maybe 1) waits only 50 ms for it.
          HostKey key = HostKey.of("127.0.0.1", server.port());
          Awaitility.await().atMost(Duration.ofSeconds(BOUND_SECONDS))
              .pollInterval(Duration.ofMillis(1))
              .until(() -> regulator.inUse(key) == 0);
        }
      }
    }
  }

  private ChaosPool newPool(int index) {
    ChaosPool.Kind kind = KINDS[index];
    String name = kind.name().toLowerCase(Locale.ROOT) + "-" + index;
    RegulatedPool pool = regulator.newPool(name);
    RealClient real = switch (kind) {
      case BLOCKING, ASYNC, TRY_FIRST -> null;
      case JDK_CLIENT -> RealClient.jdk(pool, clients[index]);
      case APACHE_CLASSIC -> RealClient.apacheClassic(pool);
      case APACHE_ASYNC -> RealClient.apacheAsync(pool);
      case APACHE_4 -> RealClient.apache4(pool);
      case OKHTTP -> RealClient.okhttp(pool);
      case REACTOR_NETTY -> RealClient.reactorNetty(pool);
      case JETTY -> RealClient.jetty(pool);
    };
    return real == null
        ? new ChaosPool(name, kind, pool, clients[index])
        : new ChaosPool(name, kind, real);
  }

  private Random random(int thread) {
    return new Random(seed * 1_000_003L + thread);
  }

  private void runThreads() throws InterruptedException {
    for (int i = 0; i < WORKERS; i++) {
      Random random = random(i);
      workers[i] = new Thread(() -> guarded(() -> work(random)), "soak-worker-" + i);
    }
    Thread chaos = new Thread(() -> guarded(() -> chaos(random(WORKERS))), "soak-chaos");
    Thread monitor = new Thread(() -> guarded(this::monitor), "soak-monitor");
    for (Thread worker : workers) {
      worker.start();
    }
    chaos.start();
    monitor.start();
    long deadline = System.nanoTime() + durationNanos;
    // The main thread only waits for the deadline or the first violation; it orders nothing.
    while (!report.failed() && System.nanoTime() < deadline) {
      LockSupport.parkNanos(Math.min(deadline - System.nanoTime(), 10_000_000L));
    }
    stop = true;
    long joinDeadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(BOUND_SECONDS);
    List<Thread> all = new ArrayList<>(Arrays.asList(workers));
    all.add(chaos);
    all.add(monitor);
    for (Thread thread : all) {
      thread.join(Math.max(1, TimeUnit.NANOSECONDS.toMillis(joinDeadline - System.nanoTime())));
      if (thread.isAlive()) {
        report.fail("thread stuck " + BOUND_SECONDS + " s after the soak ended: " + thread.getName()
            + " " + thread.getState() + "\n" + stackOf(thread));
      }
    }
  }

  private void guarded(Runnable body) {
    try {
      body.run();
    } catch (Throwable e) {
      report.fail("thread died: " + stackOf(e));
    }
  }

  // ---- workers ----

  private void work(Random random) {
    long backoffNanos = 0;
    while (!stop) {
      if (backoffNanos > 0) {
        // Retry-After backoff, taken after the slot went back (scenario 3); paces, orders nothing.
        LockSupport.parkNanos(backoffNanos);
      }
      report.operations.increment();
      ChaosPool pool = pools.get(random.nextInt(KINDS.length));
      HostWatch host = hosts.get(random.nextInt(HOSTS));
      if (!pool.kind.raw()) {
        backoffNanos = callReal(pool, host, random);
        continue;
      }
      Slot slot;
      try {
        slot = acquire(pool, host.key, random);
      } catch (SlotTimeoutException e) {
        report.outcome("acquire: timed out");
        continue;
      } catch (PoolClosedException e) {
        report.outcome("acquire: pool closed");
        continue;
      } catch (HostOverloadedException e) {
        report.outcome("acquire: host overloaded");
        continue;
      } catch (InterruptedException e) {
        report.outcome("acquire: interrupted");
        continue;
      } catch (RuntimeException e) {
        report.fail("acquire on " + pool + " threw " + stackOf(e));
        continue;
      }
      if (slot != null) {
        backoffNanos = useSlot(pool, host, slot, random);
      }
    }
  }

  /** A slot by the pool's own way of asking, or null if the worker gave up (outcome recorded). */
  private Slot acquire(ChaosPool chaosPool, HostKey key, Random random)
      throws InterruptedException {
    RegulatedPool pool = chaosPool.pool;
    switch (chaosPool.kind) {
      case BLOCKING:
        return (random.nextInt(4) == 0)
            ? pool.acquire(key)
            : pool.acquire(key, Duration.ofMillis(random.nextInt(40)));
      case TRY_FIRST:
        Optional<Slot> free = pool.tryAcquire(key);
        if (free.isPresent()) {
          report.outcome("acquire: tryAcquire got one");
          return free.get();
        }
        return pool.acquire(key, Duration.ofMillis(1 + random.nextInt(20)));
      case ASYNC:
        return acquireAsync(pool, key, random);
      default:
        throw new AssertionError(chaosPool.kind);
    }
  }

  private Slot acquireAsync(RegulatedPool pool, HostKey key, Random random)
      throws InterruptedException {
    CompletableFuture<Slot> future = pool.acquireAsync(key, Duration.ofMillis(random.nextInt(60)));
    int how = random.nextInt(10);
    try {
      if (how == 0) {
        // Cancel at once: races with a grant that may be under way (scenario 8).
        if (future.cancel(true)) {
          report.outcome("acquire: async cancelled");
          return null;
        }
      } else if (how == 1) {
        if (future.completeExceptionally(new CancellationException("the caller gave up"))) {
          report.outcome("acquire: async completed by its caller");
          return null;
        }
      } else if (how <= 3) {
        try {
          return future.get(random.nextInt(10), TimeUnit.MILLISECONDS);
        } catch (TimeoutException e) {
          if (future.cancel(true)) {
            report.outcome("acquire: async given up");
            return null;
          }
        }
      }
      return future.get(BOUND_SECONDS, TimeUnit.SECONDS);
    } catch (ExecutionException e) {
      if (e.getCause() instanceof RuntimeException cause
          && !(e.getCause() instanceof CancellationException)) {
        throw cause; // SlotTimeoutException, PoolClosedException, HostOverloadedException
      }
      report.outcome("acquire: async completed by its caller");
      return null;
    } catch (CancellationException e) {
      report.outcome("acquire: async cancelled");
      return null;
    } catch (TimeoutException e) {
      report.fail("acquireAsync did not complete in " + BOUND_SECONDS + " s: " + future);
      giveUp(pool, future);
      return null;
    } catch (InterruptedException e) {
      giveUp(pool, future);
      throw e;
    }
  }

  /** Leaves an async acquire; if a slot came anyway, gives it back. */
  private void giveUp(RegulatedPool pool, CompletableFuture<Slot> future) {
    if (!future.cancel(true) && !future.isCompletedExceptionally()) {
      Slot slot = future.join();
      // false only if the pool closed meanwhile and took the slot back itself
      report.check(slot.release() || pool.isClosed(),
          () -> "a slot granted to a caller that left was released twice: " + slot);
    }
  }

  /** Sends one request on the slot and gives the slot back; returns the backoff to take. */
  private long useSlot(ChaosPool pool, HostWatch host, Slot slot, Random random) {
    report.check(slot.key().equals(host.key) && slot.poolName().equals(pool.name),
        () -> "asked " + pool.name + " for " + host.key + ", got " + slot);
    long backoffNanos = 0;
    try {
      Exchange exchange = new Exchange(ids.incrementAndGet(), fault(random),
          TimeUnit.MILLISECONDS.toNanos(1 + random.nextInt(20)), host);
      exchanges.put(exchange.id, exchange);
      InFlight request = new InFlight(exchange, host, slot);
      try {
        if (!pool.register(request)) {
          report.outcome("request: pool closing, not sent");
          return 0;
        }
        backoffNanos = send(pool, servers.get(hosts.indexOf(host)), request, random);
      } finally {
        // End before unregistering: a close that no longer finds the request registered takes
        // the slot back at once, so the request must have stopped counting by then.
        // Only the pool's close may take a slot back under a request, and it ends the request
        // first: a request still counting must still have its slot.
        // Read in this order: close ends the request before it takes the slot back.
        boolean released = slot.isReleased();
        report.check(!released || !request.begun() || request.ended(),
            () -> "slot taken back while its request was in flight: " + request);
        request.end();
        pool.unregister(request);
        exchanges.remove(exchange.id);
      }
    } catch (RuntimeException e) {
      report.fail("request on " + pool + " threw " + stackOf(e));
    } finally {
      release(pool, slot, random);
    }
    return backoffNanos;
  }

  /**
   * One request on a real pool, whose client takes and gives back the slot. The worker's own
   * timeout stands in for a client timeout: on giving up it ends the request, which abandons it at
   * the server before it cancels the call, so the server's count never outlives the slot (a client
   * timeout would give the slot back before the server could be told). Returns the backoff.
   */
  private long callReal(ChaosPool pool, HostWatch host, Random random) {
    Exchange exchange = new Exchange(ids.incrementAndGet(), fault(random),
        TimeUnit.MILLISECONDS.toNanos(1 + random.nextInt(20)), host);
    exchanges.put(exchange.id, exchange);
    InFlight request = new InFlight(exchange, host, null);
    try {
      if (!pool.register(request)) {
        report.outcome("request: pool closing, not sent");
        return 0;
      }
      RealClient.Call call;
      try {
        call = pool.real.get(servers.get(hosts.indexOf(host)).uri(exchange.id));
      } catch (RuntimeException e) {
        // A client shut down by the chaos thread may refuse the call at once.
        report.check(pool.isClosing(), () -> "request on " + pool + " threw " + stackOf(e));
        report.outcome("request: refused by a closed client");
        return 0;
      }
      request.sent(call::cancel);
      long patienceMillis = random.nextInt(10) == 0
          ? random.nextInt(5) : 50 + random.nextInt(250);
      try {
        RealClient.Answer answer = call.answer().get(patienceMillis, TimeUnit.MILLISECONDS);
        report.outcome("request: HTTP " + answer.status() + " (" + pool.kind + ")");
        if (answer.status() == 429 || answer.status() == 503) {
          long seconds = answer.retryAfter() == null ? 0 : Long.parseLong(answer.retryAfter());
          return Math.min(TimeUnit.SECONDS.toNanos(seconds), 2_000_000L);
        }
      } catch (TimeoutException e) {
        request.end();
        report.outcome("request: given up by its worker (" + pool.kind + ")");
      } catch (InterruptedException e) {
        request.end();
        report.outcome("request: interrupted (" + pool.kind + ")");
      } catch (CancellationException e) {
        report.outcome("request: aborted by pool close (" + pool.kind + ")");
      } catch (ExecutionException e) {
        realFailure(pool, request, e.getCause());
      }
    } finally {
      request.end();
      pool.unregister(request);
      exchanges.remove(exchange.id);
    }
    return 0;
  }

  /** Sorts a real client's failure: no slot, a dropped connection, a close; anything else fails. */
  private void realFailure(ChaosPool pool, InFlight request, Throwable failure) {
    for (Throwable cause = failure; cause != null; cause = cause.getCause()) {
      if (cause instanceof SlotTimeoutException
          // HttpClient 5 reports a slot timeout as its own connection-request timeout.
          || cause instanceof org.apache.hc.core5.http.ConnectionRequestTimeoutException) {
        report.outcome("acquire: timed out (" + pool.kind + ")");
        return;
      } else if (cause instanceof HostOverloadedException) {
        report.outcome("acquire: host overloaded (" + pool.kind + ")");
        return;
      } else if (cause instanceof PoolClosedException) {
        report.check(pool.isClosing(),
            () -> pool + " said its pool closed while open: " + stackOf(failure));
        report.outcome("acquire: pool closed (" + pool.kind + ")");
        return;
      }
    }
    if (pool.isClosing() || request.ended()) {
      report.outcome("request: aborted by pool close (" + pool.kind + ")");
    } else if (failure instanceof IOException
        || failure instanceof UncheckedIOException
        || failure instanceof CancellationException) {
      report.outcome("request: connection dropped (" + pool.kind + ")");
    } else {
      report.fail("request on " + pool + " failed unexpectedly: " + stackOf(failure));
    }
  }

  private static Fault fault(Random random) {
    int roll = random.nextInt(100);
    if (roll < 40) {
      return Fault.NONE;
    } else if (roll < 60) {
      return Fault.SLOW;
    } else if (roll < 68) {
      return Fault.HANG;
    } else if (roll < 76) {
      return Fault.RESET;
    } else if (roll < 84) {
      return Fault.TOO_MANY_REQUESTS;
    } else if (roll < 92) {
      return Fault.UNAVAILABLE;
    }
    return Fault.CRASH;
  }

  private long send(ChaosPool pool, FaultServer server, InFlight request, Random random) {
    HttpRequest httpRequest = HttpRequest.newBuilder(server.uri(request.exchange.id))
        .timeout(Duration.ofMillis(50 + random.nextInt(250)))
        .GET()
        .build();
    CompletableFuture<HttpResponse<Void>> response =
        pool.http.sendAsync(httpRequest, HttpResponse.BodyHandlers.discarding());
    request.sent(() -> response.cancel(true));
    boolean impatient = random.nextInt(10) == 0;
    try {
      HttpResponse<Void> answer = impatient
          ? response.get(random.nextInt(5), TimeUnit.MILLISECONDS)
          : response.get(BOUND_SECONDS, TimeUnit.SECONDS);
      int status = answer.statusCode();
      // 410: the HTTP client retried a request the server dropped; the retry is not counted.
      report.outcome("request: HTTP " + status);
      if (status == 429 || status == 503) {
        // Honoured, but capped at 2 ms: the soak is about slots, not about waiting.
        long seconds = answer.headers().firstValueAsLong("Retry-After").orElse(0);
        return Math.min(TimeUnit.SECONDS.toNanos(seconds), 2_000_000L);
      }
    } catch (TimeoutException e) {
      if (impatient) {
        report.outcome("request: cancelled by its worker");
      } else {
        report.fail("HTTP exchange " + request.exchange.id + " (" + request.exchange.fault
            + ") did not end in " + BOUND_SECONDS + " s");
      }
    } catch (CancellationException e) {
      report.outcome("request: aborted by pool close");
    } catch (InterruptedException e) {
      report.outcome("request: interrupted");
    } catch (ExecutionException e) {
      Throwable cause = e.getCause();
      if (cause instanceof HttpTimeoutException) {
        report.outcome("request: timed out");
      } else if (cause instanceof IOException || cause instanceof CancellationException) {
        report.outcome(request.ended()
            ? "request: aborted by pool close" : "request: connection dropped");
      } else {
        report.fail("request failed unexpectedly: " + stackOf(cause));
      }
    }
    return 0;
  }

  private void release(ChaosPool pool, Slot slot, Random random) {
    boolean first;
    if (random.nextInt(10) == 0) {
      // Release from another thread: still exactly one slot back (API: release is owned). join()
      // is not interruptible, so an interrupt from the chaos thread cannot make this worker
      // release the slot a second time while the hand-over is under way.
      try {
        first = CompletableFuture.supplyAsync(slot::release, releaser)
            .orTimeout(BOUND_SECONDS, TimeUnit.SECONDS)
            .join();
      } catch (CompletionException e) {
        report.fail("release on another thread failed: " + stackOf(e));
        return;
      }
    } else {
      first = slot.release();
    }
    report.check(slot.isReleased(), () -> "released but not isReleased(): " + slot);
    if (first) {
      report.outcome("release: gave the slot back");
      if (random.nextInt(8) == 0) {
        report.check(!slot.release(), () -> "a second release() gave back a slot: " + slot);
      }
    } else {
      // Nobody but this worker and its pool's close may release the slot.
      report.check(pool.pool.isClosed(),
          () -> "release() false although the pool is open and nobody else had it: " + slot);
      report.outcome("release: pool had taken it back");
    }
  }

  // ---- chaos and monitor ----

  private void chaos(Random random) {
    while (!stop) {
      // Pacing of injected faults; nothing waits for anything to have happened.
      LockSupport.parkNanos(TimeUnit.MICROSECONDS.toNanos(500 + random.nextInt(10_000)));
      int action = random.nextInt(20);
      if (action < 5) {
        rebuildPool(random.nextInt(KINDS.length));
      } else if (action < 11) {
        hosts.get(random.nextInt(HOSTS)).changeLimit(regulator, 1 + random.nextInt(MAX_LIMIT));
      } else if (action < 19) {
        workers[random.nextInt(WORKERS)].interrupt();
        report.interrupts.increment();
      } else {
        String name = pools.get(random.nextInt(KINDS.length)).name;
        try {
          regulator.newPool(name).close();
          report.fail("newPool('" + name + "') succeeded while an open pool has that name");
        } catch (IllegalStateException expected) {
          report.checks.increment();
        }
      }
    }
  }

  private void rebuildPool(int index) {
    ChaosPool old = pools.get(index);
    try {
      old.close();
    } catch (IOException e) {
      report.fail(old + " failed to close: " + stackOf(e));
    }
    report.check(old.pool.isClosed() && old.pool.inUse() == 0,
        () -> old + " still counts " + old.pool.inUse() + " slots after close");
    pools.set(index, newPool(index));
    report.poolRebuilds.increment();
  }

  private void monitor() {
    while (!stop) {
      for (HostWatch host : hosts) {
        host.sample(regulator, MAX_WAITERS);
      }
      lockAll(0, this::checkSnapshot);
      // Sampling pace; the checks hold whenever they run.
      LockSupport.parkNanos(1_000_000L);
    }
  }

  /** Takes every host's lock in a fixed order, so that no limit or ceiling moves meanwhile. */
  private void lockAll(int from, Runnable action) {
    if (from == hosts.size()) {
      action.run();
    } else {
      hosts.get(from).locked(() -> lockAll(from + 1, action));
    }
  }

  private void checkSnapshot() {
    for (HostSnapshot host : regulator.snapshot()) {
      int index = indexOf(host.key());
      if (index < 0) {
        report.fail("snapshot shows a host the soak never used: " + host);
        continue;
      }
      int sum = host.inUseByPool().values().stream().mapToInt(Integer::intValue).sum();
      hosts.get(index).checkSnapshot(host.limit(), host.inUse(), sum);
    }
  }

  private int indexOf(HostKey key) {
    for (int i = 0; i < hosts.size(); i++) {
      if (hosts.get(i).key.equals(key)) {
        return i;
      }
    }
    return -1;
  }

  // ---- the end ----

  private void checkBaseline() {
    // Async grants that lost to a cancel are given back on the async executor: allow it to run.
    for (HostWatch host : hosts) {
      settle(() -> regulator.inUse(host.key) == 0 && regulator.waiting(host.key) == 0
              && host.server() == 0 && host.client() == 0,
          () -> host.key + " not back to baseline: inUse " + regulator.inUse(host.key)
              + ", waiting " + regulator.waiting(host.key) + ", server " + host.server()
              + ", pools " + host.client());
    }
    settle(exchanges::isEmpty, () -> exchanges.size() + " exchanges never ended");
    for (int i = 0; i < KINDS.length; i++) {
      ChaosPool pool = pools.get(i);
      report.check(pool.pool.inUse() == 0,
          () -> pool + " still holds " + pool.pool.inUse() + " slots with no worker left");
      try {
        pool.close();
      } catch (IOException e) {
        report.fail(pool + " failed to close: " + stackOf(e));
      }
      report.check(pool.pool.isClosed(), () -> pool + " still open after its close");
    }
    // No lost slots: each host gives exactly its limit to a fresh pool.
    RegulatedPool fresh = regulator.newPool("capacity-check");
    for (HostWatch host : hosts) {
      int limit = host.limit();
      List<Slot> taken = new ArrayList<>();
      for (int i = 0; i < limit; i++) {
        fresh.tryAcquire(host.key).ifPresent(taken::add);
      }
      int got = taken.size();
      report.check(got == limit,
          () -> host.key + " gave " + got + " of its " + limit + " slots to a fresh pool");
      report.check(fresh.tryAcquire(host.key).isEmpty(),
          () -> host.key + " gave more than its limit " + limit + " to a fresh pool");
    }
    fresh.close();
    for (HostWatch host : hosts) {
      report.check(regulator.inUse(host.key) == 0,
          () -> host.key + ": inUse " + regulator.inUse(host.key) + " after every pool closed");
    }
  }

  private void settle(BooleanSupplier condition, Supplier<String> violation) {
    try {
      Awaitility.await().atMost(Duration.ofSeconds(10)).pollInterval(Duration.ofMillis(5))
          .until(condition::getAsBoolean);
      report.checks.increment();
    } catch (ConditionTimeoutException e) {
      report.fail(violation.get());
    }
  }

  private void shutdown() throws InterruptedException {
    if (shutDown) {
      return;
    }
    shutDown = true;
    // Closes every pool again (idempotent): after a failure before checkBaseline, this stops the
    // real clients' threads.
    for (int i = 0; i < KINDS.length; i++) {
      ChaosPool pool = pools.get(i);
      if (pool != null) {
        try {
          pool.close();
        } catch (IOException | RuntimeException e) {
          report.fail(pool + " failed to close: " + stackOf(e));
        }
      }
    }
    if (regulator != null) {
      regulator.close();
    }
    releaser.shutdownNow();
    for (FaultServer server : servers) {
      server.close();
    }
    for (FaultServer server : servers) {
      if (!server.awaitHandlers(10, TimeUnit.SECONDS)) {
        report.fail("a server handler was still running 10 s after the server stopped");
      }
    }
  }

  String summary() {
    StringBuilder out = new StringBuilder()
        .append("chaos soak, seed ").append(seed)
        .append(", ").append(TimeUnit.NANOSECONDS.toSeconds(durationNanos)).append(" s: ")
        .append(report.operations.sum()).append(" operations, ")
        .append(report.checks.sum()).append(" invariant checks, ")
        .append(report.poolRebuilds.sum()).append(" pool rebuilds, ")
        .append(report.limitChanges.sum()).append(" limit changes, ")
        .append(report.interrupts.sum()).append(" interrupts; setup and warm-up ")
        .append(setupMillis).append(" ms, run ").append(runMillis).append(" ms, end checks and shutdown ")
        .append(endMillis).append(" ms\n");
    for (HostWatch host : hosts) {
      out.append("  ").append(host.summary()).append('\n');
    }
    report.outcomes().forEach((outcome, count) ->
        out.append("  ").append(outcome).append(": ").append(count).append('\n'));
    return out.toString();
  }

  static String stackOf(Throwable e) {
    StringWriter out = new StringWriter();
    e.printStackTrace(new PrintWriter(out));
    return out.toString();
  }

  private static String stackOf(Thread thread) {
    StringBuilder out = new StringBuilder();
    for (StackTraceElement frame : thread.getStackTrace()) {
      out.append("\tat ").append(frame).append('\n');
    }
    return out.toString();
  }
}
