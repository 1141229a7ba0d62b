package io.regulator.http;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.regulator.HostKey;
import io.regulator.HostRegulator;
import io.regulator.core.HostRegulators;
import io.regulator.http.CountingServer.Reply;
import io.regulator.http.apache.RegulatedAsyncConnections;
import io.regulator.http.apache.ReleaseBeforeRetry;
import io.regulator.http.apache.RetryPolicyStrategy;
import java.io.IOException;
import java.net.ConnectException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import org.apache.hc.client5.http.HttpRequestRetryStrategy;
import org.apache.hc.client5.http.async.methods.SimpleHttpResponse;
import org.apache.hc.client5.http.async.methods.SimpleRequestBuilder;
import org.apache.hc.client5.http.config.RequestConfig;
import org.apache.hc.client5.http.impl.async.CloseableHttpAsyncClient;
import org.apache.hc.client5.http.impl.async.HttpAsyncClientBuilder;
import org.apache.hc.client5.http.impl.async.HttpAsyncClients;
import org.apache.hc.client5.http.impl.nio.PoolingAsyncClientConnectionManagerBuilder;
import org.apache.hc.core5.http.HttpRequest;
import org.apache.hc.core5.http.HttpResponse;
import org.apache.hc.core5.http.protocol.HttpContext;
import org.apache.hc.core5.util.TimeValue;
import org.apache.hc.core5.util.Timeout;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** Scenarios 3, 4 and 5 with Apache HttpClient 5 async against a real loopback server. */
class ApacheAsyncScenariosTest {
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

  private CloseableHttpAsyncClient client(String name, HttpRequestRetryStrategy retry) {
    HttpAsyncClientBuilder builder = HttpAsyncClients.custom()
        .setConnectionManager(RegulatedAsyncConnections.wrap(
            PoolingAsyncClientConnectionManagerBuilder.create().setMaxConnPerRoute(20).build(),
            regulator.newPool(name)))
        .setRetryStrategy(retry)
        .setDefaultRequestConfig(RequestConfig.custom()
            .setConnectionRequestTimeout(Timeout.ofSeconds(10)).build());
    CloseableHttpAsyncClient client = ReleaseBeforeRetry.install(builder).build();
    client.start();
    closeables.add(client);
    return client;
  }

  private static Future<SimpleHttpResponse> get(CloseableHttpAsyncClient client, java.net.URI uri) {
    return client.execute(SimpleRequestBuilder.get(uri).build(), null);
  }

  private void assertBaseline(HostKey key) {
    await().atMost(5, TimeUnit.SECONDS).until(() -> regulator.inUse(key) == 0);
    assertEquals(0, regulator.waiting(key));
    assertTrue(server.maxInProgress() <= regulator.limit(key),
        "server saw " + server.maxInProgress() + " in progress, limit " + regulator.limit(key));
  }

  /** Records the slots in use each time HttpClient asks for a retry interval (after an I/O error). */
  private static final class ProbingStrategy implements HttpRequestRetryStrategy {
    final RetryPolicyStrategy strategy;
    final GateSleeper probe;

    ProbingStrategy(RetryPolicyStrategy strategy, GateSleeper probe) {
      this.strategy = strategy;
      this.probe = probe;
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
      TimeValue interval = strategy.getRetryInterval(request, exception, execCount, context);
      probe.sleep(Duration.ofMillis(interval.toMilliseconds()));
      return TimeValue.ZERO_MILLISECONDS;
    }

    @Override
    public TimeValue getRetryInterval(HttpResponse response, int execCount, HttpContext context) {
      TimeValue interval = strategy.getRetryInterval(response, execCount, context);
      probe.sleep(Duration.ofMillis(interval.toMilliseconds()));
      return interval;
    }
  }

