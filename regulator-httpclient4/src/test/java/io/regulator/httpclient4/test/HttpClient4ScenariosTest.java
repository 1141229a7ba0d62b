package io.regulator.httpclient4.test;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.regulator.HostKey;
import io.regulator.HostRegulator;
import io.regulator.RegulatedPool;
import io.regulator.Slot;
import io.regulator.SlotLeak;
import io.regulator.SlotTimeoutException;
import io.regulator.core.HostRegulators;
import io.regulator.http.RetryPolicy;
import io.regulator.httpclient4.RegulatedConnections;
import io.regulator.httpclient4.RetryPolicyHandler;
import io.regulator.httpclient4.RetryPolicyStrategy;
import io.regulator.httpclient4.test.LoopbackServer.Reply;
import java.io.IOException;
import java.io.InterruptedIOException;
import java.net.ConnectException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;
import java.util.stream.Stream;
import org.apache.http.HttpResponse;
import org.apache.http.client.ServiceUnavailableRetryStrategy;
import org.apache.http.client.config.RequestConfig;
import org.apache.http.client.methods.CloseableHttpResponse;
import org.apache.http.client.methods.HttpGet;
import org.apache.http.client.methods.HttpPost;
import org.apache.http.conn.ConnectionPoolTimeoutException;
import org.apache.http.impl.client.CloseableHttpClient;
import org.apache.http.impl.client.DefaultServiceUnavailableRetryStrategy;
import org.apache.http.impl.client.HttpClientBuilder;
import org.apache.http.impl.client.HttpClients;
import org.apache.http.impl.conn.PoolingHttpClientConnectionManager;
import org.apache.http.util.EntityUtils;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Scenarios 1, 3, 4, 5, 6 and 16 of the shared list with Apache HttpClient 4.5 against a real
 * loopback server, each ending with every count at its baseline and the server never having seen
 * more requests in progress than the host's limit.
 */
class HttpClient4ScenariosTest {
  private static final int LIMIT = 4;

  private LoopbackServer server;
  private HostRegulator regulator;
  private final List<AutoCloseable> closeables = new ArrayList<>();

  @BeforeEach
  void start() throws IOException {
    server = new LoopbackServer();
    regulator = HostRegulators.builder().defaultLimit(LIMIT).acquireTimeout(Duration.ofSeconds(10)).build();
  }

  @AfterEach
  void stop() throws Exception {
    for (AutoCloseable closeable : closeables) {
      closeable.close();
    }
    regulator.close();
    server.close();
  }

  /** A plain pool allowing far more than the limit, so that only the regulator holds the cap. */
  private static PoolingHttpClientConnectionManager widePool() {
    PoolingHttpClientConnectionManager pool = new PoolingHttpClientConnectionManager();
    pool.setMaxTotal(40);
    pool.setDefaultMaxPerRoute(20);
    return pool;
  }

  private RegulatedConnections connections(String name) {
    return RegulatedConnections.wrap(widePool(), regulator.newPool(name));
  }

  private CloseableHttpClient client(HttpClientBuilder builder, int connectionRequestTimeoutMillis) {
    CloseableHttpClient client = builder
        .setDefaultRequestConfig(RequestConfig.custom()
            .setConnectionRequestTimeout(connectionRequestTimeoutMillis).build())
        .build();
    closeables.add(client);
    return client;
  }

  private CloseableHttpClient client(RegulatedConnections connections, RetryPolicy statusRetry,
      RetryPolicy failureRetry, int connectionRequestTimeoutMillis) {
    return client(HttpClients.custom()
        .setConnectionManager(connections)
        .setServiceUnavailableRetryStrategy(new RetryPolicyStrategy(statusRetry))
        .setRetryHandler(new RetryPolicyHandler(failureRetry)), connectionRequestTimeoutMillis);
  }

