package io.regulator.http;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.regulator.HostKey;
import io.regulator.HostRegulator;
import io.regulator.RegulatedPool;
import io.regulator.SlotLeak;
import io.regulator.core.HostRegulators;
import io.regulator.http.CountingServer.Reply;
import io.regulator.http.apache.RegulatedConnections;
import io.regulator.http.apache.RetryPolicyStrategy;
import java.io.IOException;
import java.net.ConnectException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import org.apache.hc.client5.http.HttpRequestRetryStrategy;
import org.apache.hc.client5.http.classic.methods.HttpGet;
import org.apache.hc.client5.http.config.RequestConfig;
import org.apache.hc.client5.http.impl.classic.CloseableHttpClient;
import org.apache.hc.client5.http.impl.classic.HttpClients;
import org.apache.hc.client5.http.impl.io.PoolingHttpClientConnectionManagerBuilder;
import org.apache.hc.core5.http.ClassicHttpResponse;
import org.apache.hc.core5.http.HttpRequest;
import org.apache.hc.core5.http.HttpResponse;
import org.apache.hc.core5.http.io.entity.EntityUtils;
import org.apache.hc.core5.http.protocol.HttpContext;
import org.apache.hc.core5.util.TimeValue;
import org.apache.hc.core5.util.Timeout;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** Scenarios 3, 4, 5 and 6 with Apache HttpClient 5 classic against a real loopback server. */
class ApacheClassicScenariosTest {
  private CountingServer server;
  private HostRegulator regulator;
  private final List<AutoCloseable> closeables = new ArrayList<>();

  @BeforeEach
  void start() throws IOException {
    server = new CountingServer();
    regulator = HostRegulators.builder().defaultLimit(4).acquireTimeout(Duration.ofSeconds(10)).build();
  }

  @AfterEach
  void stop() throws Exception {
    for (AutoCloseable closeable : closeables) {
      closeable.close();
    }
    regulator.close();
    server.close();
  }

  private CloseableHttpClient client(RegulatedConnections connections, HttpRequestRetryStrategy retry,
      Timeout connectionRequestTimeout) {
    CloseableHttpClient client = HttpClients.custom()
        .setConnectionManager(connections)
        .setRetryStrategy(retry)
        .setDefaultRequestConfig(RequestConfig.custom()
            .setConnectionRequestTimeout(connectionRequestTimeout).build())
        .build();
    closeables.add(client);
    return client;
  }

  private RegulatedConnections connections(String name) {
    return RegulatedConnections.wrap(
        PoolingHttpClientConnectionManagerBuilder.create().setMaxConnPerRoute(20).setMaxConnTotal(40).build(),
        regulator.newPool(name));
  }

  private static int status(CloseableHttpClient client, HttpGet get) throws IOException {
    return client.execute(get, response -> {
      EntityUtils.consume(response.getEntity());
      return response.getCode();
    });
  }

  private void assertBaseline(HostKey key) {
    await().atMost(5, TimeUnit.SECONDS).until(() -> regulator.inUse(key) == 0);
    assertEquals(0, regulator.waiting(key));
    assertTrue(server.maxInProgress() <= regulator.limit(key),
        "server saw " + server.maxInProgress() + " in progress, limit " + regulator.limit(key));
  }

  /** HttpClient's own retry exec calls getRetryInterval right before it sleeps: hold it there. */
  private static final class GatedStrategy implements HttpRequestRetryStrategy {
    final HttpRequestRetryStrategy strategy;
    final GateSleeper gate;

    GatedStrategy(HttpRequestRetryStrategy strategy, GateSleeper gate) {
      this.strategy = strategy;
      this.gate = gate;
    }

    @Override
    public boolean retryRequest(HttpRequest request, IOException exception, int execCount, HttpContext context) {
      return strategy.retryRequest(request, exception, execCount, context);
    }

    @Override
    public boolean retryRequest(HttpResponse response, int execCount, HttpContext context) {
      return strategy.retryRequest(response, execCount, context);
    }

    @Override
    public TimeValue getRetryInterval(HttpRequest request, IOException exception, int execCount, HttpContext context) {
      return hold(strategy.getRetryInterval(request, exception, execCount, context));
    }

    @Override
    public TimeValue getRetryInterval(HttpResponse response, int execCount, HttpContext context) {
      return hold(strategy.getRetryInterval(response, execCount, context));
    }

    private TimeValue hold(TimeValue interval) {
      gate.sleep(Duration.ofMillis(interval.toMilliseconds())).join();
      return TimeValue.ZERO_MILLISECONDS;
    }
  }