  @Test
  void retryStorm_slotsGoBackBeforeTheBackoff_soOthersProceedFirst() throws Exception {
    HostKey key = server.key();
    server.script((n, exchange) -> exchange.getRequestURI().getPath().equals("/storm") && n <= 4
        ? Reply.retryAfter(429, "30") : Reply.ok());
    // HttpClient's async scheduler does the waiting; the cap turns Retry-After: 30 into 3 s, long
    // enough for the others to go first if, and only if, the sleeping retries hold no slot.
    RetryPolicy policy = RetryPolicy.builder().maxDelay(Duration.ofSeconds(3)).build();
    GateSleeper probe = GateSleeper.open(() -> regulator.inUse(key));
    CloseableHttpAsyncClient storm = client("storm", new ProbingStrategy(new RetryPolicyStrategy(policy), probe));
    CloseableHttpAsyncClient others = client("others", new RetryPolicyStrategy(RetryPolicy.none()));

    List<Future<SimpleHttpResponse>> retried = new ArrayList<>();
    for (int i = 0; i < 4; i++) {
      retried.add(get(storm, server.uri("/storm")));
    }
    await().atMost(5, TimeUnit.SECONDS).until(() -> probe.sleeping() == 4 && regulator.inUse(key) == 0);
    assertEquals(List.of(Duration.ofSeconds(3), Duration.ofSeconds(3), Duration.ofSeconds(3),
        Duration.ofSeconds(3)), probe.delays());
    List<Future<SimpleHttpResponse>> otherRequests = new ArrayList<>();
    for (int i = 0; i < 4; i++) {
      otherRequests.add(get(others, server.uri("/other")));
    }
    for (Future<SimpleHttpResponse> response : otherRequests) {
      assertEquals(200, response.get(10, TimeUnit.SECONDS).getCode());
    }
    for (Future<SimpleHttpResponse> response : retried) {
      assertEquals(200, response.get(10, TimeUnit.SECONDS).getCode());
    }
    assertEquals(List.of("/storm", "/storm", "/storm", "/storm", "/other", "/other", "/other", "/other",
        "/storm", "/storm", "/storm", "/storm"), server.arrivals(), "the others went during the backoff");
    assertBaseline(key);
  }

  @Test
  void connectError_releasesTheSlotBeforeTheRetryWait_andTheLastAttemptToo() throws Exception {
    int closedPort;
    try (ServerSocket socket = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
      closedPort = socket.getLocalPort();
    }
    HostKey key = HostKey.of("127.0.0.1", closedPort);
    GateSleeper probe = GateSleeper.open(() -> regulator.inUse(key));
    CloseableHttpAsyncClient client = client("refused",
        new ProbingStrategy(new RetryPolicyStrategy(RetryPolicy.builder().maxAttempts(3).build()), probe));

    ExecutionException failed = assertThrows(ExecutionException.class,
        () -> get(client, java.net.URI.create("http://127.0.0.1:" + closedPort + "/")).get(10, TimeUnit.SECONDS));
    assertInstanceOf(ConnectException.class, failed.getCause());
    assertEquals(List.of(0, 0), probe.probes(), "no slot held while waiting to retry");
    assertEquals(0, regulator.inUse(key));
  }

  @Test
  void exhaustedRetries_returnTheLastResponse_andReleaseItsSlot() throws Exception {
    HostKey key = server.key();
    server.script((n, exchange) -> Reply.retryAfter(503, "0"));
    CloseableHttpAsyncClient client = client("exhausted",
        new RetryPolicyStrategy(RetryPolicy.builder().maxAttempts(3).build()));
    assertEquals(503, get(client, server.uri("/")).get(10, TimeUnit.SECONDS).getCode());
    assertEquals(3, server.requests());
    assertBaseline(key);
  }

  @Test
  void closingTheClient_givesEverySlotBack() throws Exception {
    HostKey key = server.key();
    java.util.concurrent.CompletableFuture<Void> hold = new java.util.concurrent.CompletableFuture<>();
    server.script((n, exchange) -> {
      hold.get(10, TimeUnit.SECONDS);
      return Reply.ok();
    });
    CloseableHttpAsyncClient client = client("closing", new RetryPolicyStrategy(RetryPolicy.none()));
    List<Future<SimpleHttpResponse>> inFlight = new ArrayList<>();
    for (int i = 0; i < 6; i++) {
      inFlight.add(get(client, server.uri("/")));
    }
    await().atMost(5, TimeUnit.SECONDS).until(() -> server.inProgress() == 4 && regulator.waiting(key) == 2);
    client.close(org.apache.hc.core5.io.CloseMode.IMMEDIATE);
    await().atMost(5, TimeUnit.SECONDS).until(() -> regulator.inUse(key) == 0);
    hold.complete(null);
    for (Future<SimpleHttpResponse> request : inFlight) {
      // An immediate close fails some exchanges and drops others without a callback (HttpClient's
      // behaviour); none of them may succeed, and the slots are back either way.
      if (request.isDone()) {
        assertThrows(Exception.class, request::get);
      }
    }
    assertBaseline(key);
  }
}