  private static int status(CloseableHttpClient client, String url) throws IOException {
    return client.execute(new HttpGet(url), response -> {
      EntityUtils.consume(response.getEntity());
      return response.getStatusLine().getStatusCode();
    });
  }

  private static CompletableFuture<Integer> statusAsync(CloseableHttpClient client, String url) {
    CompletableFuture<Integer> result = new CompletableFuture<>();
    Thread thread = new Thread(() -> {
      try {
        result.complete(status(client, url));
      } catch (Throwable t) {
        result.completeExceptionally(t);
      }
    }, "caller");
    thread.setDaemon(true);
    thread.start();
    return result;
  }

  private void assertBaseline(HostKey key) {
    await().atMost(5, TimeUnit.SECONDS).until(() -> regulator.inUse(key) == 0);
    assertEquals(0, regulator.waiting(key));
    assertTrue(server.maxInProgress() <= regulator.limit(key),
        "server saw " + server.maxInProgress() + " in progress, limit " + regulator.limit(key));
  }

  @Test
  void sixteenCallers_neverPassTheLimitAtTheServer_whileTheSameClientUnregulatedDoes() throws Exception {
    HostKey key = server.key();
    AtomicReference<CompletableFuture<Void>> hold = new AtomicReference<>(new CompletableFuture<>());
    server.script((n, exchange) -> {
      hold.get().get(10, TimeUnit.SECONDS);
      return Reply.ok();
    });
    CloseableHttpClient regulated = client(connections("regulated"), RetryPolicy.none(), RetryPolicy.none(), 10_000);
    List<CompletableFuture<Integer>> callers = new ArrayList<>();
    for (int i = 0; i < 16; i++) {
      callers.add(statusAsync(regulated, server.url("/regulated")));
    }
    await().atMost(5, TimeUnit.SECONDS)
        .until(() -> server.inProgress() == LIMIT && regulator.waiting(key) == 16 - LIMIT);
    assertEquals(LIMIT, regulator.inUse(key));
    hold.get().complete(null);
    for (CompletableFuture<Integer> caller : callers) {
      assertEquals(200, caller.get(10, TimeUnit.SECONDS));
    }
    assertEquals(LIMIT, server.maxInProgress());
    assertBaseline(key);

    // Control: the same wide pool without the regulator lets all sixteen through at once.
    try (LoopbackServer control = new LoopbackServer()) {
      hold.set(new CompletableFuture<>());
      control.script((n, exchange) -> {
        hold.get().get(10, TimeUnit.SECONDS);
        return Reply.ok();
      });
      CloseableHttpClient plain = client(HttpClients.custom().setConnectionManager(widePool()), 10_000);
      List<CompletableFuture<Integer>> unregulated = new ArrayList<>();
      for (int i = 0; i < 16; i++) {
        unregulated.add(statusAsync(plain, control.url("/plain")));
      }
      await().atMost(5, TimeUnit.SECONDS).until(() -> control.inProgress() == 16);
      hold.get().complete(null);
      for (CompletableFuture<Integer> caller : unregulated) {
        assertEquals(200, caller.get(10, TimeUnit.SECONDS));
      }
      assertTrue(control.maxInProgress() > LIMIT, "control saw only " + control.maxInProgress());
    }
  }

  @Test
  void manyCallersWithRetried429s_neverPassTheLimit_andEverySlotComesBack() throws Exception {
    HostKey key = server.key();
    // Every path is answered 429 the first time and 200 the second: each request is retried once.
    Set<String> seen = ConcurrentHashMap.newKeySet();
    server.script((n, exchange) -> seen.add(exchange.getRequestURI().getPath())
        ? Reply.retryAfter(429, "0") : Reply.ok());
    CloseableHttpClient client = client(connections("busy"), RetryPolicy.defaults(), RetryPolicy.none(), 10_000);
    List<CompletableFuture<Void>> workers = new ArrayList<>();
    for (int w = 0; w < 8; w++) {
      int workerNumber = w;
      CompletableFuture<Void> worker = new CompletableFuture<>();
      workers.add(worker);
      Thread thread = new Thread(() -> {
        try {
          for (int i = 0; i < 25; i++) {
            assertEquals(200, status(client, server.url("/busy/" + workerNumber + "/" + i)));
          }
          worker.complete(null);
        } catch (Throwable t) {
          worker.completeExceptionally(t);
        }
      });
      thread.setDaemon(true);
      thread.start();
    }
    CompletableFuture.allOf(workers.toArray(new CompletableFuture<?>[0])).get(60, TimeUnit.SECONDS);
    assertEquals(400, server.requests());
    assertBaseline(key);
  }

