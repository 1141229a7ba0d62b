package io.regulator.http;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;

import io.regulator.HostBackoffException;
import io.regulator.HostKey;
import io.regulator.HostRegulator;
import io.regulator.LimitChangeReason;
import io.regulator.RegulatorListener;
import io.regulator.core.AdaptiveLimit;
import io.regulator.core.HostRegulators;
import io.regulator.core.SharedBackoff;
import io.regulator.http.CountingServer.Reply;
import io.regulator.http.apache.RegulatedAsyncConnections;
import io.regulator.http.apache.RegulatedConnections;
import io.regulator.http.apache.ReleaseBeforeRetry;
import io.regulator.http.apache.RetryPolicyStrategy;
import io.regulator.http.jdk.RegulatedHttpClient;
import java.io.IOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse.BodyHandlers;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import org.apache.hc.client5.http.async.methods.SimpleRequestBuilder;
import org.apache.hc.client5.http.classic.methods.HttpGet;
import org.apache.hc.client5.http.impl.async.CloseableHttpAsyncClient;
import org.apache.hc.client5.http.impl.async.HttpAsyncClients;
import org.apache.hc.client5.http.impl.classic.CloseableHttpClient;
import org.apache.hc.client5.http.impl.classic.HttpClients;
import org.apache.hc.client5.http.impl.io.PoolingHttpClientConnectionManagerBuilder;
import org.apache.hc.client5.http.impl.nio.PoolingAsyncClientConnectionManagerBuilder;
import org.apache.hc.core5.http.io.entity.EntityUtils;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * Issue 16: each integration reports every attempt on its slot. A 429 with {@code Retry-After}
 * cuts the adaptive limit once and, capped by the retry policy, holds the host back for every
 * other pool; a 200 and a 404 change nothing; a refused connection is push-back.
 */
class OutcomeReportingTest {
  /** Caps the server's Retry-After of 120 s at 2 s: the node's backoff never outlasts the policy. */
  private static final RetryPolicy POLICY = RetryPolicy.builder().maxAttempts(1)
      .maxDelay(Duration.ofSeconds(2)).build();

  private CountingServer server;
  private HostRegulator regulator;
  private final List<String> events = new CopyOnWriteArrayList<>();
  private final List<AutoCloseable> closeables = new ArrayList<>();

  @BeforeEach
  void start() throws IOException {
    server = new CountingServer();
    server.script((n, exchange) -> switch (exchange.getRequestURI().getPath()) {
      case "/busy" -> Reply.retryAfter(429, "120");
      case "/missing" -> Reply.status(404);
      default -> Reply.ok();
    });
    regulator = HostRegulators.builder()
        .defaultLimit(10)
        .adaptiveLimits(AdaptiveLimit.aimdDefaults())
        .sharedRetryAfter(SharedBackoff.FAIL_FAST)
        .listener(new RegulatorListener() {
          @Override
          public void limitChanged(HostKey key, int previous, int limit, LimitChangeReason reason) {
            events.add(previous + "->" + limit + " " + reason);
          }

          @Override
          public void backoffStarted(HostKey key, Duration wait) {
            events.add("backoff " + wait.toSeconds() + " s");
          }
        })
        .build();
  }

  @AfterEach
  void stop() throws Exception {
    for (AutoCloseable closeable : closeables) {
      closeable.close();
    }
    await().atMost(5, TimeUnit.SECONDS).until(() -> regulator.inUse(server.key()) == 0);
    assertEquals(0, regulator.waiting(server.key()));
    regulator.close();
    server.close();
  }

  private RegulatedHttpClient jdk(String pool) {
    RegulatedHttpClient client = RegulatedHttpClient
        .builder(HttpClient.newHttpClient(), regulator.newPool(pool)).retryPolicy(POLICY).build();
    closeables.add(client);
    return client;
  }

  private static HttpRequest get(URI uri) {
    return HttpRequest.newBuilder(uri).timeout(Duration.ofSeconds(10)).build();
  }

  private void assertBusyHostIsHeldBackForOtherPools() {
    RegulatedHttpClient other = jdk("other");
    HostBackoffException refused = assertThrows(HostBackoffException.class,
        () -> other.send(get(server.uri("/ok")), BodyHandlers.discarding()));
    assertEquals(server.key(), refused.key());
  }

