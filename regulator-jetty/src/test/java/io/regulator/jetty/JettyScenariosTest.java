package io.regulator.jetty;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.regulator.HostKey;
import io.regulator.HostRegulator;
import io.regulator.RegulatedPool;
import io.regulator.SlotLeak;
import io.regulator.core.HostRegulators;
import io.regulator.http.RetryPolicy;
import java.io.InputStream;
import java.net.ConnectException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.URI;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.eclipse.jetty.client.ContentResponse;
import org.eclipse.jetty.client.HttpClient;
import org.eclipse.jetty.client.InputStreamResponseListener;
import org.eclipse.jetty.client.Response;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/** Scenarios 1, 3, 4, 5, 6 and 16 of SCENARIOS.md with the Jetty client against a loopback server. */
class JettyScenariosTest {
  private static final Duration WAIT = Duration.ofSeconds(20);
  private static final Instant NOW = Instant.parse("2026-03-01T12:00:00Z");

  private final CountingServer server;
  private final Clients clients = new Clients();
  private HostRegulator regulator;

  JettyScenariosTest() throws Exception {
    server = new CountingServer();
  }

  @AfterEach
  void tearDown() throws Exception {
    clients.stopAll();
    if (regulator != null) {
      regulator.close();
    }
    server.close();
  }

  private HostRegulator regulator(int limit) {
    regulator = HostRegulators.builder().defaultLimit(limit).build();
    return regulator;
  }

  private static <T> T get(CompletableFuture<T> future) throws Exception {
    return future.get(WAIT.toSeconds(), TimeUnit.SECONDS);
  }

  // 1. Pool stopped with connections in flight.
  @Test
  void clientStoppedWithRequestsInFlight_givesItsSlotsAtOnceToTheOtherClientsWaiters() throws Exception {
    HostRegulator regulator = regulator(4);
    CountDownLatch holdA = new CountDownLatch(1);
    AtomicInteger bInProgress = new AtomicInteger();
    AtomicInteger bMax = new AtomicInteger();
    CountDownLatch bAllIn = new CountDownLatch(4);
    server.script((n, exchange) -> {
      if (exchange.getRequestURI().getPath().startsWith("/a")) {
        holdA.await(WAIT.toSeconds(), TimeUnit.SECONDS);
      } else {
        bMax.accumulateAndGet(bInProgress.incrementAndGet(), Math::max);
        bAllIn.countDown();
        bAllIn.await(WAIT.toSeconds(), TimeUnit.SECONDS);
        bInProgress.decrementAndGet();
      }
      return CountingServer.Reply.ok();
    });
    RegulatedPool poolA = regulator.newPool("a");
    RegulatedPool poolB = regulator.newPool("b");
    HttpClient a = clients.start(poolA);
    HttpClient b = clients.start(poolB);

    List<CompletableFuture<ContentResponse>> fromA = new ArrayList<>();
    for (int i = 0; i < 4; i++) {
      fromA.add(Clients.get(a, server.uri("/a" + i)));
    }
    await().atMost(WAIT).until(() -> server.inProgress() == 4 && poolA.inUse() == 4);
    List<CompletableFuture<ContentResponse>> fromB = new ArrayList<>();
    for (int i = 0; i < 4; i++) {
      fromB.add(Clients.get(b, server.uri("/b" + i)));
    }
    await().atMost(WAIT).until(() -> regulator.waiting(server.key()) == 4);
    assertEquals(4, server.requests(), "B sent nothing while A held every slot");
    assertEquals(4, server.maxInProgress());

    a.stop();
    assertTrue(poolA.isClosed());
    assertEquals(0, poolA.inUse(), "A's slots are back the moment stop returns");
    for (CompletableFuture<ContentResponse> response : fromB) {
      assertEquals(200, get(response).getStatus());
    }
    assertEquals(4, bMax.get(), "B's waiters got all four slots together");
    for (CompletableFuture<ContentResponse> response : fromA) {
      assertThrows(ExecutionException.class, () -> get(response));
    }

    // A's abandoned requests finish at the server later: that changes no count.
    holdA.countDown();
    await().atMost(WAIT).until(() -> server.inProgress() == 0);
    assertEquals(0, regulator.inUse(server.key()));
    assertEquals(0, regulator.waiting(server.key()));
    assertEquals(0, poolB.inUse());
  }