  // Scenario 1.
  @Test
  void closingTheClientWithRequestsInFlight_givesEverySlotBackAtOnce_andLateReleasesChangeNothing()
      throws Exception {
    HostKey key = server.key();
    CompletableFuture<Void> hold = new CompletableFuture<>();
    server.script((n, exchange) -> {
      hold.get(10, TimeUnit.SECONDS);
      return Reply.ok();
    });
    RegulatedConnections connections = connections("closing");
    CloseableHttpClient client = client(connections, RetryPolicy.none(), RetryPolicy.none(), 10_000);
    List<CompletableFuture<Integer>> inFlight = new ArrayList<>();
    for (int i = 0; i < LIMIT; i++) {
      inFlight.add(statusAsync(client, server.url("/")));
    }
    await().atMost(5, TimeUnit.SECONDS).until(() -> server.inProgress() == LIMIT);
    assertEquals(LIMIT, regulator.inUse(key));

    RegulatedPool other = regulator.newPool("other");
    closeables.add(other);
    CompletableFuture<Slot> waiter = other.acquireAsync(key, Duration.ofSeconds(10));
    assertEquals(1, regulator.waiting(key));
    client.close();
    assertTrue(connections.pool().isClosed());
    Slot handedOn = waiter.get(5, TimeUnit.SECONDS);
    assertFalse(handedOn.isReleased(), "the other pool's waiter got a slot");
    // The in-flight requests fail as their sockets close; their releases give back nothing more.
    for (CompletableFuture<Integer> request : inFlight) {
      assertInstanceOf(IOException.class,
          assertThrows(Exception.class, () -> request.get(10, TimeUnit.SECONDS)).getCause());
    }
    assertEquals(1, regulator.inUse(key), "only the other pool's slot is out");
    hold.complete(null);
    handedOn.release();
    assertBaseline(key);
  }

  // Scenario 3.
  @Test
  void retryStorm_slotsGoBackBeforeTheBackoff_soOthersProceedWithoutWaiting() throws Exception {
    HostKey key = server.key();
    CountDownLatch othersTogether = new CountDownLatch(LIMIT);
    server.script((n, exchange) -> {
      if (exchange.getRequestURI().getPath().equals("/other")) {
        othersTogether.countDown();
        othersTogether.await(5, TimeUnit.SECONDS);
        return Reply.ok();
      }
      return n <= LIMIT ? Reply.retryAfter(429, "30") : Reply.ok();
    });
    GateSleeper gate = new GateSleeper(() -> regulator.inUse(key));
    CloseableHttpClient storm = client(connections("storm"),
        RetryPolicy.builder().sleeper(gate).build(), RetryPolicy.none(), 10_000);
    // One millisecond for a slot: a slot held by a sleeping retry would fail the others.
    CloseableHttpClient others = client(connections("others"), RetryPolicy.none(), RetryPolicy.none(), 1);

    List<CompletableFuture<Integer>> retried = new ArrayList<>();
    for (int i = 0; i < LIMIT; i++) {
      retried.add(statusAsync(storm, server.url("/storm")));
    }
    await().atMost(5, TimeUnit.SECONDS).until(() -> gate.sleeping() == LIMIT);
    assertEquals(0, regulator.inUse(key), "all four callers are in backoff and hold nothing");
    assertEquals(List.of(Duration.ofSeconds(30), Duration.ofSeconds(30), Duration.ofSeconds(30),
        Duration.ofSeconds(30)), gate.delays());
    List<CompletableFuture<Integer>> proceeding = new ArrayList<>();
    for (int i = 0; i < LIMIT; i++) {
      proceeding.add(statusAsync(others, server.url("/other")));
    }
    for (CompletableFuture<Integer> other : proceeding) {
      assertEquals(200, other.get(10, TimeUnit.SECONDS));
    }
    assertEquals(LIMIT, server.maxInProgress(), "the four others were in progress together");
    gate.open();
    for (CompletableFuture<Integer> caller : retried) {
      assertEquals(200, caller.get(10, TimeUnit.SECONDS));
    }
    assertEquals(12, server.requests());
    assertBaseline(key);
  }

