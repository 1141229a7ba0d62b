package io.regulator.okhttp;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.regulator.HostKey;
import io.regulator.SlotTimeoutException;
import io.regulator.http.RetryPolicy;
import io.regulator.okhttp.CountingServer.Reply;
import java.io.IOException;
import java.net.ConnectException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.time.ZonedDateTime;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import okhttp3.Call;
import okhttp3.MediaType;
import okhttp3.OkHttpClient;
import okhttp3.Request;
import okhttp3.RequestBody;
import okhttp3.Response;
import okio.BufferedSink;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/** Scenarios 3, 4, 5 and 16 with OkHttp, sync and async, against a real loopback server. */
class OkHttpRetryScenariosTest extends OkHttpFixture {

  @BeforeEach
  void start() throws IOException {
    startFixture();
  }

  @AfterEach
  void stop() throws Exception {
    stopFixture();
  }

  private OkHttpClient retrying(String pool, RetryPolicy.Builder policy, GateSleeper gate) {
    return okhttp(pool, builder -> builder.retryPolicy(policy.sleeper(gate).build())).client();
  }

  @ParameterizedTest
  @EnumSource(Calls.class)
  void retryStorm_slotsGoBackBeforeTheBackoff_soOthersProceedWithoutWaiting(Calls calls) throws Exception {
    HostKey key = server.key();
    server.script((n, exchange) -> exchange.getRequestURI().getPath().equals("/storm") && n <= LIMIT
        ? Reply.retryAfter(429, "30") : Reply.ok());
    GateSleeper gate = new GateSleeper(() -> regulator.inUse(key));
    OkHttpClient storm = retrying("storm", RetryPolicy.builder(), gate);
    // No wait at all for a slot: one held by a sleeping retry would fail these.
    OkHttpClient others = okhttp("others", builder -> builder.acquireTimeout(Duration.ZERO)).client();

    List<CompletableFuture<Integer>> retried = new ArrayList<>();
    for (int i = 0; i < LIMIT; i++) {
      retried.add(calls.status(storm, get("/storm")));
    }
    await().atMost(5, TimeUnit.SECONDS).until(() -> gate.sleeping() == LIMIT);
    assertEquals(0, regulator.inUse(key), "all four callers are in backoff and hold nothing");
    assertEquals(List.of(Duration.ofSeconds(30), Duration.ofSeconds(30), Duration.ofSeconds(30),
        Duration.ofSeconds(30)), gate.delays());
    for (int i = 0; i < LIMIT; i++) {
      assertEquals(200, calls.status(others, get("/other")).get(10, TimeUnit.SECONDS));
    }
    gate.open();
    for (CompletableFuture<Integer> caller : retried) {
      assertEquals(200, caller.get(10, TimeUnit.SECONDS));
    }
    assertEquals(3 * LIMIT, server.requests());
    assertBaseline(key);
  }

  @ParameterizedTest
  @EnumSource(Calls.class)
  void aSlotTimeout_failsTheCallWithSlotUnavailable_andIsNotRetried(Calls calls) throws Exception {
    HostKey key = server.key();
    regulator.setLimit(key, 1);
    var holder = closeLater(regulator.newPool("holder"));
    var held = holder.acquire(key);
    GateSleeper gate = GateSleeper.open(() -> regulator.inUse(key));
    OkHttpClient client = okhttp("impatient", builder -> builder.acquireTimeout(Duration.ofMillis(1))
        .retryPolicy(RetryPolicy.builder().sleeper(gate).build())).client();

    ExecutionException failed = assertThrows(ExecutionException.class,
        () -> calls.status(client, get("/")).get(10, TimeUnit.SECONDS));
    SlotUnavailableException refused = assertInstanceOf(SlotUnavailableException.class, failed.getCause());
    assertInstanceOf(SlotTimeoutException.class, refused.getCause());
    assertEquals(0, gate.sleeping(), "waiting longer for a slot is not what a retry is for");
    held.release();
    assertEquals(0, server.requests());
    assertBaseline(key);
  }