  // 3. Retry storm: the slot is given back before the backoff.
  @Test
  void retryStorm_fourCallersInRetryAfterBackoffHoldNoSlot_othersGetThrough() throws Exception {
    HostRegulator regulator = regulator(4);
    server.script((n, exchange) -> exchange.getRequestURI().getPath().equals("/storm") && n <= 4
        ? CountingServer.Reply.retryAfter(429, "30") : CountingServer.Reply.ok());
    GateSleeper sleeper = new GateSleeper(() -> regulator.inUse(server.key()));
    RetryingSender sender = new RetryingSender(RetryPolicy.builder().sleeper(sleeper).build());
    HttpClient client = clients.start(regulator.newPool("storm"));
    // The others give up on a slot after 1 ms: they pass only if no sleeping retry holds one.
    HttpClient impatient = clients.start(new HttpClient(), regulator.newPool("impatient"), Duration.ofMillis(1));

    List<CompletableFuture<ContentResponse>> storm = new ArrayList<>();
    for (int i = 0; i < 4; i++) {
      storm.add(sender.send(() -> client.newRequest(server.uri("/storm"))));
    }
    await().atMost(WAIT).until(() -> sleeper.sleeping() == 4);
    assertEquals(0, regulator.inUse(server.key()), "no slot held through a backoff");
    assertEquals(List.of(Duration.ofSeconds(30), Duration.ofSeconds(30), Duration.ofSeconds(30),
        Duration.ofSeconds(30)), sleeper.delays());

    List<CompletableFuture<ContentResponse>> others = new ArrayList<>();
    for (int i = 0; i < 4; i++) {
      others.add(Clients.get(impatient, server.uri("/other" + i)));
    }
    for (CompletableFuture<ContentResponse> response : others) {
      assertEquals(200, get(response).getStatus());
    }
    assertTrue(storm.stream().noneMatch(CompletableFuture::isDone));

    sleeper.open();
    for (CompletableFuture<ContentResponse> response : storm) {
      assertEquals(200, get(response).getStatus());
    }
    assertEquals(12, server.requests());
    assertTrue(server.maxInProgress() <= 4);
    await().atMost(WAIT).until(() -> regulator.inUse(server.key()) == 0);
    assertEquals(0, regulator.waiting(server.key()));
  }

  @Test
  void strictEventOrdering_givesTheSlotBackRightAfterTheCompleteListener_beforeTheBackoffEnds() throws Exception {
    HostRegulator regulator = regulator(1);
    server.script((n, exchange) -> n == 1 ? CountingServer.Reply.retryAfter(503, "30") : CountingServer.Reply.ok());
    GateSleeper sleeper = new GateSleeper(() -> regulator.inUse(server.key()));
    RetryingSender sender = new RetryingSender(RetryPolicy.builder().sleeper(sleeper).build());
    HttpClient client = new HttpClient();
    client.setStrictEventOrdering(true);
    clients.start(client, regulator.newPool("strict"));

    CompletableFuture<ContentResponse> response = sender.send(() -> client.newRequest(server.uri("/strict")));
    await().atMost(WAIT).until(() -> sleeper.sleeping() == 1);
    await().atMost(WAIT).until(() -> regulator.inUse(server.key()) == 0);
    assertFalse(response.isDone(), "still in its backoff, holding no slot");
    sleeper.open();
    assertEquals(200, get(response).getStatus());
    await().atMost(WAIT).until(() -> regulator.inUse(server.key()) == 0);
  }