  /**
   * HttpClient's {@code ServiceUnavailableRetryExec} closes the response before it asks for the
   * interval and sleeps: with its own strategy too, the slot is back before the sleep.
   */
  @Test
  void httpClientsOwnStatusRetry_releasesTheConnectionBeforeItSleeps() throws Exception {
    HostKey key = server.key();
    server.script((n, exchange) -> n == 1 ? Reply.status(503) : Reply.ok());
    List<Integer> inUseAtSleep = new CopyOnWriteArrayList<>();
    ServiceUnavailableRetryStrategy own = new DefaultServiceUnavailableRetryStrategy(1, 1) {
      @Override
      public long getRetryInterval() {
        inUseAtSleep.add(regulator.inUse(key));
        return super.getRetryInterval();
      }
    };
    CloseableHttpClient client = client(HttpClients.custom()
        .setConnectionManager(connections("own"))
        .setServiceUnavailableRetryStrategy(own), 10_000);

    assertEquals(200, status(client, server.url("/")));
    assertEquals(List.of(0), inUseAtSleep);
    assertBaseline(key);
  }

  @Test
  void interruptDuringTheBackoff_endsTheRequest_withNoSlotHeld() throws Exception {
    HostKey key = server.key();
    server.script((n, exchange) -> Reply.retryAfter(503, "30"));
    GateSleeper gate = new GateSleeper(() -> regulator.inUse(key));
    CloseableHttpClient client = client(connections("interrupted"),
        RetryPolicy.builder().sleeper(gate).build(), RetryPolicy.none(), 10_000);
    CompletableFuture<Throwable> failure = new CompletableFuture<>();
    Thread caller = new Thread(() -> {
      try {
        status(client, server.url("/"));
        failure.complete(null);
      } catch (Throwable t) {
        failure.complete(t);
      }
    });
    caller.start();
    await().atMost(5, TimeUnit.SECONDS).until(() -> gate.sleeping() == 1);
    caller.interrupt();
    assertInstanceOf(InterruptedIOException.class, failure.get(10, TimeUnit.SECONDS));
    assertEquals(1, server.requests(), "no attempt after the interrupt");
    assertBaseline(key);
  }

  // Scenario 4.
  @Test
  void connectError_releasesTheSlotBeforeTheRetryWait_andTheLastAttemptToo() throws Exception {
    int closedPort;
    try (ServerSocket socket = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
      closedPort = socket.getLocalPort();
    }
    HostKey key = HostKey.of("127.0.0.1", closedPort);
    GateSleeper gate = GateSleeper.open(() -> regulator.inUse(key));
    CloseableHttpClient client = client(connections("refused"), RetryPolicy.none(),
        RetryPolicy.builder().maxAttempts(3).sleeper(gate).build(), 10_000);

    assertThrows(ConnectException.class, () -> status(client, "http://127.0.0.1:" + closedPort + "/"));
    assertEquals(List.of(0, 0), gate.probes(), "no slot held while waiting to retry");
    assertEquals(0, regulator.inUse(key));
    assertEquals(0, regulator.waiting(key));
  }

