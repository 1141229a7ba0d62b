package io.regulator.jetty;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.regulator.HostKey;
import io.regulator.HostRegulator;
import io.regulator.core.HostRegulators;
import java.net.URI;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.eclipse.jetty.client.AbstractConnectionPool;
import org.eclipse.jetty.client.ContentResponse;
import org.eclipse.jetty.client.HttpClient;
import org.eclipse.jetty.client.MultiplexConnectionPool;
import org.eclipse.jetty.http2.client.HTTP2Client;
import org.eclipse.jetty.http2.client.transport.HttpClientTransportOverHTTP2;
import org.eclipse.jetty.http2.server.HTTP2CServerConnectionFactory;
import org.eclipse.jetty.io.Content;
import org.eclipse.jetty.server.Handler;
import org.eclipse.jetty.server.HttpConfiguration;
import org.eclipse.jetty.server.Request;
import org.eclipse.jetty.server.Response;
import org.eclipse.jetty.server.Server;
import org.eclipse.jetty.server.ServerConnector;
import org.eclipse.jetty.util.Callback;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * HTTP/2 (h2c, prior knowledge) against Jetty's own server: on one multiplexed connection a slot
 * covers one exchange (stream), so the host's limit caps the streams in progress at the server.
 */
class Http2MultiplexTest {
  private static final Duration WAIT = Duration.ofSeconds(20);

  private final AtomicInteger inProgress = new AtomicInteger();
  private final AtomicInteger maxInProgress = new AtomicInteger();
  private final CountDownLatch gate = new CountDownLatch(1);
  private final Clients clients = new Clients();
  private Server server;
  private HostRegulator regulator;

  @BeforeEach
  void startServer() throws Exception {
    server = new Server();
    ServerConnector connector = new ServerConnector(server, new HTTP2CServerConnectionFactory(new HttpConfiguration()));
    connector.setHost("127.0.0.1");
    server.addConnector(connector);
    server.setHandler(new Handler.Abstract() {
      @Override
      public boolean handle(Request request, Response response, Callback callback) throws Exception {
        if (!request.getHttpURI().getPath().equals("/warm")) {
          maxInProgress.accumulateAndGet(inProgress.incrementAndGet(), Math::max);
          try {
            gate.await(WAIT.toSeconds(), TimeUnit.SECONDS);
          } finally {
            inProgress.decrementAndGet();
          }
        }
        response.setStatus(200);
        Content.Sink.write(response, true, "ok", callback);
        return true;
      }
    });
    server.start();
  }

  @AfterEach
  void tearDown() throws Exception {
    gate.countDown();
    clients.stopAll();
    if (regulator != null) {
      regulator.close();
    }
    server.stop();
  }

  private int port() {
    return ((ServerConnector) server.getConnectors()[0]).getLocalPort();
  }

  private URI uri(String path) {
    return URI.create("http://127.0.0.1:" + port() + path);
  }

  private List<CompletableFuture<ContentResponse>> tenOnOneConnection(HttpClient client) throws Exception {
    // One request first, so that the ten below are streams of the one connection it opened.
    assertEquals(200, Clients.get(client, uri("/warm")).get(WAIT.toSeconds(), TimeUnit.SECONDS).getStatus());
    List<CompletableFuture<ContentResponse>> responses = new ArrayList<>();
    for (int i = 0; i < 10; i++) {
      responses.add(Clients.get(client, uri("/s" + i)));
    }
    return responses;
  }

  private static HttpClient h2c() {
    return new HttpClient(new HttpClientTransportOverHTTP2(new HTTP2Client()));
  }

  @Test
  void tenStreamsOnOneConnection_neverPassTheHostLimitAtTheServer() throws Exception {
    regulator = HostRegulators.builder().defaultLimit(3).build();
    HttpClient client = clients.start(h2c(), regulator.newPool("h2"));
    HostKey key = HostKey.of("127.0.0.1", port());

    List<CompletableFuture<ContentResponse>> responses = tenOnOneConnection(client);
    await().atMost(WAIT).until(() -> inProgress.get() == 3 && regulator.waiting(key) == 7);
    RegulatedConnectionPool pool = Clients.poolOf(client, key);
    assertTrue(pool.delegate() instanceof MultiplexConnectionPool);
    assertEquals(1, ((AbstractConnectionPool) pool.delegate()).getConnectionCount(), "one connection");
    assertEquals(3, pool.heldSlots(), "three slots on it, one per stream");
    gate.countDown();
    for (CompletableFuture<ContentResponse> response : responses) {
      assertEquals(200, response.get(WAIT.toSeconds(), TimeUnit.SECONDS).getStatus());
    }

    assertEquals(3, maxInProgress.get());
    await().atMost(WAIT).until(() -> regulator.inUse(key) == 0);
    assertEquals(0, regulator.waiting(key));
    assertEquals(0, pool.heldSlots());
  }

  @Test
  void withoutTheRegulator_tenStreamsPassTheLimit() throws Exception {
    HttpClient client = clients.start(h2c(), null);

    List<CompletableFuture<ContentResponse>> responses = tenOnOneConnection(client);
    await().atMost(WAIT).until(() -> inProgress.get() == 10);
    gate.countDown();
    for (CompletableFuture<ContentResponse> response : responses) {
      assertEquals(200, response.get(WAIT.toSeconds(), TimeUnit.SECONDS).getStatus());
    }
    assertTrue(maxInProgress.get() > 3, "control: one HTTP/2 connection carries all ten at once");
  }

  @Test
  void stoppingTheClientWithStreamsInFlight_givesBackEverySlotOfTheConnection() throws Exception {
    regulator = HostRegulators.builder().defaultLimit(3).build();
    HttpClient client = clients.start(h2c(), regulator.newPool("h2"));
    HostKey key = HostKey.of("127.0.0.1", port());

    List<CompletableFuture<ContentResponse>> responses = tenOnOneConnection(client);
    await().atMost(WAIT).until(() -> inProgress.get() == 3 && regulator.waiting(key) == 7);
    client.stop();

    assertEquals(0, regulator.inUse(key));
    assertEquals(0, regulator.waiting(key));
    for (CompletableFuture<ContentResponse> response : responses) {
      assertThrows(ExecutionException.class, () -> response.get(WAIT.toSeconds(), TimeUnit.SECONDS));
    }
  }
}
