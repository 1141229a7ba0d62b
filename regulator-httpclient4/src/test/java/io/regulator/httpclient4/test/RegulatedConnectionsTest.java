package io.regulator.httpclient4.test;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNotSame;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.regulator.HostKey;
import io.regulator.HostRegulator;
import io.regulator.PoolClosedException;
import io.regulator.RegulatedPool;
import io.regulator.Slot;
import io.regulator.core.HostRegulators;
import io.regulator.httpclient4.RegulatedConnections;
import java.io.IOException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CancellationException;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import org.apache.http.HttpClientConnection;
import org.apache.http.HttpHost;
import org.apache.http.conn.ConnectionRequest;
import org.apache.http.conn.ManagedHttpClientConnection;
import org.apache.http.conn.routing.HttpRoute;
import org.apache.http.impl.conn.PoolingHttpClientConnectionManager;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.RepeatedTest;
import org.junit.jupiter.api.Test;

/**
 * The manager driven directly, as HttpClient drives it: requests, cancels, releases and shutdown,
 * each ending with every count at its baseline.
 */
class RegulatedConnectionsTest {
  private static final int LIMIT = 2;
  private static final HttpRoute ROUTE = new HttpRoute(new HttpHost("127.0.0.1", 8080, "http"));
  private static final HostKey KEY = HostKey.of("127.0.0.1", 8080);

  private HostRegulator regulator;
  private PoolingHttpClientConnectionManager wrapped;
  private RegulatedConnections connections;
  private final List<AutoCloseable> closeables = new ArrayList<>();

  @BeforeEach
  void start() {
    regulator = HostRegulators.builder().defaultLimit(LIMIT).acquireTimeout(Duration.ofSeconds(10)).build();
    wrapped = new PoolingHttpClientConnectionManager();
    wrapped.setDefaultMaxPerRoute(1);
    connections = RegulatedConnections.wrap(wrapped, regulator.newPool("direct"));
  }

  @AfterEach
  void stop() throws Exception {
    for (AutoCloseable closeable : closeables) {
      closeable.close();
    }
    connections.shutdown();
    assertEquals(0, regulator.inUse(KEY));
    assertEquals(0, regulator.waiting(KEY));
    regulator.close();
  }

  private List<Slot> holdEverySlot() throws InterruptedException {
    RegulatedPool holder = regulator.newPool("holder");
    closeables.add(holder);
    List<Slot> held = new ArrayList<>();
    for (int i = 0; i < LIMIT; i++) {
      held.add(holder.acquire(KEY));
    }
    return held;
  }

  private static CompletableFuture<HttpClientConnection> getAsync(ConnectionRequest request) {
    CompletableFuture<HttpClientConnection> result = new CompletableFuture<>();
    Thread thread = new Thread(() -> {
      try {
        result.complete(request.get(10, TimeUnit.SECONDS));
      } catch (Throwable t) {
        result.completeExceptionally(t);
      }
    }, "lease");
    thread.setDaemon(true);
    thread.start();
    return result;
  }

  private static void assertAborted(CompletableFuture<HttpClientConnection> lease) {
    ExecutionException failed = assertThrows(ExecutionException.class, () -> lease.get(5, TimeUnit.SECONDS));
    ExecutionException aborted = assertInstanceOf(ExecutionException.class, failed.getCause());
    assertInstanceOf(CancellationException.class, aborted.getCause());
  }

  @Test
  void aLease_holdsOneSlotOfTheTarget_untilItsConnectionIsReleased() throws Exception {
    HttpClientConnection conn = connections.requestConnection(ROUTE, null).get(1, TimeUnit.SECONDS);
    assertInstanceOf(ManagedHttpClientConnection.class, conn, "HttpClient finds the socket and TLS session");
    assertEquals(1, regulator.inUse(KEY));
    assertEquals(1, wrapped.getTotalStats().getLeased());
    connections.releaseConnection(conn, null, 0, TimeUnit.MILLISECONDS);
    assertEquals(0, regulator.inUse(KEY));
    assertEquals(0, wrapped.getTotalStats().getLeased());
  }