  @Test
  void retryStorm_slotsGoBackBeforeTheBackoff_soOthersProceedWithoutWaiting() throws Exception {
    HostKey key = server.key();
    server.script((n, exchange) -> exchange.getRequestURI().getPath().equals("/storm") && n <= 4
        ? Reply.retryAfter(429, "30") : Reply.ok());
    GateSleeper gate = new GateSleeper(() -> regulator.inUse(key));
    CloseableHttpClient storm = client(connections("storm"),
        new GatedStrategy(new RetryPolicyStrategy(RetryPolicy.defaults()), gate), Timeout.ofSeconds(10));
    // One millisecond for a slot: a slot held by a sleeping retry would fail the others.
    CloseableHttpClient others = client(connections("others"),
        new RetryPolicyStrategy(RetryPolicy.none()), Timeout.ofMilliseconds(1));

    List<CompletableFuture<Integer>> retried = new ArrayList<>();
    for (int i = 0; i < 4; i++) {
      retried.add(CompletableFuture.supplyAsync(() -> {
        try {
          return status(storm, new HttpGet(server.uri("/storm")));
        } catch (IOException e) {
          throw new IllegalStateException(e);
        }
      }, runnable -> new Thread(runnable).start()));
    }
    await().atMost(5, TimeUnit.SECONDS).until(() -> gate.sleeping() == 4);
    assertEquals(0, regulator.inUse(key), "all four callers are in backoff and hold nothing");
    assertEquals(List.of(Duration.ofSeconds(30), Duration.ofSeconds(30), Duration.ofSeconds(30),
        Duration.ofSeconds(30)), gate.delays());
    for (int i = 0; i < 4; i++) {
      assertEquals(200, status(others, new HttpGet(server.uri("/other"))));
    }
    gate.open();
    for (CompletableFuture<Integer> caller : retried) {
      assertEquals(200, caller.get(10, TimeUnit.SECONDS));
    }
    assertEquals(12, server.requests());
    assertBaseline(key);
  }

  @Test
  void connectError_releasesTheSlotBeforeTheRetryWait_andTheLastAttemptToo() throws Exception {
    int closedPort;
    try (ServerSocket socket = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
      closedPort = socket.getLocalPort();
    }
    HostKey key = HostKey.of("127.0.0.1", closedPort);
    GateSleeper gate = GateSleeper.open(() -> regulator.inUse(key));
    CloseableHttpClient client = client(connections("refused"),
        new GatedStrategy(new RetryPolicyStrategy(RetryPolicy.builder().maxAttempts(3).build()), gate),
        Timeout.ofSeconds(10));

    assertThrows(ConnectException.class,
        () -> status(client, new HttpGet("http://127.0.0.1:" + closedPort + "/")));
    assertEquals(List.of(0, 0), gate.probes(), "no slot held while waiting to retry");
    assertEquals(0, regulator.inUse(key));
  }

  @Test
  void readError_releasesTheSlotBeforeTheRetryWait() throws Exception {
    HostKey key = server.key();
    server.script((n, exchange) -> n <= 2 ? Reply.dropConnection() : Reply.ok());
    GateSleeper gate = GateSleeper.open(() -> regulator.inUse(key));
    CloseableHttpClient client = client(connections("reset"),
        new GatedStrategy(new RetryPolicyStrategy(RetryPolicy.builder().maxAttempts(3).build()), gate),
        Timeout.ofSeconds(10));

    assertEquals(200, status(client, new HttpGet(server.uri("/"))));
    assertEquals(List.of(0, 0), gate.probes());
    assertBaseline(key);
  }

  @Test
  void exhaustedRetries_returnTheLastResponse_andReleaseItsSlot() throws Exception {
    HostKey key = server.key();
    server.script((n, exchange) -> Reply.retryAfter(503, "1"));
    GateSleeper gate = GateSleeper.open(() -> regulator.inUse(key));
    CloseableHttpClient client = client(connections("exhausted"),
        new GatedStrategy(new RetryPolicyStrategy(RetryPolicy.builder().maxAttempts(3).build()), gate),
        Timeout.ofSeconds(10));

    assertEquals(503, status(client, new HttpGet(server.uri("/"))));
    assertEquals(3, server.requests());
    assertEquals(List.of(Duration.ofSeconds(1), Duration.ofSeconds(1)), gate.delays());
    assertEquals(List.of(0, 0), gate.probes());
    assertBaseline(key);
  }

