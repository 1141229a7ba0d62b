package io.regulator.http;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.regulator.HostKey;
import io.regulator.HostRegulator;
import io.regulator.core.HostRegulators;
import io.regulator.http.apache.RegulatedAsyncConnections;
import io.regulator.http.apache.ReleaseBeforeRetry;
import java.net.URI;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import org.apache.hc.client5.http.async.methods.SimpleHttpResponse;
import org.apache.hc.client5.http.async.methods.SimpleRequestBuilder;
import org.apache.hc.client5.http.impl.async.CloseableHttpAsyncClient;
import org.apache.hc.client5.http.impl.async.HttpAsyncClients;
import org.apache.hc.client5.http.impl.nio.PoolingAsyncClientConnectionManagerBuilder;
import org.junit.jupiter.api.Test;

/** When an HttpClient 5 async exchange's future completes, its slot is already back. */
class ApacheAsyncReleaseOrderTest {

  @Test
  void afterEveryFutureCompleted_inUseIsAlreadyBackToBaseline() throws Exception {
    // Failed before ReleaseBeforeRetry.install added ReleaseOnFinalResponse: in 15 of 20 rounds a
    // slot was still held after every future of the round had completed.
    try (CountingServer server = new CountingServer();
        HostRegulator regulator = HostRegulators.builder().defaultLimit(4).acquireTimeout(Duration.ofSeconds(10)).build();
        CloseableHttpAsyncClient client = ReleaseBeforeRetry.install(HttpAsyncClients.custom()
            .setConnectionManager(RegulatedAsyncConnections.wrap(
                PoolingAsyncClientConnectionManagerBuilder.create().setMaxConnPerRoute(20).build(),
                regulator.newPool("async")))).build()) {
      client.start();
      URI uri = server.uri("/");
      HostKey key = HostKey.of(uri);
      int laggards = 0;
      for (int round = 0; round < 20; round++) {
        List<Future<SimpleHttpResponse>> futures = new ArrayList<>();
        for (int i = 0; i < 8; i++) {
          futures.add(client.execute(SimpleRequestBuilder.get(uri).build(), null));
        }
        for (Future<SimpleHttpResponse> future : futures) {
          assertEquals(200, future.get(10, TimeUnit.SECONDS).getCode());
        }
        if (regulator.inUse(key) != 0) {
          laggards++;
        }
      }
      assertEquals(0, laggards, "rounds where a slot was still held after every future had completed");
      assertTrue(server.maxInProgress() <= 4, "server saw " + server.maxInProgress());
    }
  }

  @Test
  void redirectedAndBodilessExchanges_keepTheirSlotUntilTheFinalResponse_andGiveItBackBeforeTheFuture() throws Exception {
    // The early release must see only final responses: a redirect's second hop runs under a slot
    // of its own (the server never sees more in progress than the limit), and a HEAD's bodiless
    // answer gives its slot back before its future completes too.
    try (CountingServer server = new CountingServer();
        HostRegulator regulator = HostRegulators.builder().defaultLimit(2).acquireTimeout(Duration.ofSeconds(10)).build();
        CloseableHttpAsyncClient client = ReleaseBeforeRetry.install(HttpAsyncClients.custom()
            .setConnectionManager(RegulatedAsyncConnections.wrap(
                PoolingAsyncClientConnectionManagerBuilder.create().setMaxConnPerRoute(20).build(),
                regulator.newPool("async")))).build()) {
      client.start();
      URI start = server.uri("/start");
      String target = server.uri("/final").toString();
      server.script((n, exchange) -> exchange.getRequestURI().getPath().equals("/start")
          ? new CountingServer.Reply(302, java.util.Map.of("Location", target), "moved", false, false)
          : exchange.getRequestMethod().equals("HEAD")
              ? new CountingServer.Reply(200, java.util.Map.of(), "", false, false)
              : CountingServer.Reply.ok());
      HostKey key = HostKey.of(start);
      int laggards = 0;
      for (int round = 0; round < 10; round++) {
        List<Future<SimpleHttpResponse>> futures = new ArrayList<>();
        for (int i = 0; i < 6; i++) {
          futures.add(client.execute(SimpleRequestBuilder.get(start).build(), null));
          futures.add(client.execute(SimpleRequestBuilder.head(server.uri("/final")).build(), null));
        }
        for (Future<SimpleHttpResponse> future : futures) {
          assertEquals(200, future.get(10, TimeUnit.SECONDS).getCode());
        }
        if (regulator.inUse(key) != 0) {
          laggards++;
        }
      }
      assertEquals(0, laggards, "rounds where a slot was still held after every future had completed");
      assertTrue(server.maxInProgress() <= 2, "server saw " + server.maxInProgress() + " in progress, limit 2");
      assertEquals(0, regulator.waiting(key));
    }
  }
}
