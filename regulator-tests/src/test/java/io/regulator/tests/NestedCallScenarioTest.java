package io.regulator.tests;

import static io.regulator.tests.Waits.soon;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import com.sun.net.httpserver.HttpServer;
import io.regulator.HostKey;
import io.regulator.HostRegulator;
import io.regulator.RegulatedPool;
import io.regulator.SelfDeadlockException;
import io.regulator.Slot;
import io.regulator.SlotTimeoutException;
import io.regulator.core.HostRegulators;
import java.lang.invoke.MethodHandle;
import java.lang.invoke.MethodHandles;
import java.lang.invoke.MethodType;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

/**
 * Scenario 17: a nested call to the same host. A thread holding every slot of a host (the outer
 * request) asks for another (an auth call from inside its interceptor): it fails at once with
 * {@link SelfDeadlockException}, on platform and virtual threads, instead of waiting out a
 * one-minute timeout. A caller holding a slot while someone else can release still waits and is
 * served. Requests go to a real server on 127.0.0.1 that counts what it has in progress.
 */
@SuppressWarnings("try") // slots held by try-with-resources for their scope, not read
class NestedCallScenarioTest {
  /** Long enough that a test which waited it out would be caught by the bounded joins below. */
  private static final Duration LONG = Duration.ofMinutes(1);
  private static final long JOIN_SECONDS = 20;
  private static final MethodHandle NEW_VIRTUAL_THREAD_EXECUTOR = findVirtualThreadExecutor();

  private final HolderGauge server = new HolderGauge();
  private HttpServer httpServer;
  private HttpClient client;
  private HostKey host;
  private URI base;
  private HostRegulator regulator;
  private ExecutorService threads;