  @ParameterizedTest
  @EnumSource(Calls.class)
  void connectError_releasesTheSlotBeforeTheRetryWait_andTheLastAttemptToo(Calls calls) throws Exception {
    int closedPort;
    try (ServerSocket socket = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
      closedPort = socket.getLocalPort();
    }
    HostKey key = HostKey.of("127.0.0.1", closedPort);
    GateSleeper gate = GateSleeper.open(() -> regulator.inUse(key));
    OkHttpClient client = retrying("refused", RetryPolicy.builder().maxAttempts(3), gate);

    Request request = new Request.Builder().url("http://127.0.0.1:" + closedPort + "/").build();
    ExecutionException failed = assertThrows(ExecutionException.class,
        () -> calls.status(client, request).get(10, TimeUnit.SECONDS));
    assertInstanceOf(ConnectException.class, failed.getCause());
    assertEquals(List.of(0, 0), gate.probes(), "no slot held while waiting to retry");
    assertEquals(0, regulator.inUse(key));
  }

  @ParameterizedTest
  @EnumSource(Calls.class)
  void readError_releasesTheSlotBeforeTheRetryWait(Calls calls) throws Exception {
    HostKey key = server.key();
    server.script((n, exchange) -> n <= 2 ? Reply.dropConnection() : Reply.ok());
    GateSleeper gate = GateSleeper.open(() -> regulator.inUse(key));
    // OkHttp's own immediate retry off, so that every failure reaches the policy.
    OkHttpClient client = closeLater(RegulatedOkHttp.builder(
            clientBuilder().retryOnConnectionFailure(false), regulator.newPool("reset"))
        .retryPolicy(RetryPolicy.builder().maxAttempts(3).sleeper(gate).build()).build()).client();

    assertEquals(200, calls.status(client, get("/")).get(10, TimeUnit.SECONDS));
    assertEquals(List.of(0, 0), gate.probes());
    assertEquals(3, server.requests());
    assertBaseline(key);
  }

  @ParameterizedTest
  @EnumSource(Calls.class)
  void okHttpsOwnRetryOnConnectionFailure_staysWithinTheCallsSlot(Calls calls) throws Exception {
    HostKey key = server.key();
    server.script((n, exchange) -> n == 2 ? Reply.dropConnection() : Reply.ok());
    OkHttpClient client = okhttp("own-retry").client();

    // The first call leaves a pooled connection; the server drops the second request on it, and
    // OkHttp retries that on a fresh connection at once, on the slot the call already holds.
    assertEquals(200, calls.status(client, get("/")).get(10, TimeUnit.SECONDS));
    assertEquals(200, calls.status(client, get("/")).get(10, TimeUnit.SECONDS));
    assertTrue(server.requests() >= 2);
    assertBaseline(key);
  }

  @ParameterizedTest
  @EnumSource(Calls.class)
  void exhaustedRetries_returnTheLastResponse_andReleaseItsSlot(Calls calls) throws Exception {
    HostKey key = server.key();
    server.script((n, exchange) -> Reply.retryAfter(503, "1"));
    GateSleeper gate = GateSleeper.open(() -> regulator.inUse(key));
    OkHttpClient client = retrying("exhausted", RetryPolicy.builder().maxAttempts(3), gate);

    assertEquals(503, calls.status(client, get("/")).get(10, TimeUnit.SECONDS));
    assertEquals(3, server.requests());
    assertEquals(List.of(Duration.ofSeconds(1), Duration.ofSeconds(1)), gate.delays());
    assertEquals(List.of(0, 0), gate.probes());
    assertBaseline(key);
  }