  @Test
  void neverClosedResponse_isReclaimedAndReportedWithWhereItWasAcquired() throws Exception {
    HostKey key = server.key();
    List<SlotLeak> leaks = new CopyOnWriteArrayList<>();
    RegulatedConnections connections = RegulatedConnections.builder(
            PoolingHttpClientConnectionManagerBuilder.create().setMaxConnPerRoute(1).build(),
            regulator.newPool("leaky"))
        .recordLeakOrigins(true).leakListener(leaks::add).build();
    CloseableHttpClient client = client(connections, new RetryPolicyStrategy(RetryPolicy.none()), Timeout.ofSeconds(10));

    long before = System.nanoTime();
    dropAResponseUnclosed(client);
    assertEquals(1, regulator.inUse(key));
    await().atMost(10, TimeUnit.SECONDS).until(() -> {
      System.gc();
      return !leaks.isEmpty();
    });
    Duration sinceBefore = Duration.ofNanos(System.nanoTime() - before);
    SlotLeak leak = leaks.get(0);
    assertEquals(key, leak.key());
    assertEquals("leaky", leak.poolName());
    assertTrue(leak.reclaimed());
    assertTrue(!leak.age().isNegative() && leak.age().compareTo(sinceBefore) <= 0,
        "age " + leak.age() + " outside [0, " + sinceBefore + "]");
    // HttpClient's and this module's frames are cut: the first frame is the application's call.
    StackTraceElement first = leak.acquisitionSite().getStackTrace()[0];
    assertEquals(ApacheClassicScenariosTest.class.getName(), first.getClassName());
    assertEquals("dropAResponseUnclosed", first.getMethodName());
    assertTrue(leak.toString().contains("pool 'leaky' became unreachable after")
        && leak.toString().contains("(acquired at " + first + ")"), leak.toString());
    assertBaseline(key);
    // The connection went back to HttpClient's pool too: with one connection per route, this works.
    assertEquals(200, status(client, new HttpGet(server.uri("/"))));
    assertEquals(1, leaks.size());
  }

  @Test
  void leakListenerThatThrows_changesNothing_andNoSiteIsRecordedByDefault() throws Exception {
    HostKey key = server.key();
    List<SlotLeak> leaks = new CopyOnWriteArrayList<>();
    RegulatedConnections connections = RegulatedConnections.builder(
            PoolingHttpClientConnectionManagerBuilder.create().setMaxConnPerRoute(1).build(),
            regulator.newPool("leaky"))
        .leakListener(leak -> {
          leaks.add(leak);
          throw new IllegalStateException("listener failure, expected by the test");
        })
        .build();
    CloseableHttpClient client = client(connections, new RetryPolicyStrategy(RetryPolicy.none()), Timeout.ofSeconds(10));

    dropAResponseUnclosed(client);
    await().atMost(10, TimeUnit.SECONDS).until(() -> {
      System.gc();
      return !leaks.isEmpty();
    });
    SlotLeak leak = leaks.get(0);
    assertNull(leak.acquisitionSite());
    assertTrue(leak.toString().endsWith("(acquisition site not recorded)"), leak.toString());
    assertBaseline(key);
    assertEquals(200, status(client, new HttpGet(server.uri("/"))));
    assertEquals(1, leaks.size());
  }

  private void dropAResponseUnclosed(CloseableHttpClient client) throws IOException {
    ClassicHttpResponse response = client.executeOpen(null, new HttpGet(server.uri("/")), null);
    assertEquals(200, response.getCode());
  }

  @Test
  void closingTheClient_withRequestsInFlight_givesEverySlotBackAtOnce() throws Exception {
    HostKey key = server.key();
    CompletableFuture<Void> hold = new CompletableFuture<>();
    server.script((n, exchange) -> {
      hold.get(10, TimeUnit.SECONDS);
      return Reply.ok();
    });
    RegulatedConnections connections = connections("closing");
    CloseableHttpClient client = client(connections, new RetryPolicyStrategy(RetryPolicy.none()), Timeout.ofSeconds(10));
    List<CompletableFuture<Integer>> inFlight = new ArrayList<>();
    for (int i = 0; i < 4; i++) {
      inFlight.add(CompletableFuture.supplyAsync(() -> {
        try {
          return status(client, new HttpGet(server.uri("/")));
        } catch (IOException e) {
          throw new IllegalStateException(e);
        }
      }, runnable -> new Thread(runnable).start()));
    }
    await().atMost(5, TimeUnit.SECONDS).until(() -> server.inProgress() == 4);
    assertEquals(4, regulator.inUse(key));

    RegulatedPool other = regulator.newPool("other");
    closeables.add(other);
    CompletableFuture<io.regulator.Slot> waiter = other.acquireAsync(key, Duration.ofSeconds(10));
    client.close();
    assertTrue(connections.pool().isClosed());
    assertEquals(1, waiter.get(5, TimeUnit.SECONDS).isReleased() ? 0 : 1, "the other pool's waiter got a slot");
    waiter.join().release();
    for (CompletableFuture<Integer> request : inFlight) {
      assertInstanceOf(Exception.class, assertThrows(Exception.class, () -> request.get(10, TimeUnit.SECONDS)));
    }
    hold.complete(null);
    assertBaseline(key);
  }
}
