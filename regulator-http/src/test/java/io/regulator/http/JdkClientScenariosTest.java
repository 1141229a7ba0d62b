package io.regulator.http;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.regulator.HostKey;
import io.regulator.HostRegulator;
import io.regulator.RegulatedPool;
import io.regulator.core.HostRegulators;
import io.regulator.http.CountingServer.Reply;
import io.regulator.http.jdk.RegulatedHttpClient;
import java.io.IOException;
import java.io.InputStream;
import java.net.ConnectException;
import java.net.ServerSocket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.net.http.HttpResponse.BodyHandlers;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** Scenarios 3, 4, 5, 6 and 16 with the JDK HttpClient against a real loopback server. */
class JdkClientScenariosTest {
  private static final Instant NOW = Instant.parse("2025-11-23T10:00:00Z");

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

  private RegulatedHttpClient client(String name, RetryPolicy retry, Duration acquireTimeout) {
    RegulatedHttpClient client = RegulatedHttpClient
        .builder(HttpClient.newHttpClient(), regulator.newPool(name))
        .retryPolicy(retry)
        .acquireTimeout(acquireTimeout)
        .build();
    closeables.add(client);
    return client;
  }

  private static HttpRequest get(URI uri) {
    return HttpRequest.newBuilder(uri).timeout(Duration.ofSeconds(10)).build();
  }

  private void assertBaseline(HostKey key) {
    await().atMost(5, TimeUnit.SECONDS).until(() -> regulator.inUse(key) == 0);
    assertEquals(0, regulator.waiting(key));
    assertTrue(server.maxInProgress() <= regulator.limit(key),
        "server saw " + server.maxInProgress() + " in progress, limit " + regulator.limit(key));
  }

  @Test
  void retryStorm_slotsGoBackBeforeTheBackoff_soOthersProceedWithoutWaiting() throws Exception {
    HostKey key = server.key();
    server.script((n, exchange) -> exchange.getRequestURI().getPath().equals("/storm") && n <= 4
        ? Reply.retryAfter(429, "30") : Reply.ok());
    GateSleeper sleeper = new GateSleeper(() -> regulator.inUse(key));
    RegulatedHttpClient storm = client("storm", RetryPolicy.builder().sleeper(sleeper).build(), Duration.ofSeconds(10));
    // The others may not wait at all: a slot held by a sleeping retry would fail them at once.
    RegulatedHttpClient others = client("others", RetryPolicy.none(), Duration.ZERO);

    List<CompletableFuture<HttpResponse<String>>> retried = new ArrayList<>();
    for (int i = 0; i < 4; i++) {
      retried.add(storm.sendAsync(get(server.uri("/storm")), BodyHandlers.ofString()));
    }
    await().atMost(5, TimeUnit.SECONDS).until(() -> sleeper.sleeping() == 4);
    assertEquals(0, regulator.inUse(key), "all four callers are in backoff and hold nothing");
    assertEquals(List.of(Duration.ofSeconds(30), Duration.ofSeconds(30), Duration.ofSeconds(30),
        Duration.ofSeconds(30)), sleeper.delays());

    for (int i = 0; i < 4; i++) {
      assertEquals(200, others.send(get(server.uri("/other")), BodyHandlers.ofString()).statusCode());
    }
    sleeper.open();
    for (CompletableFuture<HttpResponse<String>> response : retried) {
      assertEquals(200, response.get(10, TimeUnit.SECONDS).statusCode());
    }
    assertEquals(12, server.requests());
    assertBaseline(key);
  }

  @Test
  void retryStorm_blockingSend_releasesBeforeSleeping() throws Exception {
    HostKey key = server.key();
    server.script((n, exchange) -> n <= 4 ? Reply.retryAfter(503, "30") : Reply.ok());
    GateSleeper sleeper = new GateSleeper(() -> regulator.inUse(key));
    RegulatedHttpClient client = client("blocking", RetryPolicy.builder().sleeper(sleeper).build(), Duration.ofSeconds(10));
    List<CompletableFuture<Integer>> callers = new ArrayList<>();
    for (int i = 0; i < 4; i++) {
      callers.add(CompletableFuture.supplyAsync(() -> {
        try {
          return client.send(get(server.uri("/")), BodyHandlers.ofString()).statusCode();
        } catch (IOException | InterruptedException e) {
          throw new IllegalStateException(e);
        }
      }, runnable -> new Thread(runnable).start()));
    }
    await().atMost(5, TimeUnit.SECONDS).until(() -> sleeper.sleeping() == 4);
    assertEquals(0, regulator.inUse(key));
    sleeper.open();
    for (CompletableFuture<Integer> caller : callers) {
      assertEquals(200, caller.get(10, TimeUnit.SECONDS));
    }
    assertBaseline(key);
  }