  @ParameterizedTest
  @EnumSource(Calls.class)
  void aPost_andAOneShotBody_areNotRetried_andGiveTheirSlotBack(Calls calls) throws Exception {
    HostKey key = server.key();
    server.script((n, exchange) -> Reply.retryAfter(503, "1"));
    GateSleeper gate = GateSleeper.open(() -> regulator.inUse(key));
    OkHttpClient client = retrying("not-retried", RetryPolicy.builder().maxAttempts(3), gate);

    Request post = new Request.Builder().url(server.uri("/post").toString())
        .post(RequestBody.create("{}", MediaType.get("application/json"))).build();
    assertEquals(503, calls.status(client, post).get(10, TimeUnit.SECONDS));
    Request oneShotPut = new Request.Builder().url(server.uri("/put").toString()).put(new RequestBody() {
      @Override
      public MediaType contentType() {
        return MediaType.get("text/plain");
      }

      @Override
      public void writeTo(BufferedSink sink) throws IOException {
        sink.writeUtf8("once");
      }

      @Override
      public boolean isOneShot() {
        return true;
      }
    }).build();
    assertEquals(503, calls.status(client, oneShotPut).get(10, TimeUnit.SECONDS));
    assertEquals(2, server.requests());
    assertEquals(0, gate.sleeping());
    assertBaseline(key);
  }

  @ParameterizedTest
  @EnumSource(Calls.class)
  void cancelInABackoff_endsTheCall_withNoSlotHeld(Calls calls) throws Exception {
    HostKey key = server.key();
    server.script((n, exchange) -> Reply.retryAfter(429, "30"));
    GateSleeper gate = new GateSleeper(() -> regulator.inUse(key));
    OkHttpClient client = retrying("cancel-in-backoff", RetryPolicy.builder(), gate);
    Call call = client.newCall(get("/"));
    CompletableFuture<Response> result = calls.start(call);
    await().atMost(5, TimeUnit.SECONDS).until(() -> gate.sleeping() == 1);
    assertEquals(0, regulator.inUse(key));

    call.cancel();
    if (!CancelSignal.supported()) {
      gate.open(); // OkHttp 4 cannot tell the backoff; it ends, and the call fails before another attempt
    }
    ExecutionException failed = assertThrows(ExecutionException.class, () -> result.get(10, TimeUnit.SECONDS));
    assertInstanceOf(IOException.class, failed.getCause());
    assertEquals(1, server.requests(), "no attempt after the cancel");
    assertBaseline(key);
  }

  @ParameterizedTest
  @EnumSource(Calls.class)
  void retryAfterForms_eachGiveABoundedSaneWait(Calls calls) throws Exception {
    HostKey key = server.key();
    Instant now = Instant.parse("2026-12-04T12:00:00Z");
    String inTwentySeconds = DateTimeFormatter.RFC_1123_DATE_TIME.format(
        ZonedDateTime.ofInstant(now.plusSeconds(20), ZoneOffset.UTC));
    String aMinuteAgo = DateTimeFormatter.RFC_1123_DATE_TIME.format(
        ZonedDateTime.ofInstant(now.minusSeconds(60), ZoneOffset.UTC));
    Map<String, String> forms = Map.of(
        "/delta", "7", "/date", inTwentySeconds, "/past", aMinuteAgo, "/garbage", "soon, maybe",
        "/huge", "99999999999999999999");
    Map<String, AtomicInteger> seen = new ConcurrentHashMap<>();
    server.script((n, exchange) -> {
      String path = exchange.getRequestURI().getPath();
      return seen.computeIfAbsent(path, p -> new AtomicInteger()).incrementAndGet() == 1
          ? Reply.retryAfter(429, forms.get(path)) : Reply.ok();
    });
    GateSleeper gate = GateSleeper.open(() -> regulator.inUse(key));
    OkHttpClient client = retrying("forms", RetryPolicy.builder().maxAttempts(2)
        .baseDelay(Duration.ofMillis(100)).maxDelay(Duration.ofSeconds(60))
        .clock(Clock.fixed(now, ZoneOffset.UTC)).jitter(() -> 0.5), gate);

    List<String> order = List.of("/delta", "/date", "/past", "/garbage", "/huge");
    for (String path : order) {
      assertEquals(200, calls.status(client, get(path)).get(10, TimeUnit.SECONDS), path);
    }
    assertEquals(List.of(Duration.ofSeconds(7), Duration.ofSeconds(20), Duration.ZERO,
        Duration.ofMillis(50), Duration.ofSeconds(60)), gate.delays(),
        "delta, date, past date, garbage (half the 100 ms backoff), above the cap");
    assertEquals(List.of(0, 0, 0, 0, 0), gate.probes());
    assertBaseline(key);
  }
}