  // Scenario 4.
  @Test
  void readError_releasesTheSlotBeforeTheRetryWait() throws Exception {
    HostKey key = server.key();
    server.script((n, exchange) -> n <= 2 ? Reply.dropConnection() : Reply.ok());
    GateSleeper gate = GateSleeper.open(() -> regulator.inUse(key));
    CloseableHttpClient client = client(connections("reset"), RetryPolicy.none(),
        RetryPolicy.builder().maxAttempts(3).sleeper(gate).build(), 10_000);

    assertEquals(200, status(client, server.url("/")));
    assertEquals(3, server.requests());
    assertEquals(List.of(0, 0), gate.probes());
    assertBaseline(key);
  }

  // Scenario 5.
  @Test
  void exhaustedRetries_returnTheLastResponse_andReleaseItsSlot() throws Exception {
    HostKey key = server.key();
    server.script((n, exchange) -> Reply.retryAfter(503, "1"));
    GateSleeper gate = GateSleeper.open(() -> regulator.inUse(key));
    CloseableHttpClient client = client(connections("exhausted"),
        RetryPolicy.builder().maxAttempts(3).sleeper(gate).build(), RetryPolicy.none(), 10_000);

    assertEquals(503, status(client, server.url("/")));
    assertEquals(3, server.requests());
    assertEquals(List.of(Duration.ofSeconds(1), Duration.ofSeconds(1)), gate.delays());
    assertEquals(List.of(0, 0), gate.probes());
    assertBaseline(key);
  }

  // Scenario 5.
  @Test
  void exhaustedReadErrors_throwTheLastFailure_andReleaseItsSlot() throws Exception {
    HostKey key = server.key();
    server.script((n, exchange) -> Reply.dropConnection());
    GateSleeper gate = GateSleeper.open(() -> regulator.inUse(key));
    CloseableHttpClient client = client(connections("dropped"), RetryPolicy.none(),
        RetryPolicy.builder().maxAttempts(3).sleeper(gate).build(), 10_000);

    assertThrows(IOException.class, () -> status(client, server.url("/")));
    assertEquals(3, server.requests());
    assertEquals(List.of(0, 0), gate.probes());
    assertBaseline(key);
  }

  @Test
  void slotTimeout_surfacesAsHttpClientsPoolTimeout_withTheRegulatorsFactsAsItsCause() throws Exception {
    HostKey key = server.key();
    RegulatedPool holder = regulator.newPool("holder");
    closeables.add(holder);
    List<Slot> held = new ArrayList<>();
    for (int i = 0; i < LIMIT; i++) {
      held.add(holder.acquire(key));
    }
    CloseableHttpClient client = client(connections("late"), RetryPolicy.defaults(), RetryPolicy.defaults(), 50);

    ConnectionPoolTimeoutException timedOut =
        assertThrows(ConnectionPoolTimeoutException.class, () -> status(client, server.url("/")));
    SlotTimeoutException cause = assertInstanceOf(SlotTimeoutException.class, timedOut.getCause());
    assertEquals(key, cause.key());
    assertEquals(0, server.requests());
    held.forEach(Slot::release);
    assertBaseline(key);
  }

  @Test
  void abortWhileQueuedForASlot_leavesTheQueue_andNothingIsGrantedToIt() throws Exception {
    HostKey key = server.key();
    RegulatedPool holder = regulator.newPool("holder");
    closeables.add(holder);
    List<Slot> held = new ArrayList<>();
    for (int i = 0; i < LIMIT; i++) {
      held.add(holder.acquire(key));
    }
    RegulatedConnections connections = connections("aborted");
    CloseableHttpClient client = client(connections, RetryPolicy.defaults(), RetryPolicy.defaults(), 10_000);
    HttpGet get = new HttpGet(server.url("/"));
    CompletableFuture<Throwable> failure = new CompletableFuture<>();
    Thread caller = new Thread(() -> {
      try (CloseableHttpResponse response = client.execute(get)) {
        failure.complete(new AssertionError("got a response: " + response.getStatusLine()));
      } catch (Throwable t) {
        failure.complete(t);
      }
    });
    caller.start();
    await().atMost(5, TimeUnit.SECONDS).until(() -> regulator.waiting(key) == 1);
    get.abort();
    assertInstanceOf(IOException.class, failure.get(5, TimeUnit.SECONDS));
    assertEquals(0, regulator.waiting(key));
    held.forEach(Slot::release);
    assertEquals(0, connections.pool().inUse(key));
    assertEquals(0, server.requests());
    assertBaseline(key);
  }