  @Test
  void connectError_releasesTheSlotBeforeTheRetryWait_andTheLastAttemptToo() throws Exception {
    int closedPort;
    try (ServerSocket socket = new ServerSocket(0, 1, java.net.InetAddress.getLoopbackAddress())) {
      closedPort = socket.getLocalPort();
    }
    HostKey key = HostKey.of("127.0.0.1", closedPort);
    GateSleeper sleeper = GateSleeper.open(() -> regulator.inUse(key));
    RegulatedHttpClient client = client("refused", RetryPolicy.builder().maxAttempts(3).sleeper(sleeper).build(),
        Duration.ofSeconds(10));

    assertThrows(ConnectException.class,
        () -> client.send(get(URI.create("http://127.0.0.1:" + closedPort + "/")), BodyHandlers.ofString()));
    assertEquals(List.of(0, 0), sleeper.probes(), "no slot held while waiting to retry");
    assertEquals(0, regulator.inUse(key), "the exhausted last attempt released too");
  }

  @Test
  void readError_releasesTheSlotBeforeTheRetryWait() throws Exception {
    HostKey key = server.key();
    server.script((n, exchange) -> n <= 2 ? Reply.dropConnection() : Reply.ok());
    GateSleeper sleeper = GateSleeper.open(() -> regulator.inUse(key));
    RegulatedHttpClient client = client("reset", RetryPolicy.builder().maxAttempts(3).sleeper(sleeper).build(),
        Duration.ofSeconds(10));

    HttpResponse<String> response = client.send(get(server.uri("/")), BodyHandlers.ofString());
    assertEquals(200, response.statusCode());
    assertTrue(sleeper.probes().size() >= 1 && sleeper.probes().stream().allMatch(p -> p == 0), sleeper.probes().toString());
    assertBaseline(key);
  }

  @Test
  void exhaustedRetries_returnTheLastResponse_andReleaseItsSlot() throws Exception {
    HostKey key = server.key();
    server.script((n, exchange) -> Reply.retryAfter(503, "1"));
    GateSleeper sleeper = GateSleeper.open(() -> regulator.inUse(key));
    RegulatedHttpClient client = client("exhausted", RetryPolicy.builder().maxAttempts(3).sleeper(sleeper).build(),
        Duration.ofSeconds(10));

    HttpResponse<String> response = client.send(get(server.uri("/")), BodyHandlers.ofString());
    assertEquals(503, response.statusCode());
    assertEquals("retry later", response.body(), "the caller's handler read the last body");
    assertEquals(3, server.requests());
    assertEquals(List.of(0, 0), sleeper.probes());
    assertBaseline(key);

    CompletableFuture<HttpResponse<String>> async = client.sendAsync(get(server.uri("/")), BodyHandlers.ofString());
    assertEquals(503, async.get(10, TimeUnit.SECONDS).statusCode());
    assertEquals(6, server.requests());
    assertBaseline(key);
  }

  @Test
  void postIsNeverRetried() throws Exception {
    HostKey key = server.key();
    server.script((n, exchange) -> Reply.retryAfter(429, "0"));
    RegulatedHttpClient client = client("post", RetryPolicy.builder().maxAttempts(5).build(), Duration.ofSeconds(10));
    HttpRequest post = HttpRequest.newBuilder(server.uri("/")).POST(HttpRequest.BodyPublishers.ofString("x")).build();
    assertEquals(429, client.send(post, BodyHandlers.ofString()).statusCode());
    assertEquals(1, server.requests());
    assertBaseline(key);
  }

  @Test
  void retryAfterForms_fromARealServer_giveBoundedWaits() throws Exception {
    HostKey key = server.key();
    String inFortyFive = DateTimeFormatter.RFC_1123_DATE_TIME.format(NOW.plusSeconds(45).atOffset(ZoneOffset.UTC));
    List<String> forms = List.of("12", inFortyFive, "Wed, 21 Oct 2015 07:28:00 GMT", "soon", "86400");
    server.script((n, exchange) -> n <= forms.size() ? Reply.retryAfter(429, forms.get(n - 1)) : Reply.ok());
    GateSleeper sleeper = GateSleeper.open(() -> regulator.inUse(key));
    RetryPolicy policy = RetryPolicy.builder().maxAttempts(6).maxDelay(Duration.ofSeconds(60))
        .baseDelay(Duration.ofMillis(100)).clock(Clock.fixed(NOW, ZoneOffset.UTC)).jitter(() -> 0.5)
        .sleeper(sleeper).build();
    RegulatedHttpClient client = client("forms", policy, Duration.ofSeconds(10));

    assertEquals(200, client.send(get(server.uri("/")), BodyHandlers.ofString()).statusCode());
    assertEquals(List.of(Duration.ofSeconds(12), Duration.ofSeconds(45), Duration.ZERO,
        Duration.ofMillis(400), Duration.ofSeconds(60)), sleeper.delays(),
        "delta, date, past date, garbage (backoff of attempt 4: 0.5 * 800 ms), above the cap");
    assertBaseline(key);
  }

