package io.regulator.jetty;

import io.regulator.HostKey;
import io.regulator.RegulatedPool;
import java.net.URI;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import org.eclipse.jetty.client.CompletableResponseListener;
import org.eclipse.jetty.client.ContentResponse;
import org.eclipse.jetty.client.HttpClient;
import org.eclipse.jetty.client.transport.HttpDestination;
import org.eclipse.jetty.util.thread.QueuedThreadPool;

/** Jetty clients for the tests, each stopped by the test's {@code @AfterEach}. */
final class Clients {
  private final List<HttpClient> clients = new ArrayList<>();

  /** A started HTTP/1.1 client on {@code pool}, or a plain one when {@code pool} is null. */
  HttpClient start(RegulatedPool pool) throws Exception {
    HttpClient client = new HttpClient();
    return start(client, pool);
  }

  HttpClient start(HttpClient client, RegulatedPool pool) throws Exception {
    return start(client, pool, RegulatedPoolFactory.DEFAULT_ACQUIRE_TIMEOUT);
  }

  HttpClient start(HttpClient client, RegulatedPool pool, Duration acquireTimeout) throws Exception {
    QueuedThreadPool threads = new QueuedThreadPool(64);
    threads.setName("jetty-client-" + clients.size());
    threads.setDaemon(true);
    client.setExecutor(threads);
    if (pool != null) {
      RegulatedPoolFactory.install(client, pool, acquireTimeout);
    }
    client.start();
    clients.add(client);
    return client;
  }

  static CompletableFuture<ContentResponse> get(HttpClient client, URI uri) {
    return new CompletableResponseListener(client.newRequest(uri)).send();
  }

  /** The regulated pool of {@code client}'s destination for {@code key}, once it exists. */
  static RegulatedConnectionPool poolOf(HttpClient client, HostKey key) {
    return client.getDestinations().stream()
        .map(HttpDestination.class::cast)
        .filter(d -> d.getPort() == key.port())
        .map(d -> (RegulatedConnectionPool) d.getConnectionPool())
        .findFirst().orElseThrow(() -> new AssertionError("no destination for " + key));
  }

  void stopAll() throws Exception {
    for (HttpClient client : clients) {
      client.stop();
    }
  }
}