  @Test
  void cancellingARetryInItsBackoff_endsIt_andSendsNothingMore() throws Exception {
    HostRegulator regulator = regulator(1);
    server.script((n, exchange) -> CountingServer.Reply.retryAfter(429, "30"));
    GateSleeper sleeper = new GateSleeper(() -> regulator.inUse(server.key()));
    RetryingSender sender = new RetryingSender(RetryPolicy.builder().sleeper(sleeper).build());
    HttpClient client = clients.start(regulator.newPool("cancelled"));

    CompletableFuture<ContentResponse> response = sender.send(() -> client.newRequest(server.uri("/cancel")));
    await().atMost(WAIT).until(() -> sleeper.sleeping() == 1);
    assertTrue(response.cancel(false));
    sleeper.open();
    assertEquals(1, server.requests());
    assertEquals(1, sleeper.sleeping());
    assertEquals(0, regulator.inUse(server.key()));
    assertEquals(0, regulator.waiting(server.key()));
  }

  // 4. Error path: connect error.
  @Test
  void connectionRefused_holdsNoSlotAtAnyBackoff_andExhaustedRetriesFailWithTheCause() throws Exception {
    HostRegulator regulator = regulator(2);
    int closedPort;
    try (ServerSocket socket = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
      closedPort = socket.getLocalPort();
    }
    HostKey key = HostKey.of("127.0.0.1", closedPort);
    GateSleeper sleeper = GateSleeper.open(() -> regulator.inUse(key));
    RetryingSender sender = new RetryingSender(RetryPolicy.builder().maxAttempts(3).sleeper(sleeper).build());
    HttpClient client = clients.start(regulator.newPool("refused"));

    ExecutionException failure = assertThrows(ExecutionException.class,
        () -> get(sender.send(() -> client.newRequest(URI.create("http://127.0.0.1:" + closedPort + "/")))));
    assertInstanceOf(ConnectException.class, failure.getCause());
    assertEquals(List.of(0, 0), sleeper.probes(), "slots in use as each backoff began");
    assertEquals(0, regulator.inUse(key));
    assertEquals(0, regulator.waiting(key));
  }

  @Test
  void connectFailingWhileRequestsWaited_leavesNoSlotParked() throws Exception {
    HostRegulator regulator = regulator(1);
    int closedPort;
    try (ServerSocket socket = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
      closedPort = socket.getLocalPort();
    }
    HostKey key = HostKey.of("127.0.0.1", closedPort);
    RegulatedPool other = regulator.newPool("other");
    io.regulator.Slot held = other.tryAcquire(key).orElseThrow();
    HttpClient client = clients.start(regulator.newPool("refused"));

    List<CompletableFuture<ContentResponse>> responses = new ArrayList<>();
    for (int i = 0; i < 3; i++) {
      responses.add(Clients.get(client, URI.create("http://127.0.0.1:" + closedPort + "/" + i)));
    }
    await().atMost(WAIT).until(() -> regulator.waiting(key) == 3);
    held.release();
    for (CompletableFuture<ContentResponse> response : responses) {
      ExecutionException failure = assertThrows(ExecutionException.class, () -> get(response));
      assertInstanceOf(ConnectException.class, failure.getCause());
    }
    await().atMost(WAIT).until(() -> regulator.inUse(key) == 0 && regulator.waiting(key) == 0);
    assertTrue(other.tryAcquire(key).isPresent(), "the host's one slot is free again");
  }

  // 4. Error path: read error.
  @Test
  void droppedConnection_releasesBeforeTheBackoff_andTheRetrySucceeds() throws Exception {
    HostRegulator regulator = regulator(2);
    server.script((n, exchange) -> n <= 2 ? CountingServer.Reply.dropConnection() : CountingServer.Reply.ok());
    GateSleeper sleeper = GateSleeper.open(() -> regulator.inUse(server.key()));
    RetryingSender sender = new RetryingSender(RetryPolicy.builder().maxAttempts(3).sleeper(sleeper).build());
    HttpClient client = clients.start(regulator.newPool("dropped"));

    assertEquals(200, get(sender.send(() -> client.newRequest(server.uri("/flaky")))).getStatus());
    assertEquals(3, server.requests());
    assertEquals(List.of(0, 0), sleeper.probes());
    await().atMost(WAIT).until(() -> regulator.inUse(server.key()) == 0);
  }