  @Test
  void abortMidExchange_shutsTheConnectionDown_andGivesItsSlotBackOnce() throws Exception {
    HostKey key = server.key();
    CompletableFuture<Void> hold = new CompletableFuture<>();
    server.script((n, exchange) -> {
      hold.get(10, TimeUnit.SECONDS);
      return Reply.ok();
    });
    RegulatedConnections connections = connections("abort-mid");
    CloseableHttpClient client = client(connections, RetryPolicy.defaults(), RetryPolicy.defaults(), 10_000);
    RegulatedPool other = regulator.newPool("other");
    closeables.add(other);
    Slot otherSlot = other.acquire(key);
    HttpGet get = new HttpGet(server.url("/"));
    CompletableFuture<Throwable> failure = new CompletableFuture<>();
    Thread caller = new Thread(() -> {
      try (CloseableHttpResponse response = client.execute(get)) {
        failure.complete(new AssertionError("got a response: " + response.getStatusLine()));
      } catch (Throwable t) {
        failure.complete(t);
      }
    });
    caller.start();
    await().atMost(5, TimeUnit.SECONDS).until(() -> server.inProgress() == 1);
    assertEquals(2, regulator.inUse(key));
    get.abort();
    assertInstanceOf(IOException.class, failure.get(5, TimeUnit.SECONDS));
    assertEquals(0, connections.pool().inUse(key));
    assertEquals(1, regulator.inUse(key), "the other pool's slot is untouched");
    hold.complete(null);
    otherSlot.release();
    assertBaseline(key);
  }

  // Scenario 6.
  @Test
  void neverClosedResponse_isReclaimedAndReportedWithWhereItWasAcquired() throws Exception {
    HostKey key = server.key();
    List<SlotLeak> leaks = new CopyOnWriteArrayList<>();
    PoolingHttpClientConnectionManager single = new PoolingHttpClientConnectionManager();
    single.setDefaultMaxPerRoute(1);
    RegulatedConnections connections = RegulatedConnections.builder(single, regulator.newPool("leaky"))
        .recordLeakOrigins(true).leakListener(leaks::add).build();
    CloseableHttpClient client = client(connections, RetryPolicy.none(), RetryPolicy.none(), 10_000);

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
    // HttpClient's and the module's frames are cut: the first frame is the application's call.
    StackTraceElement first = leak.acquisitionSite().getStackTrace()[0];
    assertEquals(HttpClient4ScenariosTest.class.getName(), first.getClassName());
    assertEquals("dropAResponseUnclosed", first.getMethodName());
    assertTrue(leak.toString().contains("pool 'leaky' became unreachable after")
        && leak.toString().contains("(acquired at " + first + ")"), leak.toString());
    assertBaseline(key);
    // The connection went back to HttpClient's pool too: with one connection per route, this works.
    assertEquals(200, status(client, server.url("/")));
    assertEquals(1, leaks.size());
  }

