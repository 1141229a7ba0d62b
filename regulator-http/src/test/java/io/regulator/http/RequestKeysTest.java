package io.regulator.http;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertThrows;

import io.regulator.HostKey;
import io.regulator.HostRegulator;
import io.regulator.RegulatorListener;
import io.regulator.core.HostRegulators;
import io.regulator.http.apache.RegulatedAsyncConnections;
import io.regulator.http.apache.RegulatedConnections;
import io.regulator.http.jdk.RegulatedHttpClient;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse.BodyHandlers;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
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
import org.junit.jupiter.api.function.Executable;

/**
 * Each client builds its keys through a {@link io.regulator.LastHostKey} (issue 12): requests that
 * alternate between two hosts still take each slot under {@code HostKey.of} of their own URI, and a
 * host {@code HostKey} refuses fails the request as {@code HostKey.of} does, right after a good one.
 */
class RequestKeysTest {
  /** A host that {@link URI} and the clients accept and {@link HostKey} refuses (octal-ambiguous). */
  private static final String REFUSED_HOST = "01.2.3.4";

  private CountingServer a;
  private CountingServer b;
  private HostRegulator regulator;
  private final List<HostKey> acquired = new CopyOnWriteArrayList<>();
  private final List<AutoCloseable> closeables = new ArrayList<>();

  @BeforeEach
  void start() throws IOException {
    a = new CountingServer();
    b = new CountingServer();
    regulator = HostRegulators.builder().defaultLimit(4).acquireTimeout(Duration.ofSeconds(10))
        .listener(new RegulatorListener() {
          @Override
          public void acquired(HostKey key, String poolName, Duration waited) {
            acquired.add(key);
          }
        })
        .build();
  }

  @AfterEach
  void stop() throws Exception {
    for (AutoCloseable closeable : closeables) {
      closeable.close();
    }
    regulator.close();
    a.close();
    b.close();
  }

  /** A, B, A, A, B: the one remembered key is replaced and found again. */
  private List<URI> alternating() {
    return List.of(a.uri("/1"), b.uri("/2"), a.uri("/3"), a.uri("/4"), b.uri("/5"));
  }

  private void assertEachSlotTakenUnderHostKeyOf(List<URI> sent) {
    List<HostKey> expected = sent.stream().map(HostKey::of).toList();
    await().atMost(5, TimeUnit.SECONDS).until(() -> acquired.size() >= expected.size());
    assertEquals(expected, acquired);
    assertEquals(0, regulator.inUse(a.key()) + regulator.inUse(b.key()));
  }

  private RegulatedHttpClient jdkClient() {
    RegulatedHttpClient client =
        RegulatedHttpClient.builder(HttpClient.newHttpClient(), regulator.newPool("jdk")).build();
    closeables.add(client);
    return client;
  }

  private static HttpRequest get(URI uri) {
    return HttpRequest.newBuilder(uri).timeout(Duration.ofSeconds(10)).build();
  }

  @Test
  void jdkClient_alternatingHosts_takeEachSlotUnderHostKeyOfTheRequestUri() throws Exception {
    RegulatedHttpClient client = jdkClient();
    List<URI> sent = new ArrayList<>();
    for (URI uri : alternating()) {
      assertEquals(200, client.send(get(uri), BodyHandlers.ofString()).statusCode());
      assertEquals(200, client.sendAsync(get(uri), BodyHandlers.ofString()).get(10, TimeUnit.SECONDS).statusCode());
      sent.add(uri);
      sent.add(uri);
    }
    assertEachSlotTakenUnderHostKeyOf(sent);
  }