  // 5. Exhausted retries.
  @Test
  void exhaustedRetries_returnTheLastResponse_andTheLastAttemptReleasesToo() throws Exception {
    HostRegulator regulator = regulator(2);
    server.script((n, exchange) -> CountingServer.Reply.status(503));
    GateSleeper sleeper = GateSleeper.open(() -> regulator.inUse(server.key()));
    RetryingSender sender = new RetryingSender(RetryPolicy.builder().maxAttempts(3).sleeper(sleeper).build());
    HttpClient client = clients.start(regulator.newPool("exhausted"));

    ContentResponse last = get(sender.send(() -> client.newRequest(server.uri("/down"))));
    assertEquals(503, last.getStatus());
    assertEquals(3, server.requests());
    assertEquals(List.of(0, 0), sleeper.probes());
    await().atMost(WAIT).until(() -> regulator.inUse(server.key()) == 0);
    assertEquals(0, regulator.waiting(server.key()));

    // A POST is never retried: one attempt, released.
    ContentResponse post = get(sender.send(() -> client.POST(server.uri("/down"))));
    assertEquals(503, post.getStatus());
    assertEquals(4, server.requests());
    await().atMost(WAIT).until(() -> regulator.inUse(server.key()) == 0);
  }

  // 6. Never-closed response: Jetty's idle timeout reclaims it (see docs/jetty.md).
  @Test
  void streamDroppedWithoutClose_slotComesBackWhenTheIdleTimeoutClosesTheConnection() throws Exception {
    HostRegulator regulator = regulator(1);
    server.script((n, exchange) -> n == 1 ? CountingServer.Reply.endlessBody() : CountingServer.Reply.ok());
    HttpClient client = new HttpClient();
    client.setIdleTimeout(300);
    clients.start(client, regulator.newPool("dropped-stream"));

    InputStreamResponseListener listener = new InputStreamResponseListener();
    client.newRequest(server.uri("/endless")).send(listener);
    Response response = listener.get(WAIT.toSeconds(), TimeUnit.SECONDS);
    assertEquals(200, response.getStatus());
    InputStream body = listener.getInputStream();
    assertTrue(body.read() >= 0);
    assertEquals(1, regulator.inUse(server.key()), "the open stream holds its slot");
    body = null; // dropped, never closed

    await().atMost(WAIT).until(() -> regulator.inUse(server.key()) == 0);
    assertEquals(200, get(Clients.get(client, server.uri("/after"))).getStatus(), "the host is usable again");
    await().atMost(WAIT).until(() -> regulator.inUse(server.key()) == 0);
    assertFalse(regulator.waiting(server.key()) > 0);
  }

  // 6. Never-closed response, reclaimed and reported.
  @Test
  void streamDroppedWithoutClose_isReclaimedByTheCleaner_andReportedWithItsSite() throws Exception {
    HostRegulator regulator = regulator(1);
    server.script((n, exchange) -> n == 1 ? CountingServer.Reply.endlessBody() : CountingServer.Reply.ok());
    RegulatedPool pool = regulator.newPool("leaky");
    HttpClient client = new HttpClient();
    RegulatedPoolFactory factory = RegulatedPoolFactory.install(client, pool);
    clients.start(client, null);
    List<SlotLeak> leaks = new CopyOnWriteArrayList<>();

    dropAStreamUnclosed(client, new ReclaimingInputStreamListener(factory, leaks::add, true));
    assertEquals(1, regulator.inUse(server.key()), "the dropped stream still holds its slot");
    await().atMost(WAIT).until(() -> {
      System.gc();
      return !leaks.isEmpty();
    });

    SlotLeak leak = leaks.get(0);
    assertTrue(leak.reclaimed());
    assertEquals(server.key(), leak.key());
    assertEquals("leaky", leak.poolName());
    assertEquals("streamDroppedWithoutClose_isReclaimedByTheCleaner_andReportedWithItsSite",
        leak.acquisitionSite().getStackTrace()[0].getMethodName(), "the site is where the listener was made");
    await().atMost(WAIT).until(() -> regulator.inUse(server.key()) == 0);
    assertEquals(200, get(Clients.get(client, server.uri("/after"))).getStatus(), "the host is usable again");
    await().atMost(WAIT).until(() -> regulator.inUse(server.key()) == 0);
    assertEquals(1, leaks.size());
  }