  // Scenario 6.
  @Test
  void leakListenerThatThrows_changesNothing_andNoSiteIsRecordedByDefault() throws Exception {
    HostKey key = server.key();
    List<SlotLeak> leaks = new CopyOnWriteArrayList<>();
    PoolingHttpClientConnectionManager single = new PoolingHttpClientConnectionManager();
    single.setDefaultMaxPerRoute(1);
    RegulatedConnections connections = RegulatedConnections.builder(single, regulator.newPool("leaky"))
        .leakListener(leak -> {
          leaks.add(leak);
          throw new IllegalStateException("listener failure, expected by the test");
        })
        .build();
    CloseableHttpClient client = client(connections, RetryPolicy.none(), RetryPolicy.none(), 10_000);

    dropAResponseUnclosed(client);
    await().atMost(10, TimeUnit.SECONDS).until(() -> {
      System.gc();
      return !leaks.isEmpty();
    });
    SlotLeak leak = leaks.get(0);
    assertNull(leak.acquisitionSite());
    assertTrue(leak.toString().endsWith("(acquisition site not recorded)"), leak.toString());
    assertBaseline(key);
    assertEquals(200, status(client, server.url("/")));
    assertEquals(1, leaks.size());
  }

  private void dropAResponseUnclosed(CloseableHttpClient client) throws IOException {
    HttpResponse response = client.execute(new HttpGet(server.url("/")));
    assertEquals(200, response.getStatusLine().getStatusCode());
  }

  private static final Instant NOW = Instant.parse("2026-03-01T12:00:00Z");
  private static final DateTimeFormatter IMF_FIXDATE =
      DateTimeFormatter.ofPattern("EEE, dd MMM yyyy HH:mm:ss 'GMT'", Locale.US).withZone(ZoneOffset.UTC);

  static Stream<Arguments> retryAfterForms() {
    return Stream.of(
        Arguments.of("delta seconds", "7", Duration.ofSeconds(7)),
        Arguments.of("an HTTP-date", IMF_FIXDATE.format(NOW.plusSeconds(20)), Duration.ofSeconds(20)),
        Arguments.of("a date in the past", IMF_FIXDATE.format(NOW.minusSeconds(60)), Duration.ZERO),
        // Garbage falls back to the backoff: jitter 0.5 of the 100 ms base.
        Arguments.of("garbage", "soon-ish", Duration.ofMillis(50)),
        Arguments.of("a value above the cap", "86400", Duration.ofSeconds(60)));
  }

  // Scenario 16.
  @ParameterizedTest(name = "{0}")
  @MethodSource("retryAfterForms")
  void retryAfterForm_givesABoundedSaneWait_withNoSlotHeld(String form, String header, Duration expected)
      throws Exception {
    HostKey key = server.key();
    server.script((n, exchange) -> n == 1 ? Reply.retryAfter(429, header) : Reply.ok());
    GateSleeper gate = GateSleeper.open(() -> regulator.inUse(key));
    RetryPolicy policy = RetryPolicy.builder()
        .clock(Clock.fixed(NOW, ZoneOffset.UTC)).jitter(() -> 0.5).maxDelay(Duration.ofSeconds(60))
        .sleeper(gate).build();
    CloseableHttpClient client = client(connections("forms"), policy, RetryPolicy.none(), 10_000);

    assertEquals(200, status(client, server.url("/")));
    assertEquals(List.of(expected), gate.delays(), form);
    assertEquals(List.of(0), gate.probes());
    assertBaseline(key);
  }

  @Test
  void postIsNeverRetried_byEitherRetry() throws Exception {
    HostKey key = server.key();
    server.script((n, exchange) -> Reply.retryAfter(503, "1"));
    GateSleeper gate = GateSleeper.open(() -> regulator.inUse(key));
    CloseableHttpClient client = client(connections("post"),
        RetryPolicy.builder().sleeper(gate).build(), RetryPolicy.builder().sleeper(gate).build(), 10_000);

    int status = client.execute(new HttpPost(server.url("/")), response -> {
      EntityUtils.consume(response.getEntity());
      return response.getStatusLine().getStatusCode();
    });
    assertEquals(503, status);
    assertEquals(1, server.requests());
    assertEquals(0, gate.sleeping());
    assertBaseline(key);
  }
}