  @Test
  void aConnectionReleasedTwice_givesBackOneSlot() throws Exception {
    // Another route of the wrapped pool (one connection each), to the same target: the same key.
    HttpRoute other = new HttpRoute(new HttpHost("127.0.0.1", 8080, "http"), null,
        new HttpHost("proxy.internal", 3128, "http"), false);
    HttpClientConnection first = connections.requestConnection(ROUTE, null).get(1, TimeUnit.SECONDS);
    HttpClientConnection second = connections.requestConnection(other, "state").get(1, TimeUnit.SECONDS);
    assertNotSame(first, second);
    assertEquals(2, regulator.inUse(KEY));
    connections.releaseConnection(first, null, 0, TimeUnit.MILLISECONDS);
    connections.releaseConnection(first, null, 0, TimeUnit.MILLISECONDS);
    assertEquals(1, regulator.inUse(KEY), "the second connection still holds its slot");
    connections.releaseConnection(second, "state", 0, TimeUnit.MILLISECONDS);
    assertEquals(0, regulator.inUse(KEY));
  }

  @Test
  void getCalledAgain_returnsTheSameConnection_withoutASecondSlot() throws Exception {
    ConnectionRequest request = connections.requestConnection(ROUTE, null);
    HttpClientConnection conn = request.get(1, TimeUnit.SECONDS);
    assertSame(conn, request.get(1, TimeUnit.SECONDS));
    assertEquals(1, regulator.inUse(KEY));
    connections.releaseConnection(conn, null, 0, TimeUnit.MILLISECONDS);
  }

  @Test
  void cancelBeforeGet_takesNoSlot() {
    ConnectionRequest request = connections.requestConnection(ROUTE, null);
    assertTrue(request.cancel());
    ExecutionException aborted = assertThrows(ExecutionException.class, () -> request.get(1, TimeUnit.SECONDS));
    assertInstanceOf(CancellationException.class, aborted.getCause());
    assertEquals(0, regulator.inUse(KEY));
  }

  @RepeatedTest(20)
  void cancelWhileQueuedForASlot_leavesTheQueue_andNothingIsGrantedToItAfterwards() throws Exception {
    List<Slot> held = holdEverySlot();
    ConnectionRequest request = connections.requestConnection(ROUTE, null);
    CompletableFuture<HttpClientConnection> lease = getAsync(request);
    await().atMost(5, TimeUnit.SECONDS).until(() -> regulator.waiting(KEY) == 1);
    assertTrue(request.cancel());
    assertAborted(lease);
    assertEquals(0, regulator.waiting(KEY));
    held.forEach(Slot::release);
    assertEquals(0, connections.pool().inUse(KEY), "no slot granted to the cancelled request");
    assertEquals(0, wrapped.getTotalStats().getLeased());
  }

  @RepeatedTest(20)
  void cancelAfterTheSlotWasGranted_whileWaitingForTheWrappedPool_givesTheSlotBack() throws Exception {
    // The wrapped pool allows one connection per route: lease it outside the regulator.
    ConnectionRequest outside = wrapped.requestConnection(ROUTE, null);
    HttpClientConnection blocking = outside.get(1, TimeUnit.SECONDS);
    ConnectionRequest request = connections.requestConnection(ROUTE, null);
    CompletableFuture<HttpClientConnection> lease = getAsync(request);
    await().atMost(5, TimeUnit.SECONDS)
        .until(() -> regulator.inUse(KEY) == 1 && wrapped.getStats(ROUTE).getPending() == 1);
    assertTrue(request.cancel());
    assertAborted(lease);
    assertEquals(0, regulator.inUse(KEY), "the granted slot went back");
    wrapped.releaseConnection(blocking, null, 0, TimeUnit.MILLISECONDS);
    assertEquals(0, wrapped.getTotalStats().getLeased());
  }