  @BeforeEach
  void setUp() throws Exception {
    httpServer = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 16);
    httpServer.createContext("/", exchange -> {
      server.enter();
      try {
        exchange.sendResponseHeaders(200, 2);
        exchange.getResponseBody().write("ok".getBytes(StandardCharsets.US_ASCII));
      } finally {
        server.exit();
        exchange.close();
      }
    });
    httpServer.start();
    base = URI.create("http://127.0.0.1:" + httpServer.getAddress().getPort() + "/");
    host = HostKey.of(base);
    client = HttpClient.newHttpClient();
    regulator = HostRegulators.builder().defaultLimit(1).acquireTimeout(LONG).build();
    threads = Executors.newCachedThreadPool();
  }

  @AfterEach
  void tearDown() {
    threads.shutdownNow();
    regulator.close();
    httpServer.stop(0);
  }

  @Test
  void nestedCallOnAPlatformThread_failsAtOnceNamingHostPoolAndHolders() throws Exception {
    assertNestedCallFailsAtOnce(threads);
  }

  @Test
  @Tag("virtual-threads")
  void nestedCallOnAVirtualThread_failsAtOnceNamingHostPoolAndHolders() throws Exception {
    assumeTrue(NEW_VIRTUAL_THREAD_EXECUTOR != null, "virtual threads need JDK 21+; this is JDK "
        + Runtime.version().feature());
    ExecutorService virtual = virtualThreadExecutor();
    try {
      assertNestedCallFailsAtOnce(virtual);
    } finally {
      virtual.shutdownNow();
    }
  }

  private void assertNestedCallFailsAtOnce(ExecutorService on) throws Exception {
    RegulatedPool api = regulator.newPool("api");
    RegulatedPool auth = regulator.newPool("auth");
    SelfDeadlockException refused = join(on.submit(() -> {
      try (Slot outer = api.acquire(host)) {
        server.resetMax();
        send("outer");
        SelfDeadlockException e =
            assertThrows(SelfDeadlockException.class, () -> auth.acquire(host));
        send("outer-continues"); // the outer request still holds its slot and goes on
        return e;
      }
    }));
    assertEquals(host, refused.key());
    assertEquals("auth", refused.poolName());
    assertEquals(1, refused.limit());
    assertEquals(1, refused.heldByCaller());
    assertEquals(Map.of("api", 1), refused.holders());
    String message = refused.getMessage();
    assertTrue(message.contains(host.toString()), message);
    assertTrue(message.contains("'auth'"), message);
    assertTrue(message.contains("held by {api=1}"), message);
    assertTrue(message.contains("higher limit"), message);
    server.assertNeverAbove(1);
    Baseline.assertBackToBaseline(regulator, host);
  }

  /**
   * Limit 2: the caller holds one slot and asks for the second, held by a worker that is busy, not
   * waiting. The caller queues, and is served when the worker gives its slot back.
   */
  @Test
  void callerHoldingASlotWhileAnotherCanRelease_waitsAndIsServed() throws Exception {
    regulator.setLimit(host, 2);
    RegulatedPool pool = regulator.newPool("api");
    CountDownLatch workerHolds = new CountDownLatch(1);
    CountDownLatch workerMayRelease = new CountDownLatch(1);
    Future<String> worker = threads.submit(() -> {
      try (Slot slot = pool.acquire(host)) {
        workerHolds.countDown();
        workerMayRelease.await();
        return send("worker");
      }
    });
    assertTrue(workerHolds.await(JOIN_SECONDS, TimeUnit.SECONDS));
    AtomicReference<Thread> callerThread = new AtomicReference<>();
    Future<String> caller = threads.submit(() -> {
      callerThread.set(Thread.currentThread());
      try (Slot outer = pool.acquire(host); Slot nested = pool.acquire(host)) {
        return send("outer") + send("nested");
      }
    });
    soon().until(() -> regulator.waiting(host) == 1 && callerThread.get() != null
        && Waits.isParked(callerThread.get()));
    assertFalse(caller.isDone());
    workerMayRelease.countDown();
    assertEquals("ok", join(worker));
    assertEquals("okok", join(caller));
    server.assertNeverAbove(2);
    Baseline.assertBackToBaseline(regulator, host);
  }

  /**
   * Limit 2, each of two threads holds one slot and asks for another: the first to ask waits (the
   * other holder is working), the second would close the cycle and fails at once; giving its
   * slot back serves the first.
   */
  @Test
  void twoHoldersAskingForMore_theSecondFailsAtOnceAndTheFirstIsServed() throws Exception {
    regulator.setLimit(host, 2);
    RegulatedPool pool = regulator.newPool("api");
    CountDownLatch secondHolds = new CountDownLatch(1);
    CountDownLatch firstQueued = new CountDownLatch(1);
    AtomicReference<Thread> firstThread = new AtomicReference<>();
    Future<String> first = threads.submit(() -> {
      firstThread.set(Thread.currentThread());
      try (Slot outer = pool.acquire(host)) {
        secondHolds.await();
        firstQueued.countDown();
        try (Slot nested = pool.acquire(host)) {
          return send("first-nested");
        }
      }
    });
    Future<SelfDeadlockException> second = threads.submit(() -> {
      try (Slot outer = pool.acquire(host)) {
        secondHolds.countDown();
        firstQueued.await();
        soon().until(() -> regulator.waiting(host) == 1 && Waits.isParked(firstThread.get()));
        return assertThrows(SelfDeadlockException.class, () -> pool.acquire(host));
      }
    });
    SelfDeadlockException refused = join(second);
    assertEquals(1, refused.heldByCaller());
    assertEquals(Map.of("api", 2), refused.holders());
    assertEquals("ok", join(first));
    server.assertNeverAbove(2);
    Baseline.assertBackToBaseline(regulator, host);
  }

  /**
   * The control: a slot taken by {@code acquireAsync} names no thread (it is commonly given back
   * from another one), so a nested blocking acquire behind it is not refused; it waits out its
   * timeout, which is what every nested call did before the check.
   */
  @Test
  void nestedCallBehindAnAsyncSlot_waitsOutItsTimeout() throws Exception {
    RegulatedPool pool = regulator.newPool("api");
    Slot outer = pool.acquireAsync(host, LONG).get(JOIN_SECONDS, TimeUnit.SECONDS);
    try {
      assertThrows(SlotTimeoutException.class, () -> pool.acquire(host, Duration.ofMillis(200)));
    } finally {
      outer.release();
    }
    Baseline.assertBackToBaseline(regulator, host);
  }

  private String send(String path) throws Exception {
    HttpResponse<String> response = client.send(
        HttpRequest.newBuilder(base.resolve(path)).build(), HttpResponse.BodyHandlers.ofString());
    assertEquals(200, response.statusCode());
    return response.body();
  }

  private static <T> T join(Future<T> future) throws Exception {
    return future.get(JOIN_SECONDS, TimeUnit.SECONDS);
  }

  private static MethodHandle findVirtualThreadExecutor() {
    MethodHandle factory;
    try {
      factory = MethodHandles.publicLookup().findStatic(Executors.class,
          "newVirtualThreadPerTaskExecutor", MethodType.methodType(ExecutorService.class));
    } catch (NoSuchMethodException | IllegalAccessException e) {
      return null;
    }
    return factory;
  }

  private static ExecutorService virtualThreadExecutor() {
    try {
      return (ExecutorService) NEW_VIRTUAL_THREAD_EXECUTOR.invokeExact();
    } catch (Throwable e) {
      throw new AssertionError("cannot create a virtual-thread executor", e);
    }
  }
}