  @Test
  void streamingBody_holdsItsSlotUntilClosed() throws Exception {
    HostKey key = server.key();
    server.script((n, exchange) -> Reply.endlessBody());
    RegulatedHttpClient client = client("stream", RetryPolicy.none(), Duration.ofSeconds(10));

    HttpResponse<InputStream> response = client.send(get(server.uri("/")), BodyHandlers.ofInputStream());
    try (InputStream body = response.body()) {
      assertEquals(64 * 1024, body.readNBytes(64 * 1024).length);
      assertEquals(1, regulator.inUse(key), "the body is still streaming");
    }
    assertBaseline(key);
  }

  @Test
  void fullyReadBody_givesTheSlotBack() throws Exception {
    HostKey key = server.key();
    RegulatedHttpClient client = client("read", RetryPolicy.none(), Duration.ofSeconds(10));
    HttpResponse<InputStream> response = client.send(get(server.uri("/")), BodyHandlers.ofInputStream());
    assertEquals("ok", new String(response.body().readAllBytes(), java.nio.charset.StandardCharsets.UTF_8));
    assertBaseline(key);
  }

  @Test
  void neverClosedStream_holdsItsSlotUntilThePoolCloses() throws Exception {
    // The JDK keeps a response reachable while its connection is open, so a dropped stream cannot
    // be told from a slow reader; what bounds the leak is the pool's close.
    HostKey key = server.key();
    server.script((n, exchange) -> Reply.endlessBody());
    RegulatedHttpClient client = client("leaky", RetryPolicy.none(), Duration.ofSeconds(10));
    HttpResponse<InputStream> dropped = client.send(get(server.uri("/")), BodyHandlers.ofInputStream());
    assertEquals(200, dropped.statusCode());
    assertEquals(1, regulator.inUse(key));
    client.pool().close();
    assertEquals(0, regulator.inUse(key));
    // On JDK 21+ closing the client waits for its exchanges, and this body never ends.
    dropped.body().close();
  }

  static boolean stackNames(Throwable trace, String method) {
    for (StackTraceElement element : trace.getStackTrace()) {
      if (element.getMethodName().equals(method)) {
        return true;
      }
    }
    return false;
  }

  @Test
  void cancellingAnAsyncSend_givesTheSlotBack() throws Exception {
    HostKey key = server.key();
    CompletableFuture<Void> hold = new CompletableFuture<>();
    server.script((n, exchange) -> {
      hold.get(10, TimeUnit.SECONDS);
      return Reply.ok();
    });
    RegulatedHttpClient client = client("cancel", RetryPolicy.none(), Duration.ofSeconds(10));
    CompletableFuture<HttpResponse<String>> sending = client.sendAsync(get(server.uri("/")), BodyHandlers.ofString());
    await().atMost(5, TimeUnit.SECONDS).until(() -> server.inProgress() == 1);
    assertEquals(1, regulator.inUse(key));
    sending.cancel(true);
    await().atMost(5, TimeUnit.SECONDS).until(() -> regulator.inUse(key) == 0);
    hold.complete(null);
    assertBaseline(key);
  }

  @Test
  void closedPool_failsSendsWithPoolClosed() {
    RegulatedHttpClient client = client("closed", RetryPolicy.none(), Duration.ofSeconds(10));
    client.close();
    assertThrows(io.regulator.PoolClosedException.class,
        () -> client.send(get(server.uri("/")), BodyHandlers.ofString()));
    ExecutionException failed = assertThrows(ExecutionException.class,
        () -> client.sendAsync(get(server.uri("/")), BodyHandlers.ofString()).get(5, TimeUnit.SECONDS));
    assertInstanceOf(io.regulator.PoolClosedException.class, failed.getCause());
  }

  @Test
  void builder_refusesBadValues() {
    RegulatedPool pool = regulator.newPool("builder");
    closeables.add(pool);
    assertEquals("acquireTimeout < 0: PT-1S", assertThrows(IllegalArgumentException.class,
        () -> RegulatedHttpClient.builder(HttpClient.newHttpClient(), pool).acquireTimeout(Duration.ofSeconds(-1)))
        .getMessage());
    assertThrows(NullPointerException.class, () -> RegulatedHttpClient.builder(null, pool));
  }
}