  @Test
  void jdkClient_aHostKeyRefuses_failsAsHostKeyOf_rightAfterAGoodRequest() throws Exception {
    RegulatedHttpClient client = jdkClient();
    URI refused = URI.create("http://" + REFUSED_HOST + ":" + a.port() + "/");
    for (int attempt = 0; attempt < 2; attempt++) {
      assertEquals(200, client.send(get(a.uri("/")), BodyHandlers.ofString()).statusCode());
      assertFailsAsHostKeyOf(refused, () -> client.send(get(refused), BodyHandlers.ofString()));
      assertFailsAsHostKeyOf(refused, () -> client.sendAsync(get(refused), BodyHandlers.ofString()).get());
    }
  }

  private CloseableHttpClient classicClient() {
    CloseableHttpClient client = HttpClients.custom()
        .setConnectionManager(RegulatedConnections.wrap(
            PoolingHttpClientConnectionManagerBuilder.create().build(), regulator.newPool("classic")))
        .build();
    closeables.add(client);
    return client;
  }

  private static int status(CloseableHttpClient client, URI uri) throws IOException {
    return client.execute(new HttpGet(uri), response -> {
      EntityUtils.consume(response.getEntity());
      return response.getCode();
    });
  }

  @Test
  void apacheClassic_alternatingHosts_takeEachSlotUnderHostKeyOfTheRoutesTarget() throws Exception {
    CloseableHttpClient client = classicClient();
    for (URI uri : alternating()) {
      assertEquals(200, status(client, uri));
    }
    assertEachSlotTakenUnderHostKeyOf(alternating());
  }

  @Test
  void apacheClassic_aHostKeyRefuses_failsAsHostKeyOf_rightAfterAGoodRequest() throws Exception {
    CloseableHttpClient client = classicClient();
    URI refused = URI.create("http://" + REFUSED_HOST + ":" + a.port() + "/");
    for (int attempt = 0; attempt < 2; attempt++) {
      assertEquals(200, status(client, a.uri("/")));
      assertFailsAsHostKeyOf(refused, () -> status(client, refused));
    }
  }

  private CloseableHttpAsyncClient asyncClient() {
    CloseableHttpAsyncClient client = HttpAsyncClients.custom()
        .setConnectionManager(RegulatedAsyncConnections.wrap(
            PoolingAsyncClientConnectionManagerBuilder.create().build(), regulator.newPool("async")))
        .build();
    client.start();
    closeables.add(client);
    return client;
  }

  private static int status(CloseableHttpAsyncClient client, URI uri) throws Exception {
    return client.execute(SimpleRequestBuilder.get(uri).build(), null).get(10, TimeUnit.SECONDS).getCode();
  }

  @Test
  void apacheAsync_alternatingHosts_takeEachSlotUnderHostKeyOfTheRoutesTarget() throws Exception {
    CloseableHttpAsyncClient client = asyncClient();
    for (URI uri : alternating()) {
      assertEquals(200, status(client, uri));
    }
    assertEachSlotTakenUnderHostKeyOf(alternating());
  }

  @Test
  void apacheAsync_aHostKeyRefuses_failsAsHostKeyOf_rightAfterAGoodRequest() throws Exception {
    CloseableHttpAsyncClient client = asyncClient();
    URI refused = URI.create("http://" + REFUSED_HOST + ":" + a.port() + "/");
    for (int attempt = 0; attempt < 2; attempt++) {
      assertEquals(200, status(client, a.uri("/")));
      assertFailsAsHostKeyOf(refused, () -> status(client, refused));
    }
  }

  /**
   * {@code request} fails with {@code HostKey.of(uri)}'s exception, as itself or as the cause a
   * client wrapped it in, with the same message.
   */
  private static void assertFailsAsHostKeyOf(URI uri, Executable request) {
    IllegalArgumentException expected = assertThrows(IllegalArgumentException.class, () -> HostKey.of(uri));
    Throwable failure = assertThrows(Throwable.class, request);
    Throwable cause = failure;
    while (cause != null && !(cause instanceof IllegalArgumentException)) {
      cause = cause.getCause();
    }
    assertNotNull(cause, () -> "no IllegalArgumentException in " + failure);
    assertEquals(expected.getMessage(), cause.getMessage());
  }
}
