package io.regulator.http;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.regulator.HostKey;
import io.regulator.HostRegulator;
import io.regulator.core.HostRegulators;
import io.regulator.http.CountingServer.Reply;
import io.regulator.http.apache.RegulatedAsyncConnections;
import io.regulator.http.apache.RegulatedConnections;
import io.regulator.http.apache.ReleaseBeforeRetry;
import io.regulator.http.apache.RetryPolicyStrategy;
import io.regulator.http.jdk.RegulatedHttpClient;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse.BodyHandlers;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.locks.LockSupport;
import org.apache.hc.client5.http.async.methods.SimpleRequestBuilder;
import org.apache.hc.client5.http.classic.methods.HttpGet;
import org.apache.hc.client5.http.impl.async.CloseableHttpAsyncClient;
import org.apache.hc.client5.http.impl.async.HttpAsyncClients;
import org.apache.hc.client5.http.impl.classic.CloseableHttpClient;
import org.apache.hc.client5.http.impl.classic.HttpClients;
import org.apache.hc.client5.http.impl.io.PoolingHttpClientConnectionManagerBuilder;
import org.apache.hc.client5.http.impl.nio.PoolingAsyncClientConnectionManagerBuilder;
import org.apache.hc.core5.http.io.entity.EntityUtils;
import org.junit.jupiter.api.RepeatedTest;

/**
 * Three pools of three kinds (JDK, HttpClient 5 classic, HttpClient 5 async), each allowed far more
 * connections than the host's limit, hammer one loopback server with retried 429s in the mix; the
 * server never sees more requests in progress than the limit, and every slot comes back.
 */
class ThreePoolsCapTest {
  private static final int LIMIT = 4;
  private static final int WORKERS = 8;
  private static final int REQUESTS_PER_WORKER = 15;

  @RepeatedTest(3)
  void threePoolsOfDifferentKinds_neverPassTheHostLimitAtTheServer() throws Exception {
    try (CountingServer server = new CountingServer();
        HostRegulator regulator = HostRegulators.builder().defaultLimit(LIMIT)
            .acquireTimeout(Duration.ofSeconds(20)).build()) {
      HostKey key = server.key();
      server.script((n, exchange) -> {
        // A little service time, so that requests overlap; every tenth is throttled once.
        LockSupport.parkNanos(ThreadLocalRandom.current().nextLong(200_000, 2_000_000));
        return (n % 10 == 0) ? Reply.retryAfter(429, "0") : Reply.ok();
      });
      RetryPolicy retry = RetryPolicy.builder().maxAttempts(5).baseDelay(Duration.ofMillis(1))
          .maxDelay(Duration.ofMillis(5)).build();
      AtomicInteger ok = new AtomicInteger();

      try (RegulatedHttpClient jdk = RegulatedHttpClient.builder(HttpClient.newHttpClient(), regulator.newPool("jdk"))
              .retryPolicy(retry).build();
          CloseableHttpClient classic = HttpClients.custom()
              .setConnectionManager(RegulatedConnections.wrap(PoolingHttpClientConnectionManagerBuilder.create()
                  .setMaxConnPerRoute(50).setMaxConnTotal(50).build(), regulator.newPool("classic")))
              .setRetryStrategy(new RetryPolicyStrategy(retry)).build();
          CloseableHttpAsyncClient async = ReleaseBeforeRetry.install(HttpAsyncClients.custom()
              .setConnectionManager(RegulatedAsyncConnections.wrap(PoolingAsyncClientConnectionManagerBuilder
                  .create().setMaxConnPerRoute(50).setMaxConnTotal(50).build(), regulator.newPool("async")))
              .setRetryStrategy(new RetryPolicyStrategy(retry))).build()) {
        async.start();
        List<CompletableFuture<Void>> workers = new ArrayList<>();
        for (int w = 0; w < WORKERS; w++) {
          workers.add(worker(() -> {
            if (jdk.send(HttpRequest.newBuilder(server.uri("/jdk")).build(), BodyHandlers.ofString())
                .statusCode() == 200) {
              ok.incrementAndGet();
            }
          }));
          workers.add(worker(() -> {
            int status = classic.execute(new HttpGet(server.uri("/classic")), response -> {
              EntityUtils.consume(response.getEntity());
              return response.getCode();
            });
            if (status == 200) {
              ok.incrementAndGet();
            }
          }));
          workers.add(worker(() -> {
            if (async.execute(SimpleRequestBuilder.get(server.uri("/async")).build(), null)
                .get(20, TimeUnit.SECONDS).getCode() == 200) {
              ok.incrementAndGet();
            }
          }));
        }
        CompletableFuture.allOf(workers.toArray(CompletableFuture[]::new)).get(60, TimeUnit.SECONDS);
      }

      assertEquals(3 * WORKERS * REQUESTS_PER_WORKER, ok.get(), "every request succeeded");
      int most = server.maxInProgress();
      assertTrue(most <= LIMIT, "the server saw " + most + " requests in progress, limit " + LIMIT);
      assertTrue(most >= 2, "requests overlapped: " + most);
      await().atMost(5, TimeUnit.SECONDS).until(() -> regulator.inUse(key) == 0);
      assertEquals(0, regulator.waiting(key));
      assertEquals(0, server.inProgress());
    }
  }

  @FunctionalInterface
  private interface Request {
    void send() throws Exception;
  }

  private static CompletableFuture<Void> worker(Request request) {
    CompletableFuture<Void> done = new CompletableFuture<>();
    Thread thread = new Thread(() -> {
      try {
        for (int i = 0; i < REQUESTS_PER_WORKER; i++) {
          request.send();
        }
        done.complete(null);
      } catch (Throwable t) {
        done.completeExceptionally(t);
      }
    });
    thread.start();
    return done;
  }
}