  @Test
  void streamClosedEarly_isNoLeak() throws Exception {
    HostRegulator regulator = regulator(1);
    server.script((n, exchange) -> n == 1 ? CountingServer.Reply.endlessBody() : CountingServer.Reply.ok());
    HttpClient client = new HttpClient();
    RegulatedPoolFactory factory = RegulatedPoolFactory.install(client, regulator.newPool("tidy"));
    clients.start(client, null);
    List<SlotLeak> leaks = new CopyOnWriteArrayList<>();

    ReclaimingInputStreamListener listener = new ReclaimingInputStreamListener(factory, leaks::add, false);
    client.newRequest(server.uri("/endless")).send(listener);
    assertEquals(200, listener.get(WAIT.toSeconds(), TimeUnit.SECONDS).getStatus());
    try (InputStream body = listener.getInputStream()) {
      assertTrue(body.read() >= 0);
    }
    await().atMost(WAIT).until(() -> regulator.inUse(server.key()) == 0);
    assertEquals(200, get(Clients.get(client, server.uri("/after"))).getStatus());
    System.gc();
    assertEquals(List.of(), leaks);
  }

  private void dropAStreamUnclosed(HttpClient client, InputStreamResponseListener listener) throws Exception {
    client.newRequest(server.uri("/endless")).send(listener);
    assertEquals(200, listener.get(WAIT.toSeconds(), TimeUnit.SECONDS).getStatus());
    InputStream body = listener.getInputStream();
    assertTrue(body.read() >= 0);
  }

  // 16. Retry-After forms.
  @Test
  void retryAfterForms_eachGiveABoundedSaneWait() throws Exception {
    HostRegulator regulator = regulator(2);
    DateTimeFormatter http = DateTimeFormatter.RFC_1123_DATE_TIME.withZone(ZoneOffset.UTC);
    List<String> forms = List.of("7", http.format(NOW.plusSeconds(20)), http.format(NOW.minusSeconds(60)),
        "soon", "100000");
    server.script((n, exchange) -> n % 2 == 1
        ? CountingServer.Reply.retryAfter(429, forms.get(n / 2)) : CountingServer.Reply.ok());
    GateSleeper sleeper = GateSleeper.open(() -> regulator.inUse(server.key()));
    RetryingSender sender = new RetryingSender(RetryPolicy.builder()
        .clock(Clock.fixed(NOW, ZoneOffset.UTC))
        .baseDelay(Duration.ofSeconds(1))
        .maxDelay(Duration.ofSeconds(60))
        .jitter(() -> 0.5)
        .sleeper(sleeper)
        .build());
    HttpClient client = clients.start(regulator.newPool("retry-after"));

    for (int i = 0; i < forms.size(); i++) {
      assertEquals(200, get(sender.send(() -> client.newRequest(server.uri("/form")))).getStatus());
    }
    assertEquals(List.of(Duration.ofSeconds(7), Duration.ofSeconds(20), Duration.ZERO, Duration.ofMillis(500),
        Duration.ofSeconds(60)), sleeper.delays());
    assertEquals(List.of(0, 0, 0, 0, 0), sleeper.probes());
    await().atMost(WAIT).until(() -> regulator.inUse(server.key()) == 0);
  }
}