  @Test
  void jdkClient_a429WithRetryAfter_cutsTheLimitAndBacksOffEveryPool() throws Exception {
    RegulatedHttpClient client = jdk("jdk");
    assertEquals(200, client.send(get(server.uri("/ok")), BodyHandlers.ofString()).statusCode());
    assertEquals(404, client.send(get(server.uri("/missing")), BodyHandlers.ofString()).statusCode());
    assertEquals(List.of(), events, "a success and a client error change nothing");
    assertEquals(429, client.send(get(server.uri("/busy")), BodyHandlers.ofString()).statusCode());
    assertEquals(List.of("backoff 2 s", "10->9 PUSH_BACK"), events);
    assertBusyHostIsHeldBackForOtherPools();
  }

  @Test
  void jdkClientAsync_a429WithRetryAfter_cutsTheLimitAndBacksOffEveryPool() throws Exception {
    RegulatedHttpClient client = jdk("jdk-async");
    assertEquals(429, client.sendAsync(get(server.uri("/busy")), BodyHandlers.ofString())
        .get(10, TimeUnit.SECONDS).statusCode());
    assertEquals(List.of("backoff 2 s", "10->9 PUSH_BACK"), events);
    ExecutionException refused = assertThrows(ExecutionException.class,
        () -> client.sendAsync(get(server.uri("/ok")), BodyHandlers.ofString()).get(10, TimeUnit.SECONDS));
    assertInstanceOf(HostBackoffException.class, refused.getCause());
  }

  @Test
  void jdkClient_aRefusedConnection_isPushBack() throws Exception {
    int closedPort;
    try (ServerSocket socket = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
      closedPort = socket.getLocalPort();
    }
    RegulatedHttpClient client = jdk("refused");
    assertThrows(IOException.class, () -> client.send(
        get(URI.create("http://127.0.0.1:" + closedPort + "/")), BodyHandlers.discarding()));
    assertEquals(List.of("10->9 PUSH_BACK"), events);
  }

  @Test
  void apacheClassic_a429WithRetryAfter_cutsTheLimitAndBacksOffEveryPool() throws Exception {
    RegulatedConnections connections = RegulatedConnections.builder(
            PoolingHttpClientConnectionManagerBuilder.create().build(), regulator.newPool("classic"))
        .retryPolicy(POLICY).build();
    CloseableHttpClient client = HttpClients.custom().setConnectionManager(connections)
        .setRetryStrategy(new RetryPolicyStrategy(POLICY)).build();
    closeables.add(client);
    assertEquals((Integer) 200, client.execute(new HttpGet(server.uri("/ok")), response -> {
      EntityUtils.consume(response.getEntity());
      return response.getCode();
    }));
    assertEquals(List.of(), events);
    assertEquals((Integer) 429, client.execute(new HttpGet(server.uri("/busy")), response -> {
      EntityUtils.consume(response.getEntity());
      return response.getCode();
    }));
    assertEquals(List.of("backoff 2 s", "10->9 PUSH_BACK"), events);
    assertBusyHostIsHeldBackForOtherPools();
  }

  @Test
  void apacheAsync_a429WithRetryAfter_cutsTheLimitAndBacksOffEveryPool() throws Exception {
    CloseableHttpAsyncClient client = ReleaseBeforeRetry.install(HttpAsyncClients.custom()
            .setConnectionManager(RegulatedAsyncConnections.wrap(
                PoolingAsyncClientConnectionManagerBuilder.create().build(),
                regulator.newPool("async"), Duration.ofSeconds(10), POLICY))
            .setRetryStrategy(new RetryPolicyStrategy(POLICY)))
        .build();
    client.start();
    closeables.add(client);
    assertEquals(200, client.execute(SimpleRequestBuilder.get(server.uri("/ok")).build(), null)
        .get(10, TimeUnit.SECONDS).getCode());
    assertEquals(List.of(), events);
    assertEquals(429, client.execute(SimpleRequestBuilder.get(server.uri("/busy")).build(), null)
        .get(10, TimeUnit.SECONDS).getCode());
    assertEquals(List.of("backoff 2 s", "10->9 PUSH_BACK"), events);
    assertBusyHostIsHeldBackForOtherPools();
  }
}