  @Test
  void interruptWhileQueuedForASlot_leavesTheQueue() throws Exception {
    List<Slot> held = holdEverySlot();
    ConnectionRequest request = connections.requestConnection(ROUTE, null);
    CompletableFuture<Throwable> failure = new CompletableFuture<>();
    Thread waiter = new Thread(() -> {
      try {
        request.get(10, TimeUnit.SECONDS);
        failure.complete(null);
      } catch (Throwable t) {
        failure.complete(t);
      }
    });
    waiter.start();
    await().atMost(5, TimeUnit.SECONDS).until(() -> regulator.waiting(KEY) == 1);
    waiter.interrupt();
    assertInstanceOf(InterruptedException.class, failure.get(5, TimeUnit.SECONDS));
    assertEquals(0, regulator.waiting(KEY));
    held.forEach(Slot::release);
    assertEquals(0, connections.pool().inUse(KEY));
  }

  @Test
  void shutdownWithLeasedConnections_givesEverySlotBack_andLaterReleasesChangeNothing() throws Exception {
    HttpClientConnection conn = connections.requestConnection(ROUTE, null).get(1, TimeUnit.SECONDS);
    assertEquals(1, regulator.inUse(KEY));
    RegulatedPool other = regulator.newPool("other");
    closeables.add(other);
    Slot otherSlot = other.acquire(KEY);
    CompletableFuture<Slot> waiter = other.acquireAsync(KEY, Duration.ofSeconds(5));
    assertEquals(1, regulator.waiting(KEY));

    connections.shutdown();
    assertTrue(connections.pool().isClosed());
    Slot handedOn = waiter.get(5, TimeUnit.SECONDS);
    connections.releaseConnection(conn, null, 0, TimeUnit.MILLISECONDS);
    assertEquals(2, regulator.inUse(KEY), "the other pool's two slots, nothing more given back");
    ExecutionException refused = assertThrows(ExecutionException.class,
        () -> connections.requestConnection(ROUTE, null).get(1, TimeUnit.SECONDS));
    assertInstanceOf(PoolClosedException.class, refused.getCause());
    otherSlot.release();
    handedOn.release();
  }

  @Test
  void theKey_isTheTargetHostAndPort_alsoBehindAProxy() {
    HttpHost target = new HttpHost("API.Partner.Example", -1, "https");
    HttpHost proxy = new HttpHost("proxy.internal", 3128, "http");
    assertEquals(HostKey.of("api.partner.example", 443), RegulatedConnections.keyOf(new HttpRoute(target, null, proxy, true)));
    assertEquals(HostKey.of("api.partner.example", 80),
        RegulatedConnections.keyOf(new HttpRoute(new HttpHost("api.partner.example"))));
    assertEquals(HostKey.of("::1", 8443),
        RegulatedConnections.keyOf(new HttpRoute(new HttpHost("[::1]", 8443, "https"))));
  }

  @Test
  void badInput_getsAnErrorNamingTheParameter() {
    RegulatedPool pool = regulator.newPool("input");
    closeables.add(pool);
    assertEquals("delegate", assertThrows(NullPointerException.class,
        () -> RegulatedConnections.wrap(null, pool)).getMessage());
    assertEquals("pool", assertThrows(NullPointerException.class,
        () -> RegulatedConnections.wrap(wrapped, null)).getMessage());
    assertEquals("acquireTimeout < 0: PT-1S", assertThrows(IllegalArgumentException.class,
        () -> RegulatedConnections.builder(wrapped, pool).acquireTimeout(Duration.ofSeconds(-1))).getMessage());
    assertTrue(assertThrows(IllegalArgumentException.class,
        () -> RegulatedConnections.wrap(connections, pool)).getMessage().startsWith("delegate is already regulated"));
    assertEquals("route", assertThrows(NullPointerException.class,
        () -> connections.requestConnection(null, null)).getMessage());
  }

  @Test
  void aConnectionFromElsewhere_isPassedThrough() throws IOException, Exception {
    HttpClientConnection foreign = wrapped.requestConnection(ROUTE, null).get(1, TimeUnit.SECONDS);
    connections.releaseConnection(foreign, null, 0, TimeUnit.MILLISECONDS);
    assertEquals(0, wrapped.getTotalStats().getLeased());
    assertEquals(0, regulator.inUse(KEY));
  }
}
